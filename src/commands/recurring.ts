/**
 * Recurring campaigns (`schedule:`) for sending and its preview: which occurrence is taken now
 * (send/schedule.ts, from the runs the store shows), and the time a run's audience is judged at
 * for `exclude_sent`.
 */
import type { Campaign, Project } from "../config/model.js";
import { occurrencesAfter } from "../config/schedule.js";
import { localRunInstant } from "../send/local-time.js";
import { latestRun } from "../send/occurrences.js";
import { type Missed, type OccurrenceState, occurrenceState } from "../send/schedule.js";
import type { Store } from "../store/types.js";

/** The campaign's occurrence state at `now`; `store` undefined (no credentials): as if nothing ever ran. */
export async function recurringState(
  project: Project,
  c: Campaign,
  store: Store | undefined,
  now: Date,
): Promise<OccurrenceState> {
  const schedule = c.schedule;
  if (!schedule) throw new Error(`campaign ${c.name} has no schedule`);
  const latest = store ? await latestRun(store, c.name) : undefined;
  return occurrenceState(schedule, latest, now, project.settings.guardrails.maxLatenessSeconds);
}

/** The next `n` occurrences from `from` (ISO, inclusive) on. */
export function nextOccurrences(c: Campaign, from: string, n: number): string[] {
  if (!c.schedule) return [];
  return occurrencesAfter(c.schedule, Date.parse(from) - 1, n).map((o) => o.iso);
}

/** The instant a run is judged at (exclude_sent's window): its send_at or occurrence; an on-merge run's now. */
export const runInstant = (sendAt: string, now: Date): number =>
  sendAt === "on-merge" ? now.getTime() : (localRunInstant(sendAt) ?? Date.parse(sendAt));

/** `3 occurrences missed (newest 2027-01-18T08:00:00.000Z)`: for a result's detail. */
export function describeMissed(m: Missed): string {
  if (!m.count) return "";
  const n = `${m.count}${m.more ? " or more" : ""}`;
  return m.count === 1 && !m.more
    ? `occurrence ${m.recent[0]} was missed (never sent: past guardrails.max_lateness, or passed over by a newer one)`
    : `${n} occurrences were missed (never sent: past guardrails.max_lateness, or passed over by a newer one), the newest ${m.recent.join(", ")}`;
}
