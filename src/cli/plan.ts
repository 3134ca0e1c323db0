/**
 * `mailops plan`: the plan on stdout in the format asked for (its `json` is the versioned plan
 * format, not a report), the plan file written with `--out`; exit 2 with `--detailed-exitcode`
 * when there are changes.
 */
import type { TargetFactory } from "../commands/context.js";
import { planProject, writePlan } from "../commands/plan.js";

import type { Io } from "../present/io.js";
import { formatPlan, type PlanFormat } from "../present/plan/index.js";
import { cliSession } from "./session.js";

export interface PlanCliOptions {
  dir: string;
  target?: string;
  format: PlanFormat;
  /** Also write the plan file (`apply --plan`). */
  out?: string;
  /** Exit 2 when there are changes. */
  detailedExitcode?: boolean;
}

export async function runPlan(options: PlanCliOptions, io: Io, factory?: TargetFactory): Promise<number> {
  const session = cliSession(options, io, factory);
  const report = await planProject(session);
  // Shown before the file is written, so a failed write still shows it.
  io.out(formatPlan(report.plan, options.format));
  if (options.out) io.err(`plan written to ${writePlan(report.plan, options.out)}\n`);
  return options.detailedExitcode && report.changed ? 2 : 0;
}
