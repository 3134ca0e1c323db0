/**
 * The pull-request comment and job summary. The comment leads with the summary and fills the rest
 * of GitHub's 65,536 characters in order of importance (sends, plan, template previews), each part
 * cut with a pointer to the job summary and artifact, which carry everything.
 */
import type { Plan } from "../commands/plan.js";
import type { Finding } from "../commands/validate.js";
import { summaryLine } from "../present/findings.js";
import { formatPlanMarkdown } from "../present/plan/markdown.js";
import { summary as planSummary } from "../present/plan/text.js";
import { escapeMd } from "../util/markdown.js";
import { findingsSection } from "./job-summary.js";
import { COMMENT_LIMIT, code, plural, truncateMarkdown } from "./markdown.js";
import { formatMarker, type MarkerData, markerOf } from "./marker.js";
import { type ChartRun, scheduleChart } from "./schedule-chart.js";
import {
  type CampaignForecast,
  SEND_INTERVAL_MINUTES,
  sending,
  sendsHeadline,
  sendsTable,
} from "./send-forecast.js";
import { FOOTER_MARK } from "./sticky-comment.js";
import { type TemplatePreview, templatePreviewSection } from "./template-previews.js";

/** What the comment may use; the rest of the limit is a margin for GitHub's own accounting. */
const COMMENT_BUDGET = COMMENT_LIMIT - 1_536;

export interface PrReport {
  project: string;
  target: string;
  /** The commit planned (the pull request's head). */
  sha: string;
  fork: boolean;
  /** Paths from the workspace, as in the annotations, whatever the working directory. */
  findings: Finding[];
  fileCount: number;
  /** Absent when validation failed or planning threw. */
  plan?: Plan;
  /** Set when planning threw after validation passed. */
  failure?: { message: string; hint?: string };
  sends: CampaignForecast[];
  templates: TemplatePreview[];
  /** The artifact with the plan and rendered previews, when uploaded. */
  artifactUrl?: string;
  artifactName: string;
  /** The workflow run, where the job summary is. */
  runUrl: string;
  /** When the plan was made (ISO): on-merge sends are charted there. */
  plannedAt: string;
}

/** A recurring campaign's bars: the occurrence sent on merge (now), then each next one at its time. */
function recurringRuns(p: CampaignForecast): ChartRun[] {
  return (p.schedule?.occurrences ?? []).map((o, i) => ({
    campaign: p.campaign,
    ...(i === 0 && p.state === "due" ? {} : { at: o.at }),
    to: p.to,
    ...(o.recipients !== undefined ? { recipients: o.recipients } : {}),
  }));
}

/** The sends this merge makes or schedules, for the chart: on merge (now) or at send_at. */
function chartRuns(forecasts: CampaignForecast[]): ChartRun[] {
  const recurring = forecasts.filter((p) => p.schedule).flatMap(recurringRuns);
  return forecasts
    .filter((p) => !p.schedule && (p.state === "on-merge" || p.state === "due" || p.state === "scheduled"))
    .map((p) => ({
      campaign: p.campaign,
      ...(p.state === "scheduled" && p.at ? { at: p.at } : {}),
      to: p.to,
      ...(p.counts ? { recipients: p.counts.toSend } : {}),
    }))
    .concat(recurring);
}

/** The sends table, then the coming month's sends as a chart. */
function sendsSection(r: PrReport): string {
  const chart = scheduleChart(chartRuns(r.sends), new Date(r.plannedAt));
  return `${sendsTable(r.sends)}${chart ? `\n${chart}` : ""}`;
}

const markerOfReport = (r: PrReport): MarkerData => markerOf(r.plan, r.fork ? "desired-only" : "live", r.sha);

const short = (sha: string) => sha.slice(0, 7);
const errorsOf = (r: PrReport) => r.findings.filter((f) => f.severity === "error");

function title(r: PrReport, what: string): string {
  return `### 📬 mailops ${what} · ${code(r.project)} on ${code(r.target)}`;
}

const FORK_NOTE =
  "> 🍴 **From a fork: planned against the desired state only.** Pull requests from forks get no secrets, so this run read nothing live: every resource shows as one to create, and audiences are counted from subscriber files in the repository without the suppression list. Deploy computes the real plan against live state when this is merged.";

/** Nothing to review: no SES change, nothing sent or scheduled. */
function isQuiet(r: PrReport): boolean {
  const p = r.plan;
  return (
    !!p &&
    p.changes.length === 0 &&
    p.conflicts.length === 0 &&
    p.blocked.length === 0 &&
    !r.sends.some(sending)
  );
}

function nextSteps(r: PrReport): string {
  const plan = r.plan as Plan;
  const now = r.sends.filter((p) => p.state === "on-merge" || p.state === "due").map((p) => code(p.campaign));
  const later = r.sends.filter((p) => p.state === "scheduled").map((p) => code(p.campaign));
  if (plan.blocked.length)
    return `⛔ deploy will refuse to apply: ${plan.blocked.map((b) => `${escapeMd(b.reason)}; ${escapeMd(b.override)}`).join(". ")}.`;
  const steps = [plan.changes.length ? "applies the changes below" : "changes nothing in SES"];
  if (now.length) steps.push(`then sends ${now.join(", ")}`);
  let s = `deploy ${steps.join(", ")}.`;
  if (later.length) {
    const recurring = r.sends.some((p) => p.state === "scheduled" && p.schedule);
    s += ` ${later.join(", ")} ${later.length === 1 ? "goes" : "go"} out from the scheduled-send workflow (every ${SEND_INTERVAL_MINUTES} minutes) once send_at arrives${recurring ? " (a recurring campaign: at each occurrence)" : ""}.`;
  }
  return s;
}

/** The plan's table and details; head() already gave its summary, warnings and blocked notes. */
function planMarkdown(plan: Plan, limit: number): string {
  return formatPlanMarkdown(plan, { limit, fullPlanAt: "the job summary and the artifact", header: false });
}

function head(r: PrReport): string {
  const plan = r.plan as Plan;
  const lines = [
    title(r, "plan"),
    "",
    `- **Changes:** ${escapeMd(planSummary(plan))}`,
    `- **Sends:** ${sendsHeadline(r.sends)}`,
    `- **Validation:** ${summaryLine(r.findings, r.fileCount)}`,
    `- **On merge:** ${nextSteps(r)}`,
    "",
  ];
  if (r.fork) lines.push(FORK_NOTE, "");
  for (const w of plan.warnings) lines.push(`> ⚠️ ${escapeMd(w)}`);
  if (plan.warnings.length) lines.push("");
  return lines.join("\n");
}

/** Links that change on every run: below FOOTER_MARK, left out when deciding to rewrite the comment. */
function footer(r: PrReport): string {
  if (!r.plan)
    return `\n${FOOTER_MARK}\n---\n<sub>Checked ${short(r.sha)} · no plan · every finding and error: [job summary](${r.runUrl}) · this comment is updated on every push</sub>\n`;
  const checksum = markerOfReport(r).checksum;
  const artifact = r.artifactUrl
    ? `[artifact \`${r.artifactName}\`](${r.artifactUrl})`
    : `artifact \`${r.artifactName}\``;
  return `\n${FOOTER_MARK}\n---\n<sub>Planned for ${short(r.sha)} · plan checksum \`${checksum.slice(0, 12)}\` · full plan and previews: [job summary](${r.runUrl}), ${artifact} · this comment is updated on every push</sub>\n`;
}

const cutNote = (what: string) => `_…${what} cut to fit the comment: see the job summary for all of it._`;

/** The comment: always under COMMENT_BUDGET characters, the summary always whole. */
export function commentBody(r: PrReport): string {
  const marker = formatMarker(markerOfReport(r));
  if (!r.plan) return `${marker}\n${failureBody(r, false)}${footer(r)}`;
  if (isQuiet(r)) {
    return `${marker}\n${title(r, "plan")}\n\n**No changes.** This pull request changes nothing in SES or CloudWatch and sends nothing (${summaryLine(r.findings, r.fileCount)}).${r.fork ? "\n\n_Planned against the desired state only (a fork)._" : ""}\n${footer(r)}`;
  }
  const top = `${marker}\n${head(r)}`;
  const end = footer(r);
  let body = top;
  const room = () => COMMENT_BUDGET - body.length - end.length;
  // Later parts keep at least this much, so one huge part cannot starve the rest of a heading.
  const reserve = 600;

  const sends = `\n#### Sends\n\n${sendsSection(r)}`;
  body += truncateMarkdown(
    sends,
    Math.max(0, Math.min(sends.length, room() - 2 * reserve)),
    cutNote("the send list is"),
  );

  const planBudget = Math.max(0, room() - (r.templates.length ? reserve : 0) - 16);
  const planMd = planMarkdown(r.plan, planBudget);
  body += `\n#### Changes\n\n${truncateMarkdown(planMd, planBudget, cutNote("the plan is"))}`;

  if (r.templates.length) {
    const heading = "\n#### Rendered templates\n\n";
    body += heading;
    let shown = 0;
    for (const t of r.templates) {
      const section = templatePreviewSection(t, r.artifactUrl);
      if (section.length + 200 > room()) break;
      body += section;
      shown++;
    }
    if (shown < r.templates.length)
      body += `\n${cutNote(`${r.templates.length - shown} more template previews`)}\n`;
  }
  // Never reached while the budgets above hold; a last guard so the API call cannot fail on length.
  return truncateMarkdown(body, COMMENT_BUDGET - end.length, cutNote("the comment is")) + end;
}

function failureBody(r: PrReport, full: boolean): string {
  const errors = errorsOf(r);
  if (errors.length) {
    const lines = [
      title(r, "validation failed"),
      "",
      `**${summaryLine(r.findings, r.fileCount)}.** Nothing was planned. The errors are annotated on the files of this pull request${full ? "" : "; the job summary lists every finding"}.`,
      "",
    ];
    if (!full) {
      lines.push("| Where | Rule | Message |", "|---|---|---|");
      for (const f of errors.slice(0, 20))
        lines.push(
          `| ${code(`${f.file}:${f.line}:${f.col}`)} | ${code(f.rule)} | ${escapeMd(f.hint ? `${f.message} (hint: ${f.hint})` : f.message).replace(/\n/g, " ")} |`,
        );
      if (errors.length > 20)
        lines.push("", `_…and ${plural(errors.length - 20, "more error")}: see the job summary._`);
    }
    return `${lines.join("\n")}\n`;
  }
  const f = r.failure ?? { message: "unknown failure" };
  return `${title(r, "plan failed")}\n\n${fencedText(f.message)}${f.hint ? `\nhint: ${escapeMd(f.hint)}\n` : ""}\nThe plan could not be made for ${short(r.sha)}, so there is nothing to review yet. Fix the cause and push again; this comment is then replaced by the plan.\n`;
}

const fencedText = (s: string) => `\`\`\`text\n${s.replace(/```/g, "'''")}\n\`\`\`\n`;

/** The job summary: the same head, then everything in full. */
export function summaryBody(r: PrReport, commentLine: string): string {
  const parts: string[] = [];
  if (!r.plan) parts.push(failureBody(r, true));
  else parts.push(head(r));
  parts.push(findingsSection(r.findings, r.fileCount));
  if (r.plan) {
    parts.push(`### Sends\n\n${sendsSection(r)}`);
    parts.push(`### Changes\n\n${planMarkdown(r.plan, Number.MAX_SAFE_INTEGER)}`);
    if (r.templates.length) {
      parts.push(
        `### Rendered templates\n\n${r.templates.map((t) => templatePreviewSection(t, r.artifactUrl)).join("\n")}`,
      );
    }
  }
  parts.push(`### Pull request comment\n\n${commentLine}\n`);
  return parts.join("\n");
}
