/**
 * Campaigns sent in each recipient's local time (send/local-time.ts) in what a send and its
 * forecast report: the gate a forecast counts through, and the counts as text. Counts and UTC
 * hours only: never an address, never a recipient's zone.
 */
import type { Campaign, Project } from "../config/model.js";
import { type LocalTimeCounts, localGate, localTimeCounts } from "../send/local-time.js";
import type { MessageBuilder } from "../send/message.js";

/**
 * For a forecast at `now`: the builder to count through, and the counts it leaves once the count
 * is done. `byName`: as `send --campaign` takes it, max_lateness not applied per recipient.
 */
export function localForecast(
  project: Project,
  c: Campaign,
  now: Date,
  byName: boolean,
  inner: MessageBuilder,
): { builder: MessageBuilder; counts: () => LocalTimeCounts } | undefined {
  const at = c.sendAt;
  if (at?.kind !== "local") return undefined;
  const lateness = byName ? undefined : project.settings.guardrails.maxLatenessSeconds * 1000;
  const gate = localGate(at, now, lateness);
  return { builder: gate.counting(inner), counts: () => localTimeCounts(at, gate.tally) };
}

const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/**
 * `at 2026-12-01T09:00 in each recipient's time zone (default …): 4 due now, 2 waiting (next …),
 * 0 missed …`; a send's (no `due`): the recipients its run holds back and recorded missed.
 */
export function describeLocalTime(l: LocalTimeCounts): string {
  const next = l.next ? ` (next ${utc(l.next)})` : "";
  const defaulted = [
    ...(l.zoneMissing ? [`${l.zoneMissing} without a time zone`] : []),
    ...(l.zoneInvalid ? [`${l.zoneInvalid} with an invalid time zone`] : []),
  ];
  const byDefault = defaulted.length ? `; ${defaulted.join(" and ")}, sent by ${l.defaultTimeZone}` : "";
  const due = l.due === undefined ? "" : `${l.due} due now, `;
  const missed = l.due === undefined ? "missed by this send" : "missed";
  return `at ${l.local} in each recipient's time zone (default ${l.defaultTimeZone}): ${due}${l.waiting} waiting${next}, ${l.missed} ${missed} (past guardrails.max_lateness)${byDefault}`;
}

/** The recipients by the UTC hour their local time comes in: `2026-12-01 08:00 UTC: 1`, one line each. */
export function hourLines(l: LocalTimeCounts): string[] {
  return l.hours.map((h) => `${utc(h.hour)}: ${h.recipients}`);
}
