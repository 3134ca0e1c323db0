/** `mailops validate`: the findings in the format asked for; exit 1 when any is an error. */
import { validateProject } from "../commands/validate.js";
import { type FindingFormat, formatFindings } from "../present/findings.js";
import { findingsFrom } from "../util/finding-paths.js";

export interface ValidateOptions {
  dir: string;
  format: FindingFormat;
}

export function runValidate(options: ValidateOptions, out: (s: string) => void): number {
  const result = validateProject(options.dir);
  // GitHub places an annotation by its path from the workspace (the working directory), not from --dir.
  const findings =
    options.format === "github" ? findingsFrom(result.findings, process.cwd(), options.dir) : result.findings;
  out(formatFindings(findings, options.format, result.project.fileCount));
  return result.errors > 0 ? 1 : 0;
}
