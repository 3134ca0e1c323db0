/**
 * A recurring campaign in the send forecast (`send --dry-run`, the pull request's comment): its
 * occurrence state now (send/schedule.ts), the next occurrences, and the audience counted once,
 * for the first of them (exclude_sent judged at that occurrence). Counts only.
 */
import type { Campaign, Project } from "../config/model.js";
import { describeSchedule, occurrencesAfter } from "../config/schedule.js";
import { LedgerDamagedError } from "../send/ledger.js";
import type { Missed, OccurrenceState } from "../send/schedule.js";
import { describeMissed, recurringState } from "./recurring.js";
import type { CampaignForecast, ForecastState, Seen } from "./send-forecast.js";

export interface RecurringForecast {
  /** For people: `cron \`0 9 * * MON\` (Europe/Berlin)`, `every 7 days from …`. */
  description: string;
  /**
   * The next occurrences, the one a send takes now first (when one is due). `recipients`: the
   * audience as counted now; absent for later ones when the campaign excludes its own earlier
   * runs (they reach only whoever an earlier occurrence did not).
   */
  occurrences: { at: string; recipients?: number }[];
  missed?: Missed;
  /** The occurrence taken now is an earlier run's, resumed: one occurrence in flight at a time. */
  resume?: boolean;
  /** A newer occurrence, due too, that waits until the resumed run completes. */
  waiting?: string;
}

/** Occurrences listed. */
const SHOWN = 4;

/**
 * The forecast of a recurring campaign, and the occurrence to count (`countAt`, when a send takes
 * one); once counted, recipientsCounted() puts the count on its occurrences.
 */
export async function forecastRecurring(
  project: Project,
  c: Campaign,
  o: Seen,
): Promise<{ forecast: CampaignForecast; countAt?: string }> {
  const base = { campaign: c.name, to: c.to, exclude: c.exclude, notes: [] as string[] };
  let st: OccurrenceState;
  try {
    st = await recurringState(project, c, o.store, o.now);
  } catch (e) {
    if (!(e instanceof LedgerDamagedError)) throw e;
    const error = `sending refuses this campaign: ${e.withHint()}`;
    return { forecast: { ...base, state: "due", sends: "no", error } };
  }
  // The occurrence counted: the one due, or the next (after a missed one, the one after it).
  const first =
    st.state === "due" || st.state === "scheduled" ? st.at : st.state === "missed" ? st.next : undefined;
  const at = st.state === "missed" ? st.at : first;
  const forecast: CampaignForecast = {
    ...base,
    ...shape(st),
    ...(at ? { at } : {}),
    schedule: scheduleForecast(c, st, first, o.now),
  };
  notes(forecast, c, st, o);
  if (!first || forecast.sends === "no") return { forecast };
  return { forecast, countAt: first };
}

/** The audience counted for the first occurrence, on the occurrences it stands for. */
export function recipientsCounted(forecast: CampaignForecast, c: Campaign): void {
  const n = forecast.counts?.toSend;
  const self = (c.excludeSent ?? []).some((e) => e.campaign === c.name);
  const schedule = forecast.schedule as RecurringForecast;
  schedule.occurrences = schedule.occurrences.map((occ, i) =>
    n === undefined || (i > 0 && self) ? occ : { ...occ, recipients: n },
  );
}

/** The forecast's state and whether the send asked for takes it (now, at its next occurrence, never). */
function shape(st: OccurrenceState): { state: ForecastState; sends: CampaignForecast["sends"] } {
  if (st.state === "due") return { state: "due", sends: "now" };
  if (st.state === "scheduled") return { state: "scheduled", sends: "later" };
  if (st.state === "missed") return { state: "missed", sends: st.next ? "later" : "no" };
  return { state: "complete", sends: "no" };
}

function scheduleForecast(
  c: Campaign,
  st: OccurrenceState,
  first: string | undefined,
  now: Date,
): RecurringForecast {
  const schedule = c.schedule;
  if (!schedule) throw new Error(`campaign ${c.name} has no schedule`);
  const newer = st.state === "due" ? st.newer : undefined;
  const listed = [first, newer].filter((x): x is string => x !== undefined);
  const from = Math.max(now.getTime(), ...listed.map((x) => Date.parse(x)));
  const later = listed.length
    ? occurrencesAfter(schedule, from, SHOWN - listed.length).map((i) => i.iso)
    : [];
  return {
    description: describeSchedule(schedule),
    occurrences: [...listed, ...later].map((at) => ({ at })),
    ...(st.missed.count ? { missed: st.missed } : {}),
    ...(st.state === "due" && st.resume ? { resume: true } : {}),
    ...(newer ? { waiting: newer } : {}),
  };
}

function notes(forecast: CampaignForecast, c: Campaign, st: OccurrenceState, o: Seen): void {
  if (st.missed.count)
    forecast.notes.push(`${describeMissed(st.missed)}; a recurring campaign never sends an occurrence late`);
  if (st.state === "due" && st.resume) {
    forecast.notes.push(
      `the run of occurrence ${st.at} is not complete: it is resumed first (recipients it already sent to are not sent to again)`,
    );
    if (st.newer) forecast.notes.push(`occurrence ${st.newer} is sent after it, once that run completes`);
  }
  if (o.campaign !== undefined && st.state !== "due")
    forecast.notes.push(
      "a send by name refuses: no occurrence is due now, and none is ever sent early or late",
    );
  if ((c.excludeSent ?? []).some((e) => e.campaign === c.name) && forecast.sends !== "no")
    forecast.notes.push("later occurrences reach only whoever an earlier one did not (exclude_sent)");
}
