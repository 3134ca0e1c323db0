/** A local send time's declaration, and when a wall-clock time comes in a zone (daylight saving included). */
import { describe, expect, it } from "vitest";
import { isIanaZone, parseLocalSendAt, parseWallTime, zonedInstant } from "../../src/config/local-time.js";

const wall = (text: string) => parseWallTime(text) as number;
const iso = (ms: number) => new Date(ms).toISOString();

describe("parseLocalSendAt", () => {
  it("reads a wall time without offset, a field and a default zone", () => {
    const { sendAt, problems } = parseLocalSendAt({
      local: "2026-12-01T09:00",
      timezone_field: "tz",
      default_timezone: "America/New_York",
    });
    expect(problems).toEqual([]);
    expect(sendAt).toEqual({
      kind: "local",
      local: "2026-12-01T09:00",
      wallMs: Date.UTC(2026, 11, 1, 9),
      timezoneField: "tz",
      defaultTimeZone: "America/New_York",
    });
  });

  it.each([
    ["2026-12-01T09:00Z", "local", /has an offset/],
    ["2026-12-01T09:00+01:00", "local", /has an offset/],
    ["2026-02-30T09:00", "local", /not a wall-clock/],
    ["2026-12-01T24:00", "local", /not a wall-clock/],
    ["2026-12-01 09:00", "local", /not a wall-clock/],
  ])("refuses local %s", (local, key, message) => {
    const { sendAt, problems } = parseLocalSendAt({ local, timezone_field: "tz", default_timezone: "UTC" });
    expect(sendAt).toBeUndefined();
    expect(problems.map((p) => p.key)).toEqual([key]);
    expect(problems[0]?.message).toMatch(message);
  });

  it("refuses a default zone that is not an IANA name", () => {
    for (const zone of ["Mars/Base", "+01:00", "-05:00", "", "Europe/Berlin "]) {
      const { problems } = parseLocalSendAt({
        local: "2026-12-01T09:00",
        timezone_field: "tz",
        default_timezone: zone,
      });
      expect(
        problems.map((p) => p.key),
        zone,
      ).toEqual(["default_timezone"]);
    }
  });
});

describe("isIanaZone", () => {
  it("takes tz database names and refuses offsets and unknown names", () => {
    // Canonical names, and aliases the runtime's list of canonical names leaves out.
    for (const z of [
      ...["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Asia/Kolkata"],
      ...["US/Eastern", "Asia/Calcutta", "Etc/UTC", "europe/berlin"],
    ])
      expect(isIanaZone(z), z).toBe(true);
    for (const z of ["", "Berlin", "+05:30", "Europe/Nowhere", "../etc/passwd", "x".repeat(100)])
      expect(isIanaZone(z), z).toBe(false);
  });
});

describe("zonedInstant", () => {
  it("09:00 in zones east and west of UTC, with their daylight saving on the day", () => {
    const nine = wall("2026-12-01T09:00");
    expect(iso(zonedInstant(nine, "UTC"))).toBe("2026-12-01T09:00:00.000Z");
    expect(iso(zonedInstant(nine, "America/New_York"))).toBe("2026-12-01T14:00:00.000Z");
    expect(iso(zonedInstant(nine, "Europe/Berlin"))).toBe("2026-12-01T08:00:00.000Z");
    expect(iso(zonedInstant(nine, "Asia/Kolkata"))).toBe("2026-12-01T03:30:00.000Z");
    expect(iso(zonedInstant(nine, "Pacific/Kiritimati"))).toBe("2026-11-30T19:00:00.000Z");
    expect(iso(zonedInstant(nine, "Australia/Sydney"))).toBe("2026-11-30T22:00:00.000Z"); // summer: +11
    expect(iso(zonedInstant(wall("2026-07-01T09:00"), "America/New_York"))).toBe("2026-07-01T13:00:00.000Z");
  });

  it("a wall time in the spring-forward gap comes the gap's length later; one that happens twice, at the first", () => {
    // New York, 2027-03-14: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist: 03:30 EDT.
    expect(iso(zonedInstant(wall("2027-03-14T02:30"), "America/New_York"))).toBe("2027-03-14T07:30:00.000Z");
    // New York, 2026-11-01: 01:30 happens at 05:30Z (EDT) and 06:30Z (EST): the first.
    expect(iso(zonedInstant(wall("2026-11-01T01:30"), "America/New_York"))).toBe("2026-11-01T05:30:00.000Z");
    // Berlin, 2027-03-28: 02:30 CET does not exist: 03:30 CEST = 01:30Z.
    expect(iso(zonedInstant(wall("2027-03-28T02:30"), "Europe/Berlin"))).toBe("2027-03-28T01:30:00.000Z");
  });
});
