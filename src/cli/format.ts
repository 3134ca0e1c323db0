/**
 * The output of the commands that present a report: text for people, JSON for programs. The JSON
 * is the report itself under a `version` (bumped when a field changes meaning or goes) and a `kind`.
 */
export const REPORT_FORMATS = ["text", "json"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export type ReportKind =
  | "status"
  | "apply"
  | "preview"
  | "send"
  | "send-preview"
  | "deploy"
  | "bootstrap"
  | "init"
  | "import"
  | "proof";

/** The JSON of a report, one document on stdout. */
export function reportJson(kind: ReportKind, report: object): string {
  return `${JSON.stringify({ version: 1, kind, ...report }, null, 2)}\n`;
}
