/** The pure core of local-time delivery: who is due at a moment, who waits, who is missed, the hourly counts. */
import { describe, expect, it } from "vitest";
import { parseLocalSendAt } from "../../src/config/local-time.js";
import type { LocalSendAt } from "../../src/config/model.js";
import { dueState } from "../../src/send/due.js";
import {
  hourly,
  LocalClock,
  localGate,
  localVerdict,
  localWindow,
  MISSED_LOCAL_TIME,
} from "../../src/send/local-time.js";
import type { MessageBuilder, MessageRecipient } from "../../src/send/message.js";

const SEND_AT = parseLocalSendAt({
  local: "2026-12-01T09:00",
  timezone_field: "tz",
  default_timezone: "America/New_York",
}).sendAt as LocalSendAt;
const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const person = (n: number, tz?: unknown): MessageRecipient => ({
  address: `p${n}@example.com`,
  key: `p${n}@example.com`,
  fields: tz === undefined ? {} : { tz },
});
const all: MessageBuilder = {
  prepare: () => ({ ok: true, data: {}, headers: [] }),
  skipReason: () => undefined,
};

describe("LocalClock", () => {
  const clock = new LocalClock(SEND_AT);
  it("a recipient's own zone, else the default, saying why", () => {
    expect(clock.of({ tz: "Europe/Berlin" })).toEqual({ at: at("2026-12-01T08:00:00Z"), zone: "own" });
    expect(clock.of({ tz: " Asia/Tokyo " })).toEqual({ at: at("2026-12-01T00:00:00Z"), zone: "own" });
    expect(clock.of({})).toEqual({ at: at("2026-12-01T14:00:00Z"), zone: "missing" });
    expect(clock.of({ tz: "" })).toEqual({ at: at("2026-12-01T14:00:00Z"), zone: "missing" });
    expect(clock.of({ tz: "Mars/Base" })).toEqual({ at: at("2026-12-01T14:00:00Z"), zone: "invalid" });
    expect(clock.of({ tz: "+01:00" })).toEqual({ at: at("2026-12-01T14:00:00Z"), zone: "invalid" });
    expect(clock.of({ tz: 5 })).toEqual({ at: at("2026-12-01T14:00:00Z"), zone: "missing" });
  });
});

describe("LocalClock memory", () => {
  it("keeps a bounded number of zone texts: a column of distinct junk does not grow it", () => {
    const clock = new LocalClock(SEND_AT);
    for (let i = 0; i < 10_000; i++) expect(clock.of({ tz: `Junk/${i}` }).zone).toBe("invalid");
    expect((clock as unknown as { byZone: Map<string, unknown> }).byZone.size).toBeLessThanOrEqual(4096);
  });
});

describe("localVerdict", () => {
  const t = at("2026-12-01T14:00:00Z");
  it("waiting before the time, due from it, missed past max_lateness; never missed by name", () => {
    expect(localVerdict(t, t - 1, HOUR)).toBe("waiting");
    expect(localVerdict(t, t, HOUR)).toBe("due");
    expect(localVerdict(t, t + HOUR, HOUR)).toBe("due");
    expect(localVerdict(t, t + HOUR + 1, HOUR)).toBe("missed");
    expect(localVerdict(t, t + 100 * HOUR, undefined)).toBe("due");
  });
});

describe("the run's window and due state", () => {
  it("from 09:00 at UTC+14 to 09:00 at UTC-12: 26 hours", () => {
    const { from, to } = localWindow(SEND_AT);
    expect(new Date(from).toISOString()).toBe("2026-11-30T19:00:00.000Z");
    expect(new Date(to).toISOString()).toBe("2026-12-01T21:00:00.000Z");
  });

  it("scheduled before the window, due in it, missed only when never started and past it by max_lateness", () => {
    const c = { name: "c", sendAt: SEND_AT } as never;
    const lateness = 24 * 3600;
    const fresh = { started: false, complete: false };
    expect(dueState(c, fresh, new Date("2026-11-30T18:59:00Z"), lateness)).toEqual({
      state: "scheduled",
      at: "2026-11-30T19:00:00.000Z",
    });
    expect(dueState(c, fresh, new Date("2026-11-30T19:00:00Z"), lateness)).toEqual({ state: "due" });
    expect(dueState(c, fresh, new Date("2026-12-02T21:00:00Z"), lateness)).toEqual({ state: "due" });
    expect(dueState(c, fresh, new Date("2026-12-02T21:01:00Z"), lateness).state).toBe("missed");
    expect(
      dueState(c, { started: true, complete: false }, new Date("2026-12-09T00:00:00Z"), lateness),
    ).toEqual({
      state: "due",
    });
    expect(
      dueState(c, { started: true, complete: true }, new Date("2026-12-01T12:00:00Z"), lateness).state,
    ).toBe("complete");
  });
});

async function collect<R>(it: AsyncIterable<R>): Promise<R[]> {
  const out: R[] = [];
  for await (const r of it) out.push(r);
  return out;
}
async function* from<R>(rows: R[]): AsyncIterable<R> {
  yield* rows;
}

describe("localGate", () => {
  // Tokyo 00:00Z, Berlin 08:00Z, New York (default) 14:00Z, Los Angeles 17:00Z.
  const people = [
    person(1, "Asia/Tokyo"),
    person(2, "Europe/Berlin"),
    person(3),
    person(4, "Not/AZone"),
    person(5, "America/Los_Angeles"),
    person(6, "America/Los_Angeles"),
  ];

  it("counts who is due, waiting and missed at a moment, zones defaulted, and the recipients by UTC hour", () => {
    const gate = localGate(SEND_AT, new Date("2026-12-01T14:00:00Z"), 24 * HOUR);
    const builder = gate.counting(all);
    const results = people.map((p) => builder.prepare(p));
    expect(results.filter((r) => r.ok)).toHaveLength(6);
    const { byHour, ...counts } = gate.tally;
    expect(counts).toEqual({
      due: 4,
      waiting: 2,
      missed: 0,
      zoneMissing: 1,
      zoneInvalid: 1,
      next: at("2026-12-01T17:00:00Z"),
    });
    expect(hourly(gate.tally)).toEqual([
      { hour: "2026-12-01T00:00:00.000Z", recipients: 1 },
      { hour: "2026-12-01T08:00:00.000Z", recipients: 1 },
      { hour: "2026-12-01T14:00:00.000Z", recipients: 2 },
      { hour: "2026-12-01T17:00:00.000Z", recipients: 2 },
    ]);
  });

  it("skips as missed who passed max_lateness, and counts nobody the render check skips", () => {
    const gate = localGate(SEND_AT, new Date("2026-12-01T14:00:00Z"), 6 * HOUR);
    const skipOdd: MessageBuilder = {
      prepare: (r) =>
        r.key === "p5@example.com" ? { ok: false, reason: "missing variable" } : all.prepare(r),
      skipReason: (r) => (r.key === "p5@example.com" ? "missing variable" : undefined),
    };
    const builder = gate.counting(skipOdd);
    expect(builder.prepare(person(1, "Asia/Tokyo"))).toEqual({ ok: false, reason: MISSED_LOCAL_TIME });
    expect(builder.prepare(person(2, "Europe/Berlin")).ok).toBe(true);
    expect(builder.prepare(person(5, "America/Los_Angeles"))).toEqual({
      ok: false,
      reason: "missing variable",
    });
    expect(gate.tally).toMatchObject({ due: 1, waiting: 0, missed: 1 });
    expect(gate.sending(all).prepare(person(1, "Asia/Tokyo"))).toEqual({
      ok: false,
      reason: MISSED_LOCAL_TIME,
    });
    expect(gate.sending(all).prepare(person(2, "Europe/Berlin")).ok).toBe(true);
    expect(gate.sending(all).skipReason(person(1, "Asia/Tokyo"))).toBe(MISSED_LOCAL_TIME);
    expect(gate.sending(all).skipReason(person(2, "Europe/Berlin"))).toBeUndefined();
    // A count asks skipReason (the render check without the data): the same verdicts and tally.
    const counted = localGate(SEND_AT, new Date("2026-12-01T14:00:00Z"), 6 * HOUR);
    const check = counted.counting(skipOdd);
    expect(check.skipReason(person(1, "Asia/Tokyo"))).toBe(MISSED_LOCAL_TIME);
    expect(check.skipReason(person(2, "Europe/Berlin"))).toBeUndefined();
    expect(check.skipReason(person(5, "America/Los_Angeles"))).toBe("missing variable");
    expect(counted.tally).toMatchObject({ due: 1, waiting: 0, missed: 1 });
  });

  it("the send pass holds back who waits, and says how many", async () => {
    const gate = localGate(SEND_AT, new Date("2026-12-01T14:00:00Z"), 12 * HOUR);
    const sent = await collect(gate.recipients(from(people)));
    expect(sent.map((p) => p.key)).toEqual([
      "p1@example.com",
      "p2@example.com",
      "p3@example.com",
      "p4@example.com",
    ]);
    expect(gate.waiting()).toBe(2);
    // A second pass counts afresh.
    await collect(gate.recipients(from(people.slice(0, 5))));
    expect(gate.waiting()).toBe(1);
  });
});
