/** The step's job summary: the full story of a run, where the comment has only room for its start. */
import * as core from "@actions/core";
import type { Finding } from "../commands/validate.js";
import { summaryLine } from "../present/findings.js";
import { escapeMd } from "../util/markdown.js";
import { code, SUMMARY_LIMIT_BYTES, truncateBytes } from "./markdown.js";

/** Leave room under GitHub's 1 MiB for anything else written to the summary in the same step. */
const BUDGET = SUMMARY_LIMIT_BYTES - 16_384;

/** What this step wrote to its summary so far: a failure afterwards adds only what is not in it. */
let written: string | undefined;

/** A new step (or, in tests, a new run in the same process): nothing written yet. */
export function startJobSummary(): void {
  written = undefined;
}

export const writtenJobSummary = (): string | undefined => written;

export async function writeJobSummary(markdown: string, fullAt?: string): Promise<void> {
  written = markdown;
  const note = `_…the job summary is cut here to stay under GitHub's 1 MiB limit.${fullAt ? ` Everything is in ${fullAt}.` : ""}_`;
  // Without GITHUB_STEP_SUMMARY (a run outside GitHub) the summary goes to the log instead.
  if (!process.env.GITHUB_STEP_SUMMARY) {
    core.info(markdown);
    return;
  }
  await core.summary.addRaw(truncateBytes(markdown, BUDGET, note), true).write();
}

/** Adds a section after what the step already wrote (a failure after its report). */
export async function appendJobSummary(markdown: string): Promise<void> {
  written = `${written ?? ""}\n${markdown}`;
  if (!process.env.GITHUB_STEP_SUMMARY) {
    core.info(markdown);
    return;
  }
  await core.summary.addRaw(`\n${markdown}`).write();
}

const SEVERITY = { error: "❌ error", warning: "⚠️ warning", info: "ℹ️ info" } as const;

/** Every finding, with its place in the workspace (paths as `validateStep` gives them), as a table. */
export function findingsSection(findings: Finding[], fileCount: number): string {
  const lines = [`### Validation`, "", `**${summaryLine(findings, fileCount)}**`, ""];
  if (findings.length) {
    lines.push("| | Where | Rule | Message |", "|---|---|---|---|");
    for (const f of findings) {
      const where = `${f.file}:${f.line}:${f.col}`;
      const message = escapeMd(f.hint ? `${f.message} (hint: ${f.hint})` : f.message).replace(/\n/g, " ");
      lines.push(`| ${SEVERITY[f.severity]} | ${code(where)} | ${code(f.rule)} | ${message} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}
