/**
 * `mailops plan`: the plan on stdout in the format asked for (its `json` is the versioned plan
 * format, not a report), the plan file written with `--out`; exit 2 with `--detailed-exitcode`
 * when there are changes.
 */
import type { Io, TargetFactory } from "../commands/context.js";
import { type PlanOptions, type PlanReport, planProject } from "../commands/plan-apply.js";
import { openSession } from "../commands/session.js";

export interface PlanCliOptions extends PlanOptions {
  dir: string;
  target?: string;
}

export async function runPlan(options: PlanCliOptions, io: Io, factory?: TargetFactory): Promise<number> {
  const session = openSession({ dir: options.dir, target: options.target, io, factory });
  const report = await planProject(session, options, (rendered) => io.out(rendered));
  return presentPlan(report, options, io);
}

export function presentPlan(
  report: PlanReport,
  options: Pick<PlanOptions, "detailedExitcode">,
  io: Io,
): number {
  if (report.written) io.err(`plan written to ${report.written}\n`);
  return options.detailedExitcode && report.changed ? 2 : 0;
}
