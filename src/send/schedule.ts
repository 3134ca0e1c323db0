/**
 * Which occurrence of a recurring campaign a send takes, and why the others wait. Pure: the
 * calendar (config/schedule.ts), the latest started run (send/occurrences.ts) and the time in,
 * a state out. Each occurrence is a run of its own, keyed by its instant (ledger.ts runKey).
 *
 * The rules, in order:
 * 1. One occurrence in flight at a time. The latest started run not complete (stopped, partial, a
 *    crash) is taken again first, however late: a run under way always finishes (as in due.ts).
 *    The newest occurrence, when it is due, is named `newer`: the send takes it only once the
 *    earlier run completes, else it waits for a later send.
 * 2. The newest occurrence at or before now, not started yet, is due while it is at most
 *    guardrails.max_lateness old.
 * 3. Occurrences never started between the latest started run and the one taken (or now) are
 *    missed: past max_lateness, or passed over by a newer one before any send ran (catching up
 *    would mail everyone several times at once). They are reported and never sent. Before the
 *    first run ever, only occurrences from an explicit `start` count: without one the campaign
 *    may simply be new, and its first occurrence is the next one.
 */
import {
  type Instant,
  occurrenceAfter,
  occurrenceAtOrBefore,
  occurrencesBefore,
  type Schedule,
} from "../config/schedule.js";

/** The latest started run of a recurring campaign (its started marker, and whether it completed). */
export interface LatestRun {
  at: Instant;
  complete: boolean;
}

/** Occurrences never sent: the newest few (newest first), and how many (at most MISSED_COUNTED). */
export interface Missed {
  count: number;
  recent: string[];
  /** More than `count` were missed. */
  more?: boolean;
}

export const MISSED_COUNTED = 100;
const MISSED_SHOWN = 5;

export type OccurrenceState =
  /** `at` is the occurrence to send; `resume`: its run started before; `newer`: a newer one due after it. */
  | { state: "due"; at: string; resume: boolean; newer?: string; next?: string; missed: Missed }
  | { state: "scheduled"; at: string; missed: Missed }
  /** `at`: the newest missed occurrence; `next`: the one after now, if the schedule goes on. */
  | { state: "missed"; at: string; next?: string; missed: Missed }
  /** The schedule has ended and its last occurrence ran. */
  | { state: "complete"; missed: Missed };

export function occurrenceState(
  s: Schedule,
  latest: LatestRun | undefined,
  now: Date,
  maxLatenessSeconds: number,
): OccurrenceState {
  const t = now.getTime();
  const late = (o: Instant) => t - o.epochMs > maxLatenessSeconds * 1000;
  const current = occurrenceAtOrBefore(s, t);
  // The newest occurrence not started yet (a run for a later instant counts as after it).
  const fresh = current && (!latest || current.epochMs > latest.at.epochMs) ? current : undefined;
  const next = occurrenceAfter(s, Math.max(t, latest?.at.epochMs ?? t))?.iso;
  const floor = latest?.at.epochMs ?? (s.start ? s.start.epochMs - 1 : (current?.epochMs ?? t));
  const takeFresh = fresh !== undefined && !late(fresh);
  if (latest && !latest.complete) {
    const missed = missedBetween(s, floor, takeFresh ? fresh.epochMs : t + 1);
    return {
      state: "due",
      at: latest.at.iso,
      resume: true,
      ...(takeFresh ? { newer: fresh.iso } : {}),
      ...(next ? { next } : {}),
      missed,
    };
  }
  if (takeFresh) {
    const missed = missedBetween(s, floor, fresh.epochMs);
    return { state: "due", at: fresh.iso, resume: false, ...(next ? { next } : {}), missed };
  }
  const missed = missedBetween(s, floor, t + 1);
  if (missed.count)
    return { state: "missed", at: missed.recent[0] as string, ...(next ? { next } : {}), missed };
  if (next) return { state: "scheduled", at: next, missed };
  return { state: "complete", missed };
}

/** Occurrences strictly between `low` and `high` (epoch ms), newest first, counted up to MISSED_COUNTED. */
function missedBetween(s: Schedule, low: number, high: number): Missed {
  // The usual case, nothing missed, costs one look back.
  const newest = occurrencesBefore(s, high, 1)[0];
  if (!newest || newest.epochMs <= low) return { count: 0, recent: [] };
  const found = occurrencesBefore(s, high, MISSED_COUNTED + 1).filter((o) => o.epochMs > low);
  const more = found.length > MISSED_COUNTED;
  const counted = found.slice(0, MISSED_COUNTED);
  return {
    count: counted.length,
    recent: counted.slice(0, MISSED_SHOWN).map((o) => o.iso),
    ...(more ? { more: true } : {}),
  };
}
