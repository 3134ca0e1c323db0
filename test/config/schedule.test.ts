/** A recurring campaign's calendar (config/schedule.ts) and which occurrence is taken (send/schedule.ts). */
import { describe, expect, it } from "vitest";
import {
  occurrenceAfter,
  occurrenceAtOrBefore,
  occurrencesAfter,
  parseSchedule,
  type Schedule,
} from "../../src/config/schedule.js";
import { type LatestRun, occurrenceState } from "../../src/send/schedule.js";

const parsed = (raw: Record<string, unknown>): Schedule => {
  const { schedule, problems } = parseSchedule(raw);
  expect(problems).toEqual([]);
  return schedule as Schedule;
};
const isos = (s: Schedule, from: string, n: number) =>
  occurrencesAfter(s, Date.parse(from), n).map((o) => o.iso);

describe("cron in Europe/Berlin across daylight saving", () => {
  it("a weekly 09:00 is 08:00 UTC in winter and 07:00 UTC in summer", () => {
    const s = parsed({ cron: "0 9 * * MON", time_zone: "Europe/Berlin" });
    expect(isos(s, "2027-03-20T00:00:00Z", 3)).toEqual([
      "2027-03-22T08:00:00.000Z",
      "2027-03-29T07:00:00.000Z",
      "2027-04-05T07:00:00.000Z",
    ]);
    expect(isos(s, "2027-10-23T00:00:00Z", 2)).toEqual([
      "2027-10-25T07:00:00.000Z", // still summer time: clocks go back on 31 October
      "2027-11-01T08:00:00.000Z",
    ]);
  });

  it("02:30 on the day clocks spring forward (no such time) runs at 03:00 CEST, once", () => {
    const s = parsed({ cron: "30 2 * * *", time_zone: "Europe/Berlin" });
    expect(isos(s, "2027-03-27T00:00:00Z", 3)).toEqual([
      "2027-03-27T01:30:00.000Z", // 02:30 CET
      "2027-03-28T01:00:00.000Z", // 03:00 CEST, the first valid time after the gap
      "2027-03-29T00:30:00.000Z", // 02:30 CEST
    ]);
  });

  it("02:30 on the day clocks fall back (twice) runs once, at the first", () => {
    const s = parsed({ cron: "30 2 * * *", time_zone: "Europe/Berlin" });
    expect(isos(s, "2027-10-30T00:00:00Z", 3)).toEqual([
      "2027-10-30T00:30:00.000Z", // 02:30 CEST
      "2027-10-31T00:30:00.000Z", // 02:30 CEST, not again at 02:30 CET (01:30 UTC)
      "2027-11-01T01:30:00.000Z", // 02:30 CET
    ]);
  });

  it("looks back the same way it looks forward", () => {
    const s = parsed({ cron: "30 2 * * *", time_zone: "Europe/Berlin" });
    expect(occurrenceAtOrBefore(s, Date.parse("2027-03-28T12:00:00Z"))?.iso).toBe("2027-03-28T01:00:00.000Z");
    expect(occurrenceAtOrBefore(s, Date.parse("2027-03-28T01:00:00Z"))?.iso).toBe("2027-03-28T01:00:00.000Z");
    expect(occurrenceAfter(s, Date.parse("2027-03-28T01:00:00Z"))?.iso).toBe("2027-03-29T00:30:00.000Z");
  });
});

describe("rates, start and until", () => {
  it("a rate is a fixed interval from start: its local time moves with daylight saving", () => {
    const s = parsed({ every: "7 days", start: "2027-03-22T09:00:00+01:00" });
    expect(isos(s, "2027-01-01T00:00:00Z", 2)).toEqual([
      "2027-03-22T08:00:00.000Z",
      "2027-03-29T08:00:00.000Z",
    ]);
    expect(occurrenceAtOrBefore(s, Date.parse("2027-03-29T07:59:59Z"))?.iso).toBe("2027-03-22T08:00:00.000Z");
    expect(occurrenceAtOrBefore(s, Date.parse("2027-03-22T07:00:00Z"))).toBeUndefined();
  });

  it("nothing before start or after until (both inclusive)", () => {
    const s = parsed({
      cron: "0 9 * * MON",
      time_zone: "UTC",
      start: "2027-01-04T09:00:00Z",
      until: "2027-01-18T09:00:00Z",
    });
    expect(isos(s, "2026-01-01T00:00:00Z", 5)).toEqual([
      "2027-01-04T09:00:00.000Z",
      "2027-01-11T09:00:00.000Z",
      "2027-01-18T09:00:00.000Z",
    ]);
    expect(occurrenceAtOrBefore(s, Date.parse("2027-06-01T00:00:00Z"))?.iso).toBe("2027-01-18T09:00:00.000Z");
    const r = parsed({ every: "1 week", start: "2027-01-04T09:00:00Z", until: "2027-01-11T09:00:00Z" });
    expect(isos(r, "2026-01-01T00:00:00Z", 5)).toEqual([
      "2027-01-04T09:00:00.000Z",
      "2027-01-11T09:00:00.000Z",
    ]);
  });

  it.each([
    [{ cron: "0 9 * * MON" }, "needs a `time_zone`"],
    [{ cron: "0 9 * * MON", time_zone: "Europe/Berln" }, "`Europe/Berln` is not an IANA time zone"],
    [{ cron: "0 9 * *", time_zone: "UTC" }, "is not a cron expression"],
    [{ cron: "0 0 9 * * MON", time_zone: "UTC" }, "is not a cron expression"],
    [{ cron: "0 9 31 2 *", time_zone: "UTC" }, "no occurrence at all"],
    [{ every: "7 days" }, "needs a `start`"],
    [{ every: "fortnightly", start: "2027-01-04T09:00:00Z" }, "is not an interval"],
    [{ every: "7 days", start: "2027-01-04 09:00" }, "is not a date-time with an offset"],
    [{ every: "7 days", start: "2027-01-04T09:00:00Z", time_zone: "UTC" }, "`time_zone` goes with `cron`"],
    [{ every: "7 days", cron: "0 9 * * MON", time_zone: "UTC" }, "either `every`"],
    [
      { every: "1 day", start: "2027-01-04T09:00:00Z", until: "2027-01-01T00:00:00Z" },
      "no occurrence at all",
    ],
  ])("refuses %j", (raw, message) => {
    const { schedule, problems } = parseSchedule(raw);
    expect(schedule).toBeUndefined();
    expect(problems.map((p) => p.message).join("\n")).toContain(message);
  });
});

describe("which occurrence a send takes", () => {
  const weekly = parsed({ cron: "0 9 * * MON", time_zone: "UTC", start: "2027-01-04T00:00:00Z" });
  const DAY = 86_400;
  const at = (iso: string, complete: boolean): LatestRun => ({
    at: { iso, epochMs: Date.parse(iso) },
    complete,
  });
  const state = (latest: LatestRun | undefined, now: string) =>
    occurrenceState(weekly, latest, new Date(now), DAY);

  it.each([
    [
      "before the first occurrence: scheduled",
      undefined,
      "2027-01-01T00:00:00Z",
      { state: "scheduled", at: "2027-01-04T09:00:00.000Z" },
    ],
    [
      "its time has come: due",
      undefined,
      "2027-01-04T09:05:00Z",
      { state: "due", at: "2027-01-04T09:00:00.000Z", resume: false },
    ],
    [
      "its run is complete: the next is scheduled",
      at("2027-01-04T09:00:00.000Z", true),
      "2027-01-05T00:00:00Z",
      { state: "scheduled", at: "2027-01-11T09:00:00.000Z" },
    ],
    [
      "past max_lateness: missed, with the next",
      at("2027-01-04T09:00:00.000Z", true),
      "2027-01-12T10:00:00Z",
      { state: "missed", at: "2027-01-11T09:00:00.000Z", next: "2027-01-18T09:00:00.000Z" },
    ],
    [
      "an unfinished run is taken first, the newer one after",
      at("2027-01-04T09:00:00.000Z", false),
      "2027-01-11T09:30:00Z",
      { state: "due", at: "2027-01-04T09:00:00.000Z", resume: true, newer: "2027-01-11T09:00:00.000Z" },
    ],
    [
      "an unfinished run is taken however late",
      at("2027-01-04T09:00:00.000Z", false),
      "2027-03-01T00:00:00Z",
      { state: "due", at: "2027-01-04T09:00:00.000Z", resume: true },
    ],
  ])("%s", (_, latest, now, expected) => {
    expect(state(latest, now)).toMatchObject(expected);
  });

  it("counts every week missed since the last run, and takes only the newest within max_lateness", () => {
    const st = state(at("2027-01-04T09:00:00.000Z", true), "2027-02-01T09:10:00Z");
    expect(st).toMatchObject({ state: "due", at: "2027-02-01T09:00:00.000Z" });
    expect(st.missed).toEqual({
      count: 3,
      recent: ["2027-01-25T09:00:00.000Z", "2027-01-18T09:00:00.000Z", "2027-01-11T09:00:00.000Z"],
    });
  });

  it("without a start and never run, an occurrence before it was merged is not missed: the next one is awaited", () => {
    const noStart = parsed({ cron: "0 9 * * MON", time_zone: "UTC" });
    expect(occurrenceState(noStart, undefined, new Date("2027-01-06T12:00:00Z"), DAY)).toMatchObject({
      state: "scheduled",
      at: "2027-01-11T09:00:00.000Z",
      missed: { count: 0 },
    });
  });

  it("ends complete when until has passed and the last occurrence ran", () => {
    const ended = parsed({ every: "1 day", start: "2027-01-04T09:00:00Z", until: "2027-01-05T09:00:00Z" });
    expect(
      occurrenceState(ended, at("2027-01-05T09:00:00.000Z", true), new Date("2027-02-01T00:00:00Z"), DAY)
        .state,
    ).toBe("complete");
  });
});
