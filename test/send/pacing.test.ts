import { describe, expect, it } from "vitest";
import { ledgerBatchSize, pacingFor, TokenBucket } from "../../src/send/pacing.js";

/** A clock that only moves when the bucket sleeps. */
function fakeClock() {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    elapsed: () => now,
  };
}

/** A fixed sequence in [0, 1) (mulberry32): the same throttled calls every run. */
function seeded(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("pacing", () => {
  it("sizes ledger batches to half a second of sending, 50 to 1,000 recipients", () => {
    expect(ledgerBatchSize(1)).toBe(50);
    expect(ledgerBatchSize(14)).toBe(50);
    expect(ledgerBatchSize(100)).toBe(50);
    expect(ledgerBatchSize(200)).toBe(100);
    expect(ledgerBatchSize(1000)).toBe(500);
    expect(ledgerBatchSize(5000)).toBe(1000);
    expect(ledgerBatchSize(Number.POSITIVE_INFINITY)).toBe(1000);
  });

  it("holds the rate over many takes, counting recipients", async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(200, 200, clock);
    for (let i = 0; i < 40; i++) await bucket.take(50); // 2,000 recipients
    expect(clock.elapsed()).toBeGreaterThanOrEqual(9_990);
    expect(clock.elapsed()).toBeLessThanOrEqual(10_010);
  });

  it("cuts the rate by 30% on a throttled call, once per second whatever the calls in flight report", async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(100, 100, clock);
    bucket.throttled();
    bucket.throttled();
    bucket.throttled();
    expect(bucket.rate).toBeCloseTo(70);
    expect(bucket.throttles).toBe(3);
    await clock.sleep(1000);
    bucket.throttled();
    expect(bucket.rate).toBeCloseTo(49);
    for (let i = 0; i < 40; i++) {
      bucket.throttled();
      await clock.sleep(1000);
    }
    expect(bucket.rate).toBe(10); // a tenth of the account's rate at least
  });

  it("wins the account's rate back linearly once the throttling stops (AIMD)", async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(100, 50, clock);
    bucket.throttled();
    const rates: number[] = [];
    // Clean calls of 10 recipients for five simulated seconds.
    while (clock.elapsed() < 5000) {
      await bucket.take(10);
      bucket.succeeded();
      rates.push(bucket.rate);
    }
    // Back from 70 to 100 at a tenth of the rate a second: three seconds, not a call count.
    const at = (ms: number) => rates[Math.floor((ms / 5000) * rates.length)] as number;
    expect(at(1500)).toBeGreaterThan(78);
    expect(at(1500)).toBeLessThan(92);
    expect(rates.at(-1)).toBe(100);
  });

  it("at 10% of calls throttled at random, keeps most of the account's rate and counts the time lost", async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(150, 50, clock);
    const random = seeded(7);
    const calls = 600; // 30,000 recipients: 200 s at the full rate
    for (let i = 0; i < calls; i++) {
      await bucket.take(50);
      if (random() < 0.1) bucket.throttled();
      else bucket.succeeded();
    }
    const seconds = clock.elapsed() / 1000;
    const achieved = (calls * 50) / seconds;
    // A cut that never recovers sinks to the floor (15/s); AIMD stays near the account's rate.
    expect(achieved).toBeGreaterThan(0.75 * 150);
    expect(bucket.throttles).toBeGreaterThan(40);
    // The time lost is what the run took beyond the account's rate.
    const ideal = (calls * 50) / 150;
    expect(bucket.lostMs / 1000).toBeGreaterThan(0.8 * (seconds - ideal));
    expect(bucket.lostMs / 1000).toBeLessThan(1.2 * (seconds - ideal));
  });

  it("pacingFor gives a bucket at the rate and a matching batch size", () => {
    const p = pacingFor(1000);
    expect(p.bucket.rate).toBe(1000);
    expect(p.batchSize).toBe(500);
  });
});
