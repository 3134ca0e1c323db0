/**
 * A long run's ledger (ledger.ts): a run of many batches (a few million recipients at 50 a batch,
 * over several attempts) loads, and exclude_sent reads it, whatever its number of records.
 */
import { describe, expect, it } from "vitest";
import { Ledger } from "../../src/send/ledger.js";
import type { Store, StoredObject } from "../../src/store/types.js";

const id = { campaign: "promo", sendAt: "2026-12-01T09:00:00.000Z" };
const RUN = "ledger/promo/20261201T090000Z";
/** More records than a call's arguments can spread (about 120,000 in V8). */
const BATCHES = 200_000;

/** A store that holds the run record and BATCHES outcome records, each one sent recipient. */
function bigRun(): Store {
  const keys = Array.from(
    { length: BATCHES },
    (_, i) => `${RUN}/batch-${String(i + 1).padStart(6, "0")}.done.json`,
  );
  const run = JSON.stringify({
    version: 1,
    addressKey: 2,
    campaign: id.campaign,
    sendAt: id.sendAt,
    contentDigest: "x",
    startedAt: id.sendAt,
    updatedAt: id.sendAt,
    status: "stopped",
  });
  const get = async (key: string): Promise<StoredObject | undefined> => {
    if (key === `${RUN}/run.json`) return { body: run, etag: "1" };
    const n = Number(/batch-(\d+)/.exec(key)?.[1]);
    if (!n) return undefined;
    const outcomes = [{ id: `r${n}`, status: "sent", messageId: `m${n}` }];
    return {
      body: JSON.stringify({ version: 1, batch: n, state: "done", at: id.sendAt, ids: [`r${n}`], outcomes }),
      etag: "1",
    };
  };
  return {
    location: "memory",
    get,
    list: async (prefix) => (prefix === `${RUN}/batch-` ? keys : []),
    put: async () => ({ etag: "1" }),
    putIfAbsent: async () => ({ etag: "1" }),
    delete: async () => {},
  };
}

describe("a run of many batches", () => {
  it("loads, and is read by exclude_sent, however many records it has", async () => {
    const ledger = new Ledger(bigRun(), id);
    const state = await ledger.load();
    expect(state.nextBatch).toBe(BATCHES + 1);
    expect(state.sent.size).toBe(BATCHES);
    let reached = 0;
    await ledger.reached(() => reached++);
    expect(reached).toBe(BATCHES);
  }, 60_000);
});
