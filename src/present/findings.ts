/** Printers for validation findings: text for people, json for tools, github for workflow annotations. */
import { countBySeverity, type Finding } from "../config/findings.js";

export const FINDING_FORMATS = ["text", "json", "github"] as const;
export type FindingFormat = (typeof FINDING_FORMATS)[number];

export function formatFindings(findings: Finding[], format: FindingFormat, fileCount: number): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(findings, null, 2)}\n`;
    case "github":
      return findings.map(githubLine).join("");
    default:
      return textReport(findings, fileCount);
  }
}

function textReport(findings: Finding[], fileCount: number): string {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${f.file}:${f.line}:${f.col} ${f.severity} ${f.rule} ${f.message}`);
    if (f.hint) lines.push(`  hint: ${f.hint}`);
  }
  lines.push(summaryLine(findings, fileCount));
  return `${lines.join("\n")}\n`;
}

export function summaryLine(findings: Finding[], fileCount: number): string {
  const c = countBySeverity(findings);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const infos = c.info ? `, ${c.info} info` : "";
  return `${plural(c.error, "error")}, ${plural(c.warning, "warning")}${infos} in ${plural(fileCount, "file")}`;
}

const githubCommand = { error: "error", warning: "warning", info: "notice" } as const;

/** One workflow command; data and property values escaped as the runner expects. */
function githubLine(f: Finding): string {
  const props = [`file=${prop(f.file)}`, `line=${f.line}`, `col=${f.col}`, `title=${prop(f.rule)}`].join(",");
  const message = f.hint ? `${f.message}\n${f.hint}` : f.message;
  return `::${githubCommand[f.severity]} ${props}::${data(message)}\n`;
}

function data(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function prop(s: string): string {
  return data(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
