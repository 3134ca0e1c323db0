/** `mailops deploy`: what a merge runs. validate → plan → apply → send --due, one summary. */
import type { Project } from "../config/model.js";
import { formatPlanText } from "../plan/format/text.js";
import type { Plan } from "../plan/plan.js";
import type { Target } from "../targets/port.js";
import { type ApplyOutcome, applyPlan, assertApplicable, failureError, formatOutcome } from "./apply.js";
import { type Io, loadValid, openTarget, projectStore, type TargetFactory, targetName } from "./context.js";
import { makePlan } from "./plan.js";
import { type CampaignResult, formatSendResults, parseNow, sendCampaigns, sendFailed } from "./send.js";

export interface DeployOptions {
  dir: string;
  target?: string;
  now?: string;
  force?: boolean;
}

/** Each step as it completes, before its result is acted on (a blocked plan, a failed apply). */
export type DeployStep =
  | { step: "plan"; plan: Plan; target: Target }
  | { step: "apply"; outcome: ApplyOutcome }
  | { step: "send"; results: CampaignResult[]; outboxes: string[] };

export interface DeployRunOptions {
  target?: string;
  /** Time of the plan and what is due by it (default: now). */
  now?: Date;
  force?: boolean;
  onStep?: (step: DeployStep) => void | Promise<void>;
}

export interface DeployResult {
  plan: Plan;
  /** When `outcome.failed` is set, nothing was sent: `failureError(outcome)` says why. */
  outcome: ApplyOutcome;
  /** Per campaign; empty when the apply failed. */
  results: CampaignResult[];
  /** The local outbox `index.html` of every campaign this deploy sent (local target only). */
  outboxes: string[];
}

/**
 * Plan, apply, then send what is due, on a validated project. Throws when the plan may not be
 * applied (blocked, conflicts) and when sending cannot start (the send lock is held); a failed
 * apply is returned, not thrown, so its outcome can be reported.
 */
export async function deploy(
  project: Project,
  options: DeployRunOptions,
  io: Io,
  factory: TargetFactory = openTarget,
): Promise<DeployResult> {
  const now = options.now ?? new Date();
  const target = await factory(targetName(project, options.target), project);
  const store = projectStore(project);
  const { plan, inventory } = await makePlan(project, target, store, { force: options.force ?? false, now });
  await options.onStep?.({ step: "plan", plan, target });
  assertApplicable(plan);
  const outcome = await applyPlan(plan, target, store, inventory, {
    project: project.settings.project,
    now: () => new Date(),
    progress: (line) => io.err(`${line}\n`),
  });
  await options.onStep?.({ step: "apply", outcome });
  if (outcome.failed) return { plan, outcome, results: [], outboxes: [] };
  const results = await sendCampaigns(
    project,
    {
      dir: project.root,
      target: target.name,
      due: true,
      ...(options.now ? { now: options.now.toISOString() } : {}),
    },
    io,
    async () => target,
  );
  const outboxes = results.flatMap((r) => (r.outbox ? [r.outbox] : []));
  await options.onStep?.({ step: "send", results, outboxes });
  return { plan, outcome, results, outboxes };
}

export async function runDeploy(
  options: DeployOptions,
  io: Io,
  factory: TargetFactory = openTarget,
): Promise<number> {
  io.err("validate: checking the repository\n");
  const project = loadValid(options.dir, io);
  const result = await deploy(
    project,
    {
      ...(options.target ? { target: options.target } : {}),
      ...(options.now ? { now: parseNow(options.now) } : {}),
      force: options.force ?? false,
      // The plan is progress (stderr), printed before apply may refuse it.
      onStep: (s) => {
        if (s.step === "plan") io.err(formatPlanText(s.plan));
      },
    },
    io,
    factory,
  );
  io.out(`apply:\n${formatOutcome(result.outcome)}`);
  const failure = failureError(result.outcome);
  if (failure) throw failure;
  io.out(`send:\n${formatSendResults(result.results)}`);
  if (result.outboxes.length) io.out(`Outbox: ${result.outboxes.join(", ")}\n`);
  return sendFailed(result.results) ? 1 : 0;
}
