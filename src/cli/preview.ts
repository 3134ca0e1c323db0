/** `mailops preview`: the files written and the subject on stdout (or the report as JSON). */
import type { TargetFactory } from "../commands/context.js";
import { type PreviewOptions, type PreviewReport, previewMessages } from "../commands/preview.js";
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
  const reports = await previewMessages(session, options);
  const [first] = reports as [PreviewReport, ...PreviewReport[]];
  if (options.format === "json")
    // The (first) message's report, as before A/B campaigns; an A/B campaign's are all listed too.
    io.out(reportJson("preview", reports.length === 1 ? first : { ...first, variants: reports }));
  else io.out(reports.map(formatPreview).join(""));
  io.err(`preview of ${first.of} ${first.name} for ${first.subscriber ? "the subscriber" : first.to}\n`);
  return 0;
}

export function formatPreview(r: PreviewReport): string {
  const head = r.variant === undefined ? "" : `Variant ${r.variant}\n`;
  return `${head}Subject: ${r.subject}\n${r.files.html}\n${r.files.text}\n${r.files.eml}\n`;
}
