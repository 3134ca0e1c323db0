/**
 * A recurring campaign's calendar (a campaign's `schedule:`): what it says, and when each of its
 * occurrences is. Pure: parsing and time arithmetic, no clock.
 *
 *   schedule: { every: 7 days, start: 2027-01-04T09:00:00+01:00, until: … }
 *     a rate: a fixed interval from `start` (as EventBridge's `rate(7 days)`). Fixed means fixed
 *     in real time: across a daylight-saving change its local time moves by the hour.
 *   schedule: { cron: "0 9 * * MON", time_zone: Europe/Berlin, start: …, until: … }
 *     five-field cron read in an IANA time zone (croner). Daylight saving as Vixie cron does it:
 *     a fixed time that does not exist on the day clocks spring forward (02:30 in Berlin on the
 *     last Sunday of March) runs at the first valid time after the gap, the same day; a fixed time
 *     that occurs twice (autumn) runs once, at its first occurrence. Day of month and day of week
 *     together match either (cron's OR), as in crontab.
 *
 * Occurrences are instants. None is before `start` or after `until` (both inclusive).
 */
import { Cron } from "croner";

/** An instant as written in the ledger and reports (`toISOString`), with its epoch milliseconds. */
export interface Instant {
  iso: string;
  epochMs: number;
}

export type Schedule =
  | { kind: "rate"; every: string; everyMs: number; start: Instant; until?: Instant }
  | { kind: "cron"; cron: string; timeZone: string; start?: Instant; until?: Instant };

export const instant = (epochMs: number): Instant => ({ iso: new Date(epochMs).toISOString(), epochMs });

const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 date-time with an explicit offset that names a real instant; undefined otherwise. */
export function parseInstant(text: string): Instant | undefined {
  const m = ISO_WITH_OFFSET.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const epochMs = Date.parse(text);
  if (Number.isNaN(epochMs)) return undefined;
  // Date.parse rolls 2026-02-30 over to March; check the calendar fields survive.
  const check = new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1));
  if (check.getUTCMonth() !== (mo ?? 1) - 1 || (h ?? 0) > 23 || (mi ?? 0) > 59 || (s ?? 0) > 59)
    return undefined;
  return instant(epochMs);
}

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 } as const;

/** `7 days`, `1 week`, `12 hours`, `30 minutes`: milliseconds; undefined for anything else. */
export function parseEvery(text: string): number | undefined {
  const m = /^\s*(\d+)\s*(minute|hour|day|week)s?\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n > 0 ? n * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
}

let canonicalZones: Set<string> | undefined;

/**
 * Whether the runtime knows this IANA time zone. The canonical names are looked up in a list (a
 * few ms); only another spelling (an alias such as `US/Eastern` or `UTC`, another case) builds a
 * DateTimeFormat, whose first construction loads ICU's date formatting: about 35 ms of every
 * command's start-up when a schedule names a zone.
 */
export function knownTimeZone(zone: string): boolean {
  canonicalZones ??= new Set(Intl.supportedValuesOf("timeZone"));
  if (canonicalZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A schedule field that does not make a schedule: where, and what to write instead. */
export interface ScheduleProblem {
  key: string;
  message: string;
  hint: string;
}

type Raw = Record<string, unknown>;
const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** `schedule:` as written, into a Schedule, or the problems that keep it from being one. */
export function parseSchedule(raw: Raw): { schedule?: Schedule; problems: ScheduleProblem[] } {
  const problems: ScheduleProblem[] = [];
  const bound = (key: "start" | "until"): Instant | undefined => {
    const v = text(raw[key]);
    if (v === undefined) return undefined;
    const at = parseInstant(v);
    if (!at)
      problems.push({
        key,
        message: `\`${key}: ${v}\` is not a date-time with an offset`,
        hint: "write e.g. `2027-01-04T09:00:00+01:00` or `2027-01-04T08:00:00Z`",
      });
    return at;
  };
  const start = bound("start");
  const until = bound("until");
  const every = text(raw.every);
  const cron = text(raw.cron);
  if ((every === undefined) === (cron === undefined)) {
    problems.push({
      key: every === undefined ? "" : "cron",
      message: "a schedule is either `every` (a rate from `start`) or `cron` (with `time_zone`), one of them",
      hint: 'write `every: 7 days` with `start:`, or `cron: "0 9 * * MON"` with `time_zone: Europe/Berlin`',
    });
    return { problems };
  }
  const schedule =
    every !== undefined ? rate(every, raw, start, problems) : cronOf(cron ?? "", raw, problems);
  if (!schedule || problems.length) return { problems };
  if (until) schedule.until = until;
  if (start && schedule.kind === "cron") schedule.start = start;
  // Without a start, from 1970: any occurrence at all, before `until` if there is one.
  if (!hasOccurrence(schedule, (start?.epochMs ?? 0) - 1)) {
    problems.push({
      key: until ? "until" : cron !== undefined ? "cron" : "every",
      message: "this schedule has no occurrence at all",
      hint: until
        ? "`until` is before the first occurrence: move it later"
        : "check the cron expression's day and month",
    });
    return { problems };
  }
  return { schedule, problems };
}

function rate(
  every: string,
  raw: Raw,
  start: Instant | undefined,
  problems: ScheduleProblem[],
): Schedule | undefined {
  const everyMs = parseEvery(every);
  if (everyMs === undefined)
    problems.push({
      key: "every",
      message: `\`every: ${every}\` is not an interval`,
      hint: "write a whole number and a unit: `7 days`, `1 week`, `12 hours`, `30 minutes`",
    });
  if (raw.time_zone !== undefined)
    problems.push({
      key: "time_zone",
      message: "`time_zone` goes with `cron`: a rate is a fixed interval from `start`, whatever the zone",
      hint: "remove it, or write the schedule as `cron` to keep a local wall-clock time across daylight saving",
    });
  if (raw.start === undefined)
    problems.push({
      key: "",
      message: "a rate (`every`) needs a `start`: the first occurrence",
      hint: "add e.g. `start: 2027-01-04T09:00:00+01:00`",
    });
  if (everyMs === undefined || !start) return undefined;
  return { kind: "rate", every, everyMs, start };
}

function cronOf(cron: string, raw: Raw, problems: ScheduleProblem[]): Schedule | undefined {
  const timeZone = text(raw.time_zone);
  if (timeZone === undefined) {
    problems.push({
      key: "",
      message: "a `cron` schedule needs a `time_zone`: the same expression is another instant in every zone",
      hint: "add e.g. `time_zone: Europe/Berlin`, or `time_zone: UTC`",
    });
    return undefined;
  }
  if (!knownTimeZone(timeZone)) {
    problems.push({
      key: "time_zone",
      message: `\`${timeZone}\` is not an IANA time zone`,
      hint: "write a name from the tz database: `Europe/Berlin`, `America/New_York`, `UTC`",
    });
    return undefined;
  }
  const schedule: Schedule = { kind: "cron", cron, timeZone };
  try {
    cronJob(schedule);
  } catch (e) {
    problems.push({
      key: "cron",
      message: `\`${cron}\` is not a cron expression: ${(e as Error).message.replace(/^CronPattern: /, "")}`,
      hint: "five fields: minute hour day-of-month month day-of-week, e.g. `0 9 * * MON` (Mondays 09:00)",
    });
    return undefined;
  }
  return schedule;
}

const jobs = new WeakMap<Schedule, Cron>();

function cronJob(s: Extract<Schedule, { kind: "cron" }>): Cron {
  let job = jobs.get(s);
  if (!job) {
    // mode 5-part: no seconds or year field; croner's other extensions (L, W, #) are allowed.
    job = new Cron(s.cron, { timezone: s.timeZone, mode: "5-part" });
    jobs.set(s, job);
  }
  return job;
}

/**
 * Whether the schedule has an occurrence after `t`. Unbounded above, a cron pattern that fires
 * once fires again (yearly at most), in any zone: asked in the process's own zone, it needs no
 * zone lookup, whose first one loads ICU's date formatting (about 35 ms of every command's
 * start-up when a campaign has a schedule).
 */
function hasOccurrence(s: Schedule, t: number): boolean {
  if (s.kind === "rate" || s.until !== undefined) return occurrenceAfter(s, t) !== undefined;
  return new Cron(s.cron, { mode: "5-part" }).nextRun(new Date(t)) !== null;
}

const inBounds = (s: Schedule, ms: number): boolean =>
  (s.start === undefined || ms >= s.start.epochMs) && (s.until === undefined || ms <= s.until.epochMs);

/** The latest occurrence at or before `t`. */
export function occurrenceAtOrBefore(s: Schedule, t: number): Instant | undefined {
  return occurrencesBefore(s, t + 1, 1)[0];
}

/** Up to `n` occurrences strictly before `t`, newest first. */
export function occurrencesBefore(s: Schedule, t: number, n: number): Instant[] {
  const end = s.until ? Math.min(t, s.until.epochMs + 1) : t;
  const out: Instant[] = [];
  // Nothing before the start: a campaign scheduled from a later date asks no calendar (whose first
  // zoned date loads ICU's date formatting).
  if (s.start && end <= s.start.epochMs) return out;
  if (s.kind === "rate") {
    let k = Math.ceil((end - s.start.epochMs) / s.everyMs) - 1;
    for (; k >= 0 && out.length < n; k--) out.push(instant(s.start.epochMs + k * s.everyMs));
    return out;
  }
  for (const d of cronJob(s).previousRuns(n, new Date(end))) {
    if (!inBounds(s, d.getTime())) break;
    out.push(instant(d.getTime()));
  }
  return out;
}

/** The first occurrence strictly after `t`. */
export function occurrenceAfter(s: Schedule, t: number): Instant | undefined {
  return occurrencesAfter(s, t, 1)[0];
}

/** Up to `n` occurrences strictly after `t`, oldest first. */
export function occurrencesAfter(s: Schedule, t: number, n: number): Instant[] {
  const from = s.start ? Math.max(t, s.start.epochMs - 1) : t;
  const out: Instant[] = [];
  if (s.kind === "rate") {
    let k = Math.max(0, Math.floor((from - s.start.epochMs) / s.everyMs) + 1);
    for (; out.length < n; k++) {
      const ms = s.start.epochMs + k * s.everyMs;
      if (!inBounds(s, ms)) break;
      out.push(instant(ms));
    }
    return out;
  }
  // Bounded: `nextRuns` stops at the first null; a start far in the past costs nothing.
  for (const d of cronJob(s).nextRuns(n, new Date(from))) {
    if (!inBounds(s, d.getTime())) break;
    out.push(instant(d.getTime()));
  }
  return out;
}

/** For people: `every 7 days from 2027-01-04 08:00 UTC`, `0 9 * * MON (Europe/Berlin)`. */
export function describeSchedule(s: Schedule): string {
  const utc = (i: Instant) => `${i.iso.slice(0, 10)} ${i.iso.slice(11, 16)} UTC`;
  const until = s.until ? `, until ${utc(s.until)}` : "";
  if (s.kind === "rate") return `every ${s.every} from ${utc(s.start)}${until}`;
  return `cron \`${s.cron}\` (${s.timeZone})${s.start ? `, from ${utc(s.start)}` : ""}${until}`;
}
