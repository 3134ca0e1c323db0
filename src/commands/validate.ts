import { statSync } from "node:fs";
import path from "node:path";
import { type Finding, sortFindings } from "../config/findings.js";
import { lintProject } from "../config/lint/index.js";
import { loadProject } from "../config/load.js";
import type { Project } from "../config/model.js";
import { ProjectError } from "../errors.js";
import { type FindingFormat, formatFindings } from "../present/findings.js";
import { findingsFrom } from "../util/finding-paths.js";

/** The validate use case's report: its findings, plain data (config/findings.ts). */
export type { Finding, Severity } from "../config/findings.js";

export interface ValidateResult {
  project: Project;
  findings: Finding[];
  errors: number;
}

/** Load, schema-check and lint the repository at `dir`. Reads files; writes nothing. */
export function validateProject(dir: string): ValidateResult {
  assertDirectory(dir);
  const loaded = loadProject(dir);
  const findings = sortFindings([...loaded.findings, ...lintProject(loaded.value)]);
  return { project: loaded.value, findings, errors: findings.filter((f) => f.severity === "error").length };
}

export interface ValidateOptions {
  dir: string;
  format: FindingFormat;
}

/** `mailops validate`: prints the findings; exit code 1 when any is an error. */
export function runValidate(options: ValidateOptions, out: (s: string) => void): number {
  const result = validateProject(options.dir);
  // GitHub places an annotation by its path from the workspace (the working directory), not from --dir.
  const findings =
    options.format === "github" ? findingsFrom(result.findings, process.cwd(), options.dir) : result.findings;
  out(formatFindings(findings, options.format, result.project.fileCount));
  return result.errors > 0 ? 1 : 0;
}

function assertDirectory(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) {
    throw new ProjectError(
      `${path.resolve(dir)} is not a directory`,
      "pass the repository root with --dir, or run mailops inside it",
    );
  }
}
