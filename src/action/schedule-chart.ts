/**
 * The coming month's sends as a Mermaid Gantt chart (GitHub renders ```mermaid blocks): one bar per
 * campaign run, on-merge runs first at the time of the plan, scheduled runs at their send_at,
 * labelled with recipient counts where known. Bars of runs to the same audience on the same UTC
 * day are marked critical (red), so a collision shows at a glance. Pure: text in, text out.
 */
import { code } from "./markdown.js";
import { utc } from "./send-forecast.js";

export interface ChartRun {
  campaign: string;
  /** send_at (ISO); absent for a run that goes out on merge (at `now`). */
  at?: string;
  /** The segments or sources it sends to (`to:`). */
  to: string[];
  /** Recipients it sends to, when counted. */
  recipients?: number;
}

/** How far ahead the chart looks. */
export const CHART_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * A Gantt task's text may not hold `#`, `:` or `;` (or `%%`, a comment), and may not start like a
 * statement (`title `, `section `, `gantt`, a date…). Campaign names are `[A-Za-z0-9_-]`, but the
 * chart must not break on anything: other characters become `_`, and a label that starts like a
 * statement gets a zero-width space in front, which no statement matches and nobody sees.
 */
export function mermaidLabel(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9_. ·()-]/g, "_").replace(/\s+/g, " ");
  const statement =
    /^(gantt|topaxis|inclusiveenddates|\d{4}-\d\d-\d\d|(dateformat|axisformat|tickinterval|includes|excludes|todaymarker|weekday|title|accdescription|section|click|call|href)\s)/i;
  return statement.test(safe) ? `\u200b${safe}` : safe;
}

/** `2026-06-01 12:00`: the chart's dateFormat, in UTC. */
const chartTime = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface Placed extends ChartRun {
  ms: number;
}

/** Runs on one UTC day that share a `to` entry: `[day, audience, campaigns]`. */
function collisions(runs: Placed[]): [string, string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const r of runs) {
    for (const to of new Set(r.to)) {
      const key = `${day(r.ms)}\u0000${to}`;
      groups.set(key, [...(groups.get(key) ?? []), r.campaign]);
    }
  }
  return [...groups]
    .filter(([, names]) => names.length > 1)
    .map(([key, names]) => {
      const [d = "", to = ""] = key.split("\u0000");
      return [d, to, names] as [string, string, string[]];
    });
}

/** The chart and its notes, or "" when nothing is sent on merge or scheduled. */
export function scheduleChart(runs: ChartRun[], now: Date): string {
  const start = now.getTime();
  const end = start + CHART_DAYS * DAY_MS;
  const placed: Placed[] = runs
    .map((r) => ({ ...r, ms: r.at === undefined ? start : Date.parse(r.at) }))
    .filter((r) => Number.isFinite(r.ms));
  const onMerge = placed.filter((r) => r.at === undefined);
  const soon = placed
    .filter((r) => r.at !== undefined && r.ms >= start && r.ms < end)
    .sort((a, b) => a.ms - b.ms || (a.campaign < b.campaign ? -1 : 1));
  const later = placed
    .filter((r) => r.at !== undefined && r.ms >= end)
    .sort((a, b) => a.ms - b.ms || (a.campaign < b.campaign ? -1 : 1))
    // A recurring campaign's occurrences past the chart: its first says when it starts.
    .filter((r, i, all) => all.findIndex((x) => x.campaign === r.campaign) === i);
  if (!onMerge.length && !soon.length && !later.length) return "";

  const shown = [...onMerge, ...soon];
  const clashes = collisions(shown);
  const clashing = new Set(clashes.flatMap(([d, , names]) => names.map((n) => `${d} ${n}`)));
  const bar = (r: Placed) => {
    const count =
      r.recipients === undefined ? "" : ` · ${r.recipients} recipient${r.recipients === 1 ? "" : "s"}`;
    const tag = clashing.has(`${day(r.ms)} ${r.campaign}`) ? "crit, " : "";
    return `  ${mermaidLabel(`${r.campaign}${count}`)} :${tag}${chartTime(r.ms)}, 1d`;
  };

  const blocks: string[] = [];
  if (shown.length) {
    const lines = [
      "```mermaid",
      "gantt",
      `  title Sends from ${day(start)} to ${day(end)} (UTC)`,
      "  dateFormat YYYY-MM-DD HH:mm",
      "  axisFormat %b %d",
      "  todayMarker off",
    ];
    if (onMerge.length) lines.push("  section On merge", ...onMerge.map(bar));
    if (soon.length) lines.push("  section Scheduled", ...soon.map(bar));
    lines.push("```");
    blocks.push(lines.join("\n"));
  }
  for (const [d, to, names] of clashes) {
    blocks.push(
      `⚠️ Same audience, same day: ${names.map(code).join(", ")} ${names.length === 2 ? "both" : "all"} send to ${code(to)} on ${d} (UTC).`,
    );
  }
  if (later.length) {
    blocks.push(
      `Later than ${CHART_DAYS} days: ${later.map((r) => `${code(r.campaign)} at ${utc(new Date(r.ms).toISOString())}`).join(", ")}.`,
    );
  }
  return `${blocks.join("\n\n")}\n`;
}
