/** Send results for the job summary and outputs, shared by the send and deploy flows. Counts only. */
import type { CampaignResult, HeldLock } from "../commands/send.js";
import { escapeMd } from "../util/markdown.js";
import { code } from "./markdown.js";
import { scheduleChart } from "./schedule-chart.js";
import { leftOut, utc } from "./send-forecast.js";

/** Who holds the send lock: its workflow run as a link when it recorded one, else its host and process. */
export function lockHolder(lock: HeldLock, markdown = true): string {
  const h = lock.holder;
  if (!h) return lock.message;
  // The URL comes from the store, written by another run: linked only when it looks like one.
  const run = h.run && /^https:\/\/[^\s()<>[\]`|]+$/.test(h.run) ? h.run : undefined;
  const id = run?.match(/\/runs\/(\d+)/)?.[1];
  const who = run
    ? markdown
      ? `[workflow run${id ? ` ${id}` : ""}](${run})`
      : `workflow run ${run}`
    : code(h.owner);
  return `the send lock is held by ${who} (${escapeMd(h.command)}) since ${utc(h.since)}`;
}

export function lockedNote(lock: HeldLock, markdown = true): string {
  return `another mailops run is sending: ${lockHolder(lock, markdown)}; campaigns still due are sent by the next scheduled run`;
}

export function sendTotals(results: CampaignResult[]): { sent: number; failed: number } {
  let sent = 0;
  let failed = 0;
  for (const r of results) {
    sent += r.report?.sent ?? 0;
    failed += r.report?.failed ?? 0;
  }
  return { sent, failed };
}

const ICON: Record<CampaignResult["state"], string> = {
  sent: "✅",
  draft: "📝",
  scheduled: "🕒",
  missed: "⚠️",
  complete: "☑️",
  refused: "⛔",
  stopped: "🛑",
  partial: "⚠️",
  "under-way": "⏳",
  "awaiting-winner": "⏳",
};

/** What a scheduled or missed campaign's time is. */
function timeLabel(r: CampaignResult): string {
  if (r.winnerStage) return "winner picked at";
  if (r.next === undefined) return "send_at";
  return r.state === "missed" ? "missed occurrence" : "next occurrence";
}

/** Counts only: results never hold addresses. */
export function sendResultsSection(results: CampaignResult[]): string {
  const lines = ["#### Sends", ""];
  if (!results.length) return `${lines.join("\n")}No campaigns.\n`;
  lines.push(
    "| | Campaign | State | To send | Sent | Failed | Unknown | Not sent |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const r of results) {
    const rep = r.report;
    const cell = (n: number | undefined) => (n === undefined ? "—" : n.toLocaleString("en-US"));
    lines.push(
      `| ${ICON[r.state]} | ${code(r.campaign)} | ${r.state} | ${cell(r.counts?.toSend)} | ${cell(rep?.sent)} | ${cell(rep?.failed)} | ${cell(rep?.unknown)} | ${r.counts ? escapeMd(leftOut(r.counts)) : "—"} |`,
    );
  }
  lines.push("");
  for (const r of results) {
    if (r.detail) {
      // scheduled and missed carry their send_at (a recurring campaign's: its occurrence) as the detail.
      const at = (r.state === "scheduled" || r.state === "missed") && /^\d{4}-\d\d-\d\dT/.test(r.detail);
      lines.push(`- ${code(r.campaign)}: ${at ? `${timeLabel(r)} ${utc(r.detail)}` : escapeMd(r.detail)}`);
    }
    lines.push(...recurringNotes(r));
    if (r.early)
      lines.push(`- ${code(r.campaign)}: sent early, before its send_at ${utc(r.early)} (\`send-early\`)`);
    for (const [error, n] of Object.entries(r.report?.failures ?? {}))
      lines.push(`- ${code(r.campaign)}: ${n} failed with ${escapeMd(error)}`);
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

/** A recurring campaign's occurrence sent, what was missed before it, and what waits. */
function recurringNotes(r: CampaignResult): string[] {
  const out: string[] = [];
  if (r.occurrence) out.push(`- ${code(r.campaign)}: occurrence ${utc(r.occurrence)}`);
  if (r.missed?.count)
    out.push(
      `- ${code(r.campaign)}: ${r.missed.count}${r.missed.more ? " or more" : ""} missed occurrence${r.missed.count === 1 ? "" : "s"} (never sent late), the newest ${r.missed.recent.map(utc).join(", ")}`,
    );
  if (r.waiting)
    out.push(`- ${code(r.campaign)}: occurrence ${utc(r.waiting)} waits until this run completes`);
  return out;
}

/**
 * What the scheduled-send workflow sends next (campaigns scheduled by their send_at), as the chart
 * the pull request showed; "" when nothing is scheduled. Counts are not known here: a send counts
 * an audience when it sends.
 */
export function comingSendsSection(
  results: CampaignResult[],
  audienceOf: (campaign: string) => string[],
  now: Date,
): string {
  const runs = results
    .filter((r) => r.state === "scheduled" && r.detail && /^\d{4}-\d\d-\d\dT/.test(r.detail))
    .map((r) => ({ campaign: r.campaign, at: r.detail as string, to: audienceOf(r.campaign) }));
  const chart = scheduleChart(runs, now);
  return chart ? `#### Coming sends\n\n${chart}` : "";
}
