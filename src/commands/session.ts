/**
 * One session per run of an entry (a command of the CLI, a flow of the Action): the validated
 * project, the target and the state store (each opened once, on first use), the clock, the output.
 * The use cases take it instead of each resolving the target name, opening a target and a store
 * and reading the time again; the entries build it once, through `openSession`.
 */
import type { Project } from "../config/model.js";
import { UsageError } from "../errors.js";
import type { Plan } from "../plan/plan.js";
import type { Store } from "../store/index.js";
import { OfflineTarget } from "../targets/offline.js";
import type { Target } from "../targets/port.js";
import { type Clock, systemClock } from "../util/clock.js";
import { openTarget, projectStore, type TargetFactory, type TargetName, targetName } from "./context.js";
import { validProject } from "./validate.js";

/**
 * What a use case tells while it runs, as data; what it returns is its report. The entry renders
 * these as they come (the command line on stderr; the Action as log lines and annotations).
 */
export type RunEvent =
  /** The plan about to be applied (apply without a saved plan, deploy), before it may be refused. */
  | { kind: "planned"; plan: Plan }
  /** A change about to be made. */
  | { kind: "progress"; line: string }
  /** A warning the user must not miss (going on past a lost state store). */
  | { kind: "warning"; text: string }
  /** A campaign's run: started with `total` to send, then recipients `done` so far, then finished. */
  | { kind: "send-started"; campaign: string; total: number }
  | { kind: "send-progress"; campaign: string; done: number }
  | { kind: "send-finished"; campaign: string };

export type Observer = (event: RunEvent) => void;

export interface Session {
  readonly project: Project;
  /**
   * The target chosen (flag, MAILOPS_TARGET, mailops.yaml), known before it is opened; resolved on
   * first use, so a run that needs no target (a template's preview) never judges the flag.
   */
  readonly targetName: TargetName;
  /** No credentials (a pull request from a fork): the target reads nothing, the store is not read. */
  readonly offline: boolean;
  /** Opened on first use, then the same one. */
  target(): Promise<Target>;
  /** The state store, opened on first use; refused when offline. */
  store(): Store;
  /** How time passes: leases, pacing, the ledger's and the inventory's timestamps. */
  readonly clock: Clock;
  /** The time this run judges by (what is due, the plan's time): the clock's, unless pinned (`--now`). */
  now(): Date;
  /** Told each RunEvent of the run's use cases. */
  readonly observe: Observer;
}

export interface SessionOptions {
  /** Renders the use cases' events for this entry. */
  observe: Observer;
  /** The target flag (or input); unset falls back to MAILOPS_TARGET, then mailops.yaml. */
  target?: string;
  /** Simulated time in tests; the system's when not given. */
  clock?: Clock;
  /** `--now`: judge what is due by this time instead of the clock's; time still passes on the clock. */
  now?: Date;
  /** How the target is opened: the real adapters unless a test replaces them. */
  factory?: TargetFactory;
  /** The state store (tests: one on the simulated clock); the project's `state:` when not given. */
  store?: Store;
  /** Read nothing live: the OfflineTarget, and no state store (a pull request from a fork). */
  offline?: boolean;
}

/**
 * The session of one run: from `dir` the project is validated first (InvalidProjectError, which
 * carries the errors, when it has any); an entry that validated itself (the Action) passes the
 * `project`.
 */
export function openSession(options: SessionOptions & ({ dir: string } | { project: Project })): Session {
  const project = "project" in options ? options.project : validProject(options.dir);
  let name: TargetName | undefined;
  const resolve = () => {
    name ??= targetName(project, options.target);
    return name;
  };
  const offline = options.offline ?? false;
  const clock = options.clock ?? systemClock;
  const factory = options.factory ?? openTarget;
  const pinned = options.now;
  let target: Promise<Target> | undefined;
  let store = options.store;
  return {
    project,
    get targetName() {
      return resolve();
    },
    offline,
    target: () => {
      target ??= offline ? Promise.resolve(new OfflineTarget(resolve())) : factory(resolve(), project);
      return target;
    },
    store: () => {
      if (offline) {
        throw new UsageError(
          "reading the state store is not possible without credentials (a pull request from a fork)",
        );
      }
      store ??= projectStore(project);
      return store;
    },
    clock,
    now: () => (pinned ? new Date(pinned) : new Date(clock.now())),
    observe: options.observe,
  };
}
