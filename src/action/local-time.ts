/**
 * A campaign sent in each recipient's local time in the pull request's comment: when (the wall
 * time, and the UTC span its zones make), and how many recipients go out in each UTC hour. Counts
 * only: a forecast holds no address and no recipient's zone.
 */
import type { CampaignForecast } from "../commands/send-forecast.js";
import { code, plural } from "./markdown.js";

const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/** `09:00 local time on 2026-12-01 (default America/New_York), 2026-11-30 19:00 UTC to 2026-12-01 19:00 UTC` */
export function localWhen(p: CampaignForecast): string | undefined {
  const l = p.localTime;
  if (!l) return undefined;
  const [day, time] = l.local.split("T") as [string, string];
  const first = l.hours[0]?.hour;
  const last = l.hours.at(-1)?.hour;
  const span = first && last ? `, ${utc(first)} to ${utc(last)}` : "";
  const state = p.state === "due" ? "under way: " : p.state === "missed" ? "missed: " : "";
  return `${state}${time} local time on ${day} (default ${l.defaultTimeZone})${span}`;
}

/** Per local-time campaign: recipients by UTC hour, who is due now, and zones the default stood in for. */
export function localHours(forecasts: CampaignForecast[]): string[] {
  const blocks: string[] = [];
  for (const p of forecasts) {
    const l = p.localTime;
    if (!l?.hours.length) continue;
    const rows = ["| Hour (UTC) | Recipients |", "|---|---|"];
    for (const h of l.hours) rows.push(`| ${utc(h.hour)} | ${h.recipients.toLocaleString("en-US")} |`);
    const defaulted = l.zoneMissing + l.zoneInvalid;
    const facts = [
      ...(l.due ? [`${plural(l.due, "recipient")} due now`] : []),
      ...(l.missed ? [`${plural(l.missed, "recipient")} past guardrails.max_lateness (not sent)`] : []),
      ...(defaulted
        ? [
            `${plural(defaulted, "recipient")} sent by ${code(l.defaultTimeZone)} (${l.zoneMissing} without a time zone, ${l.zoneInvalid} with an invalid one)`,
          ]
        : []),
    ];
    blocks.push(
      [
        `${code(p.campaign)} goes out at ${l.local.slice(11)} in each recipient's time zone, by hour:`,
        "",
        rows.join("\n"),
        ...(facts.length ? ["", `${facts.join("; ")}.`] : []),
      ].join("\n"),
    );
  }
  return blocks;
}
