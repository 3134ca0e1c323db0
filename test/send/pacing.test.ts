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

  it("slows down on throttling and creeps back to the account's rate", async () => {
    const bucket = new TokenBucket(100, 100, fakeClock());
    bucket.throttled();
    expect(bucket.rate).toBeCloseTo(67);
    for (let i = 0; i < 100; i++) bucket.succeeded();
    expect(bucket.rate).toBe(100);
  });

  it("pacingFor gives a bucket at the rate and a matching batch size", () => {
    const p = pacingFor(1000);
    expect(p.bucket.rate).toBe(1000);
    expect(p.batchSize).toBe(500);
  });
});
