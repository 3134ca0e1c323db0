import { statSync } from "node:fs";
import path from "node:path";
import { type Finding, sortFindings } from "../config/findings.js";
import { lintProject } from "../config/lint/index.js";
import { loadProject } from "../config/load.js";
import type { Project } from "../config/model.js";
import { ProjectError, ValidationFailedError } from "../errors.js";

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

/**
 * The repository has validation errors, so no use case acts on it. It carries the errors for the
 * entry to show before its message (`cli/failure.ts`).
 */
export class InvalidProjectError extends ValidationFailedError {
  constructor(
    /** The findings of severity error. */
    readonly errors: Finding[],
    /** Files read, for the summary line. */
    readonly fileCount: number,
  ) {
    super(
      `the repository has ${errors.length} validation error${errors.length === 1 ? "" : "s"}`,
      "run `mailops validate` and fix them first",
    );
  }
}

/** Validate first: the project at `dir`, or InvalidProjectError when it has errors. */
export function validProject(dir: string): Project {
  const result = validateProject(dir);
  if (result.errors > 0) {
    throw new InvalidProjectError(
      result.findings.filter((f) => f.severity === "error"),
      result.project.fileCount,
    );
  }
  return result.project;
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
