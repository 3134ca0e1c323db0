/**
 * Campaigns reported missed (send_at more than guardrails.max_lateness ago, never started) are
 * listed by every scheduled run, every 15 minutes: easy to stop reading. Once a day, the first
 * scheduled run after 00:00 UTC also raises a warning with the remedy. Which run that is follows
 * from its time alone, so no state is kept; a run GitHub starts later than the first interval
 * (or drops) skips that day's warning.
 */
import * as core from "@actions/core";
import type { CampaignResult } from "../commands/send.js";
import { SEND_INTERVAL_MINUTES } from "./send-forecast.js";

/** The scheduled run within the first cron interval of the UTC day. */
export function firstRunOfDay(eventName: string, now: Date): boolean {
  const minutes = now.getUTCHours() * 60 + now.getUTCMinutes();
  return eventName === "schedule" && minutes < SEND_INTERVAL_MINUTES;
}

/** A warning per missed campaign, on its file (from the workspace), with what to do. */
export function warnMissed(
  results: CampaignResult[],
  fileOf: (campaign: string) => string | undefined,
): void {
  for (const r of results) {
    if (r.state !== "missed") continue;
    const file = fileOf(r.campaign);
    if (r.next !== undefined || r.missed) {
      core.warning(
        `recurring campaign ${r.campaign} missed its occurrence ${r.detail ?? ""}: no send ran within guardrails.max_lateness of it, and occurrences are never sent late. ${r.next ? `The next is at ${r.next}.` : "Its schedule has ended."} Check that the Scheduled send workflow runs.`,
        { title: "mailops: missed occurrence", ...(file ? { file } : {}) },
      );
      continue;
    }
    core.warning(
      [
        `campaign ${r.campaign} was not sent: its send_at ${r.detail ?? ""} is more than guardrails.max_lateness in the past and it never started, so no scheduled run sends it.`,
        `To send it now, run the Scheduled send workflow (Actions → Scheduled send → Run workflow) with campaign: ${r.campaign}.`,
        `Otherwise give it a new send_at, or add \`missed: acknowledged\` to ${file ?? "its campaign file"} to stop this warning.`,
      ].join(" "),
      { title: "mailops: missed campaign", ...(file ? { file } : {}) },
    );
  }
}
