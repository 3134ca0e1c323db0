/**
 * Delivery in each recipient's local time (a campaign's `send_at: {local, timezone_field,
 * default_timezone}`): what the declaration says, and when a wall-clock time comes in a time zone.
 * Pure: parsing and time arithmetic, no clock. Which recipients are due at a given moment is
 * send/local-time.ts.
 *
 *   send_at: { local: "2026-12-01T09:00", timezone_field: tz, default_timezone: America/New_York }
 *
 * `local` is a wall-clock time without an offset: each recipient's own zone (the subscriber field
 * `timezone_field`, an IANA name) gives it one; a row without a usable zone takes
 * `default_timezone`. Daylight saving as Temporal's `compatible` disambiguation: a wall time that
 * does not exist that day (clocks spring forward over it) comes the gap's length later (02:30 in a
 * one-hour gap is 03:30), and one that happens twice (clocks fall back) comes at the first.
 */
import { knownTimeZone } from "./schedule.js";

export interface LocalSendAt {
  kind: "local";
  /** The wall-clock time, normalized: `2026-12-01T09:00` (`:ss` only when not zero). */
  local: string;
  /** The wall-clock fields read as if in UTC: the zone-free number each zone's offset is taken from. */
  wallMs: number;
  /** The subscriber field holding each recipient's IANA time zone. */
  timezoneField: string;
  /** The zone of a recipient whose field is empty, missing or not an IANA zone. */
  defaultTimeZone: string;
}

/** A declaration problem: the key under `send_at` (or "" for send_at itself), what, and what to write. */
export interface LocalSendAtProblem {
  key: string;
  message: string;
  hint: string;
}

const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
// Area/Location names and the tz database's single names (UTC, EST5EDT, Etc/GMT+5). Not an offset
// such as `+01:00`, which newer runtimes also take as a zone but which follows no daylight saving.
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** Whether `name` is an IANA time zone the runtime knows (case as the tz database allows). */
export function isIanaZone(name: string): boolean {
  return name.length <= 64 && ZONE_NAME.test(name) && knownTimeZone(name);
}

/** A wall-clock date-time without offset, as epoch ms of the same fields in UTC; undefined if not one. */
export function parseWallTime(text: string): number | undefined {
  const m = WALL.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map((v) => Number(v ?? 0)) as number[];
  const ms = Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March and 24:00 to the next day: the fields must survive.
  if (back.getUTCMonth() !== (mo ?? 1) - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h)
    return undefined;
  if ((mi ?? 0) > 59 || (s ?? 0) > 59) return undefined;
  return ms;
}

type Raw = Record<string, unknown>;

/** `send_at:` as a mapping, into a LocalSendAt, or the problems that keep it from being one. */
export function parseLocalSendAt(raw: Raw): { sendAt?: LocalSendAt; problems: LocalSendAtProblem[] } {
  const problems: LocalSendAtProblem[] = [];
  const local = typeof raw.local === "string" ? raw.local : undefined;
  const field = typeof raw.timezone_field === "string" ? raw.timezone_field : undefined;
  const zone = typeof raw.default_timezone === "string" ? raw.default_timezone : undefined;
  const wallMs = local === undefined ? undefined : parseWallTime(local);
  if (local !== undefined && wallMs === undefined) problems.push(wallProblem(local));
  if (zone !== undefined && !isIanaZone(zone))
    problems.push({
      key: "default_timezone",
      message: `\`${zone}\` is not an IANA time zone`,
      hint: "write a name from the tz database: `America/New_York`, `Europe/Berlin`, `UTC`",
    });
  if (wallMs === undefined || field === undefined || zone === undefined || problems.length)
    return { problems };
  const normalized = new Date(wallMs).toISOString().slice(0, wallMs % 60_000 ? 19 : 16);
  return {
    sendAt: { kind: "local", local: normalized, wallMs, timezoneField: field, defaultTimeZone: zone },
    problems,
  };
}

function wallProblem(local: string): LocalSendAtProblem {
  const offset = /(Z|[+-]\d{2}:?\d{2})$/.test(local);
  return {
    key: "local",
    message: offset
      ? `\`local: ${local}\` has an offset: a local send time is a wall-clock time, each recipient's zone gives the offset`
      : `\`local: ${local}\` is not a wall-clock date-time`,
    hint: offset
      ? "write it without the offset, e.g. `2026-12-01T09:00`; for one instant for everyone write `send_at: 2026-12-01T09:00:00Z`"
      : "write a date and a time without offset, e.g. `2026-12-01T09:00`",
  };
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's offset from UTC at instant `t` (ms; positive east of Greenwich). */
export function zoneOffsetMs(zone: string, t: number): number {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(t)) p[part.type] = Number(part.value);
  const wall = Date.UTC(
    p.year ?? 0,
    (p.month ?? 1) - 1,
    p.day ?? 1,
    p.hour ?? 0,
    p.minute ?? 0,
    p.second ?? 0,
  );
  return wall - (t - (((t % 1000) + 1000) % 1000));
}

/**
 * The instant the wall-clock time `wallMs` (fields as if in UTC) comes in `zone`; daylight saving
 * as in the module header. The offsets a day before and after cover any change on that day.
 */
export function zonedInstant(wallMs: number, zone: string): number {
  const before = zoneOffsetMs(zone, wallMs - DAY_MS);
  const after = zoneOffsetMs(zone, wallMs + DAY_MS);
  const valid = [wallMs - before, wallMs - after].filter((t) => zoneOffsetMs(zone, t) === wallMs - t);
  if (valid.length) return Math.min(...valid);
  // In the gap: the offset before the change puts it the gap's length later.
  return wallMs - before;
}
