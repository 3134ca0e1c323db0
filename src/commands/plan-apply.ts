/** `mailops plan` and `mailops apply`: the entry points over plan.ts and apply.ts. */
import { readFileSync, writeFileSync } from "node:fs";
import { ApplyRefusedError, UsageError } from "../errors.js";
import { formatPlan, type PlanFormat } from "../plan/format/index.js";
import { formatPlanText } from "../plan/format/text.js";
import { hasChanges, PLAN_VERSION, type Plan } from "../plan/plan.js";
import { KINDS } from "../plan/resource.js";
import {
  applyPlan,
  assertApplicable,
  failureError,
  formatOutcome,
  refusalError,
  savedPlanCheck,
} from "./apply.js";
import {
  type Io,
  loadValid,
  openTarget,
  projectStore,
  type TargetFactory,
  targetName,
  warn,
} from "./context.js";
import { lostStateRefusal, stateLostOkWarning } from "./lost-state.js";
import { makePlan } from "./plan.js";

export interface PlanOptions {
  dir: string;
  target?: string;
  format: PlanFormat;
  out?: string;
  detailedExitcode?: boolean;
}

export async function runPlan(
  options: PlanOptions,
  io: Io,
  factory: TargetFactory = openTarget,
): Promise<number> {
  const project = loadValid(options.dir, io);
  const target = await factory(targetName(project, options.target), project);
  const { plan } = await makePlan(project, target, projectStore(project), { force: false, now: new Date() });
  io.out(formatPlan(plan, options.format));
  if (options.out) {
    writePlanFile(options.out, plan);
    io.err(`plan written to ${options.out}\n`);
  }
  return options.detailedExitcode && hasChanges(plan) ? 2 : 0;
}

export interface ApplyOptions {
  dir: string;
  target?: string;
  plan?: string;
  force?: boolean;
  /** Apply although the state store appears lost (lost-state.ts): the next send mails everyone again. */
  stateLostOk?: boolean;
}

export async function runApply(
  options: ApplyOptions,
  io: Io,
  factory: TargetFactory = openTarget,
): Promise<number> {
  const project = loadValid(options.dir, io);
  const name = targetName(project, options.target);
  const saved = options.plan ? readPlanFile(options.plan) : undefined;
  if (saved && (saved.project !== project.settings.project || saved.target !== name)) {
    throw new ApplyRefusedError(
      `${options.plan} was made for project ${saved.project} on target ${saved.target}, not ${project.settings.project} on ${name}`,
      "make a new plan for this project and target",
    );
  }
  const target = await factory(name, project);
  const store = projectStore(project);
  // A saved plan is made again and compared: what is applied comes from the repository and the
  // live state as they are now, never from the file, and only if they still make the same plan.
  const { plan, inventory, lost } = await makePlan(project, target, store, {
    force: options.force ?? false,
    now: new Date(),
    stateLostOk: options.stateLostOk ?? false,
  });
  // Applying writes the inventory, after which the lost store looks like any other.
  if (lost && !options.stateLostOk) throw refusalError(lostStateRefusal(lost));
  if (saved && options.plan) {
    const refusal = savedPlanCheck(options.plan, saved, plan);
    if (refusal) throw refusalError(refusal);
  } else {
    io.err(formatPlanText(plan));
  }
  assertApplicable(plan);
  if (lost) warn(io, stateLostOkWarning(lost));
  const outcome = await applyPlan(plan, target, store, inventory, {
    project: project.settings.project,
    now: () => new Date(),
    progress: (line) => io.err(`${line}\n`),
  });
  io.out(formatOutcome(outcome));
  const failure = failureError(outcome);
  if (failure) throw failure;
  return 0;
}

/** The plan file `apply --plan` reads (`plan --out`, the action's `plan-path`): the plan as JSON. */
export function writePlanFile(file: string, plan: Plan): void {
  writeFileSync(file, formatPlan(plan, "json"));
}

function readPlanFile(file: string): Plan {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UsageError(`cannot read plan file ${file}`, "pass the file written by `mailops plan --out`");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(
      `${file} is not a plan file (not JSON)`,
      "pass the file written by `mailops plan --out`",
    );
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === "number" && version !== PLAN_VERSION) {
    throw new UsageError(
      `${file} is a plan of format ${version}; this mailops reads format ${PLAN_VERSION} only`,
      "make the plan again with this version: `mailops plan --out plan.json`, review it, and apply that",
    );
  }
  if (!isPlan(json)) {
    throw new UsageError(
      `${file} is not a mailops plan (format ${PLAN_VERSION})`,
      "pass the file written by `mailops plan --out`",
    );
  }
  return json;
}

const ACTIONS: readonly unknown[] = ["create", "update", "delete"];
const isSpec = (v: unknown) => v === undefined || (typeof v === "object" && v !== null && !Array.isArray(v));

/** The shape the comparison relies on; what it means is checked against the plan made now. */
function isPlan(v: unknown): v is Plan {
  const p = v as Partial<Plan> | null;
  return (
    typeof p === "object" &&
    p !== null &&
    p.version === PLAN_VERSION &&
    typeof p.project === "string" &&
    typeof p.target === "string" &&
    typeof p.liveChecksum === "string" &&
    typeof p.live === "object" &&
    p.live !== null &&
    Object.values(p.live).every((d) => d === null || typeof d === "string") &&
    Array.isArray(p.changes) &&
    p.changes.every(
      (c) =>
        typeof c === "object" &&
        c !== null &&
        ACTIONS.includes(c.action) &&
        (KINDS as readonly unknown[]).includes(c.kind) &&
        typeof c.name === "string" &&
        isSpec(c.before) &&
        isSpec(c.after),
    )
  );
}
