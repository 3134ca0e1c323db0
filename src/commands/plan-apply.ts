/** `mailops plan` and `mailops apply`: the entry points over plan.ts and apply.ts. */
import { readFileSync, writeFileSync } from "node:fs";
import { ApplyRefusedError, UsageError } from "../errors.js";
import { formatPlan, type PlanFormat } from "../plan/format/index.js";
import { formatPlanText } from "../plan/format/text.js";
import { hasChanges, type Plan } from "../plan/plan.js";
import { applyPlan, assertApplicable, assertFresh, failureError, formatOutcome } from "./apply.js";
import { type Io, loadValid, openTarget, projectStore, type TargetFactory, targetName } from "./context.js";
import { makePlan, readInventory } from "./plan.js";

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
}

export async function runApply(
  options: ApplyOptions,
  io: Io,
  factory: TargetFactory = openTarget,
): Promise<number> {
  const project = loadValid(options.dir, io);
  const name = targetName(project, options.target);
  const target = await factory(name, project);
  const store = projectStore(project);
  let plan: Plan;
  let inventory: Awaited<ReturnType<typeof readInventory>>;
  if (options.plan) {
    plan = readPlanFile(options.plan);
    if (plan.project !== project.settings.project || plan.target !== name) {
      throw new ApplyRefusedError(
        `${options.plan} was made for project ${plan.project} on target ${plan.target}, not ${project.settings.project} on ${name}`,
        "make a new plan for this project and target",
      );
    }
    await assertFresh(plan, target);
    inventory = await readInventory(store, project.settings.project);
  } else {
    ({ plan, inventory } = await makePlan(project, target, store, {
      force: options.force ?? false,
      now: new Date(),
    }));
    io.err(formatPlanText(plan));
  }
  if (options.force) plan = { ...plan, blocked: [] };
  assertApplicable(plan);
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
  let plan: Plan;
  try {
    plan = JSON.parse(text) as Plan;
  } catch {
    throw new UsageError(
      `${file} is not a plan file (not JSON)`,
      "pass the file written by `mailops plan --out`",
    );
  }
  if (plan?.version !== 1 || !Array.isArray(plan.changes) || typeof plan.liveChecksum !== "string") {
    throw new UsageError(
      `${file} is not a mailops plan (version 1)`,
      "pass the file written by `mailops plan --out`",
    );
  }
  return plan;
}
