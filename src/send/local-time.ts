/**
 * Delivery in each recipient's local time (`send_at: {local, timezone_field, default_timezone}`,
 * config/local-time.ts): which recipients are due at a moment, and how many go out in each hour.
 * Pure: the caller gives the moment.
 *
 * One campaign run spans every zone: it is due from the wall time in the earliest zone (UTC+14)
 * and ends in the latest (UTC-12), about 26 hours, one ledger run (run key `local<wall time>`).
 * Each `send --due` of that run sends the recipients whose local time has come and who have no
 * outcome yet; a recipient whose time is still to come waits (nothing recorded: a later send takes
 * them), and the run is complete only when none waits. `guardrails.max_lateness` applies per
 * recipient: one whose local time passed longer ago than that is recorded skipped as missed,
 * never sent late. A send by name (`--campaign`) is the deliberate late send: it takes everyone
 * whose time has come, however late, as it does for a one-off campaign.
 *
 * A recipient's zone is their `timezone_field`, an IANA name, checked per row; empty or missing,
 * or not a zone, the default zone is used, and counted (never the value: it is personal data).
 */

import { isIanaZone, parseWallTime, zonedInstant } from "../config/local-time.js";
import type { LocalSendAt } from "../config/model.js";
import type { MessageBuilder, MessageRecipient } from "./message.js";

/** The zones furthest from UTC (Pacific/Kiritimati, Etc/GMT+12): the run's window around the wall time. */
const EARLIEST_OFFSET_MS = 14 * 3_600_000;
const LATEST_OFFSET_MS = 12 * 3_600_000;
const HOUR_MS = 3_600_000;
/** Zone texts whose instant is kept. */
const ZONE_CACHE = 4096;

/** The skip reason of a recipient whose local time passed more than max_lateness ago. */
export const MISSED_LOCAL_TIME = "missed: local send time passed more than guardrails.max_lateness ago";

/** From the wall time in the earliest zone to it in the latest: when the run can have anyone due. */
export function localWindow(s: LocalSendAt): { from: number; to: number } {
  return { from: s.wallMs - EARLIEST_OFFSET_MS, to: s.wallMs + LATEST_OFFSET_MS };
}

/** How a recipient's zone was found: their own field, or the default for a missing or invalid one. */
export type ZoneSource = "own" | "missing" | "invalid";

/** When each recipient's local send time comes; zones are worked out once each, by their text. */
export class LocalClock {
  private readonly byZone = new Map<string, number | undefined>();
  private readonly defaultAt: number;

  constructor(readonly sendAt: LocalSendAt) {
    this.defaultAt = zonedInstant(sendAt.wallMs, sendAt.defaultTimeZone);
  }

  /** The instant (epoch ms) the recipient's send time comes, and where their zone came from. */
  of(fields: Record<string, unknown>): { at: number; zone: ZoneSource } {
    const raw = fields[this.sendAt.timezoneField];
    const text = typeof raw === "string" ? raw.trim() : "";
    if (text === "") return { at: this.defaultAt, zone: "missing" };
    let at = this.byZone.get(text);
    if (at === undefined && !this.byZone.has(text)) {
      at = isIanaZone(text) ? zonedInstant(this.sendAt.wallMs, text) : undefined;
      // Bounded: the tz database has some 600 names; a column of distinct junk must not grow it.
      if (this.byZone.size < ZONE_CACHE) this.byZone.set(text, at);
    }
    return at === undefined ? { at: this.defaultAt, zone: "invalid" } : { at, zone: "own" };
  }
}

export type LocalVerdict = "waiting" | "due" | "missed";

/**
 * A recipient whose send time is `at`, judged at `now`: waiting before it, due from it on, missed
 * once it passed more than `latenessMs` ago (undefined: never missed, a send by name).
 */
export function localVerdict(at: number, now: number, latenessMs: number | undefined): LocalVerdict {
  if (at > now) return "waiting";
  if (latenessMs !== undefined && now - at > latenessMs) return "missed";
  return "due";
}

/** What a count of the audience found, at one moment: counts only. */
export interface LocalTally {
  /** Recipients to send (the render check passed) whose time has come. */
  due: number;
  /** Recipients to send whose time is still to come. */
  waiting: number;
  /** Recipients whose time passed more than max_lateness ago: skipped, not sent. */
  missed: number;
  /** Recipients sent by the default zone: their field empty or absent, or not an IANA zone. */
  zoneMissing: number;
  zoneInvalid: number;
  /** The earliest send time still to come (epoch ms). */
  next?: number;
  /** Recipients to send (due, waiting) by the UTC hour their time comes in (epoch ms of the hour). */
  byHour: Map<number, number>;
}

export const emptyTally = (): LocalTally => ({
  due: 0,
  waiting: 0,
  missed: 0,
  zoneMissing: 0,
  zoneInvalid: 0,
  byHour: new Map(),
});

/** The tally's hours in order, as ISO instants: `[{hour: "2026-12-01T14:00:00.000Z", recipients: 12}]`. */
export function hourly(t: LocalTally): { hour: string; recipients: number }[] {
  return [...t.byHour]
    .sort(([a], [b]) => a - b)
    .map(([h, n]) => ({ hour: new Date(h).toISOString(), recipients: n }));
}

/**
 * One send (or forecast) of a local-time run at `now`: builders that skip the missed (the count's
 * also tallies), and the recipients of the send pass without those still waiting (`waiting()`
 * says how many were held back, so the run knows it is not complete).
 */
export interface LocalGate {
  readonly tally: LocalTally;
  counting(inner: MessageBuilder): MessageBuilder;
  sending(inner: MessageBuilder): MessageBuilder;
  recipients<R extends MessageRecipient>(all: AsyncIterable<R>): AsyncIterable<R>;
  waiting(): number;
}

export function localGate(sendAt: LocalSendAt, now: Date, latenessMs: number | undefined): LocalGate {
  const clock = new LocalClock(sendAt);
  const t = now.getTime();
  const tally = emptyTally();
  let held = 0;
  const missed = { ok: false as const, reason: MISSED_LOCAL_TIME };
  return {
    tally,
    counting: (inner) => {
      // Who is missed is known before the template's checks; the other tallies count only
      // recipients the checks pass, as the send would.
      const judge = (r: MessageRecipient) => {
        const { at, zone } = clock.of(r.fields);
        if (zone === "missing") tally.zoneMissing++;
        else if (zone === "invalid") tally.zoneInvalid++;
        const verdict = localVerdict(at, t, latenessMs);
        if (verdict === "missed") tally.missed++;
        return { at, verdict };
      };
      const passed = (at: number, verdict: "due" | "waiting") => {
        tally[verdict]++;
        if (verdict === "waiting" && (tally.next === undefined || at < tally.next)) tally.next = at;
        const hour = at - (((at % HOUR_MS) + HOUR_MS) % HOUR_MS);
        tally.byHour.set(hour, (tally.byHour.get(hour) ?? 0) + 1);
      };
      return {
        prepare(r) {
          const { at, verdict } = judge(r);
          if (verdict === "missed") return missed;
          const p = inner.prepare(r);
          if (p.ok) passed(at, verdict);
          return p;
        },
        skipReason(r) {
          const { at, verdict } = judge(r);
          if (verdict === "missed") return MISSED_LOCAL_TIME;
          const why = inner.skipReason(r);
          if (why === undefined) passed(at, verdict);
          return why;
        },
      };
    },
    sending: (inner) => {
      const isMissed = (r: MessageRecipient) =>
        localVerdict(clock.of(r.fields).at, t, latenessMs) === "missed";
      return {
        prepare: (r) => (isMissed(r) ? missed : inner.prepare(r)),
        skipReason: (r) => (isMissed(r) ? MISSED_LOCAL_TIME : inner.skipReason(r)),
      };
    },
    async *recipients(all) {
      held = 0;
      for await (const r of all) {
        if (localVerdict(clock.of(r.fields).at, t, latenessMs) === "waiting") held++;
        else yield r;
      }
    },
    waiting: () => held,
  };
}

/**
 * A local-time run's counts at one moment, as reports carry them: counts and UTC hours only. A
 * forecast counts the audience (`due`: to send now); a send says what its run did (`waiting`: held
 * back by it, `missed`: recorded missed by it; no `due`, its report says what was sent).
 */
export interface LocalTimeCounts {
  /** The wall-clock time and the zone of whoever has none. */
  local: string;
  defaultTimeZone: string;
  due?: number;
  waiting: number;
  missed: number;
  zoneMissing: number;
  zoneInvalid: number;
  /** The earliest send time still to come. */
  next?: string;
  hours: { hour: string; recipients: number }[];
}

/** A forecast's counts; `run`: a send's, from what its run did (its report). */
export function localTimeCounts(
  sendAt: LocalSendAt,
  t: LocalTally,
  run?: { waiting?: number; skipped: Record<string, number> },
): LocalTimeCounts {
  return {
    local: sendAt.local,
    defaultTimeZone: sendAt.defaultTimeZone,
    ...(run ? {} : { due: t.due }),
    waiting: run ? (run.waiting ?? 0) : t.waiting,
    missed: run ? (run.skipped[MISSED_LOCAL_TIME] ?? 0) : t.missed,
    zoneMissing: t.zoneMissing,
    zoneInvalid: t.zoneInvalid,
    ...(t.next !== undefined ? { next: new Date(t.next).toISOString() } : {}),
    hours: hourly(t),
  };
}

/**
 * The instant a local-time run is placed at among a campaign's runs (`exclude_sent`'s window):
 * its wall time read as UTC, the middle of its window. Undefined for any other run's send_at.
 */
export function localRunInstant(sendAt: string): number | undefined {
  return sendAt.startsWith("local:") ? parseWallTime(sendAt.slice(6)) : undefined;
}

/** A started marker's run key back to its run's send_at (ledger.ts runKey of `local:<wall time>`). */
export function localRunOfKey(key: string): string | undefined {
  const m = /^local(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?$/.exec(key);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  return `local:${y}-${mo}-${d}T${h}:${mi}${s ? `:${s}` : ""}`;
}
