/** `mailops plan` and `mailops apply`: the entry points over plan.ts and apply.ts. */
import { ApplyRefusedError } from "../errors.js";
import { formatPlan, type PlanFormat } from "../plan/format/index.js";
import { formatPlanText } from "../plan/format/text.js";
import { hasChanges } from "../plan/plan.js";
import { readPlanFile, writePlanFile } from "../plan/planfile.js";
import {
  applyPlan,
  assertApplicable,
  failureError,
  formatOutcome,
  refusalError,
  savedPlanCheck,
} from "./apply.js";
import { type Io, type TargetFactory, warn } from "./context.js";
import { lostStateRefusal, stateLostOkWarning } from "./lost-state.js";
import { makePlan } from "./plan.js";
import { openSession } from "./session.js";

export interface PlanOptions {
  dir: string;
  target?: string;
  format: PlanFormat;
  out?: string;
  detailedExitcode?: boolean;
}

export async function runPlan(options: PlanOptions, io: Io, factory?: TargetFactory): Promise<number> {
  const session = openSession({ dir: options.dir, target: options.target, io, factory });
  const { plan } = await makePlan(session, { force: false });
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

export async function runApply(options: ApplyOptions, io: Io, factory?: TargetFactory): Promise<number> {
  const session = openSession({ dir: options.dir, target: options.target, io, factory });
  const { project, targetName: name } = session;
  const saved = options.plan ? readPlanFile(options.plan) : undefined;
  if (saved && (saved.project !== project.settings.project || saved.target !== name)) {
    throw new ApplyRefusedError(
      `${options.plan} was made for project ${saved.project} on target ${saved.target}, not ${project.settings.project} on ${name}`,
      "make a new plan for this project and target",
    );
  }
  // A saved plan is made again and compared: what is applied comes from the repository and the
  // live state as they are now, never from the file, and only if they still make the same plan.
  const { plan, inventory, lost } = await makePlan(session, {
    force: options.force ?? false,
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
  const outcome = await applyPlan(plan, await session.target(), session.store(), inventory, {
    project: project.settings.project,
    now: () => new Date(session.clock.now()),
    progress: (line) => io.err(`${line}\n`),
  });
  io.out(formatOutcome(outcome));
  const failure = failureError(outcome);
  if (failure) throw failure;
  return 0;
}
