/** `mailops preview`: the files written and the subject on stdout (or the report as JSON). */
import type { TargetFactory } from "../commands/context.js";
import { type PreviewOptions, type PreviewReport, previewMessage } from "../commands/preview.js";
import type { Io } from "../present/io.js";
import { type ReportFormat, reportJson } from "./format.js";
import { cliSession } from "./session.js";

export interface PreviewCliOptions extends PreviewOptions {
  dir: string;
  target?: string;
  format?: ReportFormat;
}

export async function runPreview(
  options: PreviewCliOptions,
  io: Io,
  factory?: TargetFactory,
): Promise<number> {
  const session = cliSession(options, io, factory);
  const report = await previewMessage(session, options);
  if (options.format === "json") io.out(reportJson("preview", report));
  else io.out(formatPreview(report));
  io.err(`preview of ${report.of} ${report.name} for ${report.subscriber ? "the subscriber" : report.to}\n`);
  return 0;
}

export function formatPreview(r: PreviewReport): string {
  return `Subject: ${r.subject}\n${r.files.html}\n${r.files.text}\n${r.files.eml}\n`;
}
