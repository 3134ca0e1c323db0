/**
 * `mailops apply`: the apply report as text or JSON. A refusal or a failed change ends the
 * command as its typed error (message, hint, exit code), after the JSON in `--format json`.
 */
import { failureError, refusalError } from "../commands/apply.js";
import { type ApplyOptions, type ApplyReport, applyProject } from "../commands/apply-project.js";
import type { TargetFactory } from "../commands/context.js";
import { formatOutcome } from "../present/apply.js";
import type { Io } from "../present/io.js";
import { type ReportFormat, reportJson } from "./format.js";
import { cliSession } from "./session.js";

export interface ApplyCliOptions extends ApplyOptions {
  dir: string;
  target?: string;
  format?: ReportFormat;
}

export async function runApply(options: ApplyCliOptions, io: Io, factory?: TargetFactory): Promise<number> {
  const session = cliSession(options, io, factory);
  const report = await applyProject(session, options);
  return presentApply(report, options.format ?? "text", io);
}

export function presentApply(report: ApplyReport, format: ReportFormat, io: Io): number {
  if (format === "json") io.out(reportJson("apply", report));
  if (report.refused) throw refusalError(report.refused);
  if (format === "text") io.out(formatOutcome(report));
  const failure = failureError(report);
  if (failure) throw failure;
  return 0;
}
