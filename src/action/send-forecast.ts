/**
 * The send forecast (commands/send-forecast.ts, the same as `mailops send --dry-run`) as Markdown
 * for the pull-request comment and job summary: per campaign, when, to how many recipients of
 * which segments, and how many are left out and why. Counts only: a forecast holds no address.
 */
import type { AudienceCounts } from "../commands/audience.js";
import type { CampaignForecast } from "../commands/send-forecast.js";
import { formatVariants } from "../commands/send-variants.js";
import { escapeMd } from "../util/markdown.js";
import { localHours, localWhen } from "./local-time.js";
import { code, plural } from "./markdown.js";

export type { CampaignForecast } from "../commands/send-forecast.js";

/** The scheduled-send workflow runs every this many minutes (its cron is `*\/15 * * * *`). */
export const SEND_INTERVAL_MINUTES = 15;

/** The first tick of the scheduled-send cron at or after `iso`. */
export function firstScheduledRun(iso: string): string {
  const step = SEND_INTERVAL_MINUTES * 60_000;
  return new Date(Math.ceil(Date.parse(iso) / step) * step).toISOString();
}

export function utc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** A recurring campaign: its schedule, then the occurrence sent now or next. */
function recurringWhen(p: CampaignForecast, r: NonNullable<CampaignForecast["schedule"]>): string {
  const next = r.occurrences.map((o) => utc(o.at));
  const head =
    p.state === "due"
      ? `on merge: occurrence ${next[0] ?? ""}${r.resume ? " (resumed)" : ""}`
      : p.state === "missed"
        ? `missed ${utc(p.at ?? "")}`
        : p.state === "complete"
          ? "schedule ended"
          : `next ${next[0] ?? ""}`;
  const then = p.state === "missed" ? next : next.slice(1);
  return `${r.description}: ${head}${then.length ? `; then ${then.join(", ")}` : ""}`;
}

function when(p: CampaignForecast): string {
  if (p.schedule) return recurringWhen(p, p.schedule);
  const local = localWhen(p);
  if (local) return local;
  switch (p.state) {
    case "on-merge":
      return "on merge";
    case "due":
      return `on merge (send_at ${utc(p.at ?? "")} has passed)`;
    case "scheduled": {
      const at = p.at ?? "";
      const run = firstScheduledRun(at);
      return run === at
        ? `${utc(at)}, by the scheduled-send run at that time (GitHub may start it late)`
        : `${utc(at)}, by the scheduled-send run at ${utc(run)} (GitHub may start it late)`;
    }
    case "missed":
      return `missed (send_at ${utc(p.at ?? "")})`;
    default:
      return p.state;
  }
}

/** Everything not sent, by reason: `1 suppressed, 2 skipped (missing variable name)`. */
export function leftOut(c: AudienceCounts): string {
  const parts: string[] = [];
  if (c.suppressed) parts.push(`${c.suppressed} suppressed`);
  if (c.excluded) parts.push(`${c.excluded} excluded`);
  if (c.duplicates) parts.push(`${c.duplicates} duplicate${c.duplicates === 1 ? "" : "s"}`);
  if (c.invalid) parts.push(`${c.invalid} invalid row${c.invalid === 1 ? "" : "s"}`);
  for (const [reason, n] of Object.entries(c.skipped).sort(([a], [b]) => (a < b ? -1 : 1)))
    parts.push(`${n} skipped (${reason})`);
  return parts.length ? parts.join(", ") : "none";
}

export const sending = (p: CampaignForecast) => p.sends !== "no";

/** Counts are made with the repository's template: say so when the target's differs. */
function templateNote(p: CampaignForecast): string | undefined {
  const t = p.template;
  if (t?.onTarget === "differs")
    return `recipients checked against template ${code(t.name)} as changed here (deploy applies it before sending)`;
  if (t?.onTarget === "absent")
    return `recipients checked against template ${code(t.name)} from this repository (not on the target yet: deploy applies it before sending)`;
  return undefined;
}

/** One line for the comment's summary: `sends on merge: welcome (2 recipients); scheduled: holiday (1)`. */
export function sendsHeadline(forecasts: CampaignForecast[]): string {
  const now = forecasts.filter((p) => p.state === "on-merge" || p.state === "due");
  const later = forecasts.filter((p) => p.state === "scheduled");
  const count = (p: CampaignForecast) => (p.counts ? ` → ${plural(p.counts.toSend, "recipient")}` : "");
  const parts: string[] = [];
  if (now.length) parts.push(`on merge ${now.map((p) => `${code(p.campaign)}${count(p)}`).join(", ")}`);
  if (later.length)
    parts.push(
      `scheduled ${later.map((p) => `${code(p.campaign)} ${p.localTime ? `at ${p.localTime.local.slice(11)} local time from` : "at"} ${utc(p.at ?? "")}${count(p)}`).join(", ")}`,
    );
  return parts.length ? parts.join("; ") : "nothing";
}

export function sendsTable(forecasts: CampaignForecast[]): string {
  const active = forecasts.filter((p) => sending(p) || p.state === "missed");
  const blocks: string[] = [];
  if (active.length) {
    const rows = ["| Campaign | When | Audience | Recipients | Not sent |", "|---|---|---|---|---|"];
    for (const p of active) {
      const audience = `${p.to.map(code).join(", ")}${p.exclude.length ? ` minus ${p.exclude.map(code).join(", ")}` : ""}`;
      const recipients = p.counts ? p.counts.toSend.toLocaleString("en-US") : "—";
      const notSent = p.counts ? leftOut(p.counts) : "—";
      rows.push(
        `| ${code(p.campaign)} | ${escapeMd(when(p))} | ${audience} | ${recipients} | ${escapeMd(notSent)} |`,
      );
    }
    blocks.push(rows.join("\n"));
    const notes = active.flatMap((p) => {
      const t = templateNote(p);
      return [
        ...(p.error ? [`- ${code(p.campaign)}: ${escapeMd(p.error)}`] : []),
        ...p.notes.map((n) => `- ${code(p.campaign)}: ${escapeMd(n)}`),
        // Each variant's count and the stage, as the dry run words them.
        ...(p.variants
          ? formatVariants(p.variants).map((l) => `- ${code(p.campaign)}: ${escapeMd(l.trim())}`)
          : []),
        ...(t ? [`- ${code(p.campaign)}: ${t}`] : []),
      ];
    });
    if (notes.length) blocks.push(notes.join("\n"));
    blocks.push(...localHours(active));
  } else {
    blocks.push("No campaign is sent or scheduled by this merge.");
  }
  const drafts = forecasts.filter((p) => p.state === "draft").map((p) => code(p.campaign));
  const done = forecasts.filter((p) => p.state === "complete").map((p) => code(p.campaign));
  if (drafts.length) blocks.push(`Drafts (no send_at, never sent): ${drafts.join(", ")}.`);
  if (done.length) blocks.push(`Already sent: ${done.join(", ")}.`);
  return `${blocks.join("\n\n")}\n`;
}
