/** A problem found in the user's repository, always tied to a place in a file. */
export type Severity = "error" | "warning" | "info";

export interface Position {
  /** Path relative to the repository root, with forward slashes. */
  file: string;
  line: number;
  col: number;
}

export interface Finding extends Position {
  severity: Severity;
  /** Stable id such as `campaign/unknown-template`; documented in docs/rules.md. */
  rule: string;
  message: string;
  hint?: string;
}

/**
 * User text quoted in a finding, cut to `max` characters: a finding names the problem, it does not
 * repeat a 100 KB value (or a long run of personal data) back into a CI log.
 */
export function excerpt(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

/** What every pure parse/validate step returns (changesets' `{value, errors}` shape). */
export interface Result<T> {
  value: T;
  findings: Finding[];
}

/**
 * Where a finding is, or how to work it out: a position may cost a second parse of a YAML file
 * (with the slower `yaml` library), so checks pass a function and it runs only for a finding.
 */
export type At = Position | (() => Position);

export function finding(
  severity: Severity,
  rule: string,
  where: At,
  message: string,
  hint?: string,
): Finding {
  const at = typeof where === "function" ? where() : where;
  return hint === undefined
    ? { severity, rule, file: at.file, line: at.line, col: at.col, message }
    : { severity, rule, file: at.file, line: at.line, col: at.col, message, hint };
}

export const error = (rule: string, at: At, message: string, hint?: string) =>
  finding("error", rule, at, message, hint);
export const warning = (rule: string, at: At, message: string, hint?: string) =>
  finding("warning", rule, at, message, hint);
export const info = (rule: string, at: At, message: string, hint?: string) =>
  finding("info", rule, at, message, hint);

const severityOrder: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Stable order: by file, then line, column, severity and rule, so output and golden files are deterministic. */
export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.col - b.col ||
      severityOrder[a.severity] - severityOrder[b.severity] ||
      (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

export function countBySeverity(findings: Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}
