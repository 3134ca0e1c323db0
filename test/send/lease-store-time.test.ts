/**
 * The send lock does not trust clocks, on both backends (a local folder; S3 on moto_server): a
 * lease lapses by the store's clock, so a sender whose clock is three minutes fast cannot take a
 * live one; a renewal whose answer was lost is still the holder's; and a holder whose lock.json
 * was deleted (or replaced by a waiting sender) stops before its next batch, having written its
 * lease's token into every ledger record. Time is simulated (local) or S3's own: no waiting.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Ledger } from "../../src/send/ledger.js";
import { acquireLock, LOCK_KEY, LockedError, LockLostError } from "../../src/send/lock.js";
import { runCampaign } from "../../src/send/run.js";
import { LocalStore, S3Store, type Store, StoreUnreachableError } from "../../src/store/index.js";
import type { EntryResult, Sender, SendRequest } from "../../src/targets/port.js";
import { people, runInput } from "../support/campaign-run.js";
import { emulatorEnv, motoS3, useEmulators } from "../support/emulators.js";
import { s3Client } from "../support/s3-faults.js";

const emulators = useEmulators({ moto: true });
const BUCKET = "mailops-lease-test";
const SKEW = 180_000;
const TTL = 120_000;
const dirs: string[] = [];
let prefixes = 0;

beforeAll(async () => {
  for (const [k, v] of Object.entries(emulatorEnv())) vi.stubEnv(k, v);
  const s3 = motoS3(emulators.moto.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  s3.destroy();
});
afterAll(() => {
  vi.unstubAllEnvs();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Two senders on one store. `first` runs on the store's time; `second`'s clock is `skew` fast.
 * `storeTimePasses` moves the store's clock on, as the second sender sees it.
 */
interface World {
  first: Store;
  second: Store;
  firstNow: () => number;
  secondNow: (skew: number) => () => number;
  storeTimePasses(ms: number): void;
  loseNextWriteAnswer?: () => void;
}

function s3World(): World {
  const prefix = `lease/${++prefixes}`;
  const a = s3Client(emulators.moto.endpoint);
  const b = s3Client(emulators.moto.endpoint);
  return {
    first: new S3Store(BUCKET, prefix, { client: a.client }),
    second: new S3Store(BUCKET, prefix, { client: b.client }),
    firstNow: () => Date.now(),
    secondNow: (skew) => () => Date.now() + skew,
    // S3's clock, as the Date of its answers to the second sender says.
    storeTimePasses: (ms) => b.shiftServerClock(ms),
    loseNextWriteAnswer: () => a.loseNextAnswer("PutObject"),
  };
}

const backends: Array<{ name: string; world: () => World }> = [
  {
    name: "local folder",
    world: () => {
      const dir = mkdtempSync(path.join(tmpdir(), "mailops-lease-"));
      dirs.push(dir);
      // One machine: the store's clock is the senders' clock (simulated here), one skewed.
      let t = Date.parse("2026-06-01T12:00:00Z");
      const store = new LocalStore(dir, { now: () => t });
      return {
        first: store,
        second: store,
        firstNow: () => t,
        secondNow: (skew) => () => t + skew,
        storeTimePasses: (ms) => {
          t += ms;
        },
      };
    },
  },
  { name: "S3 on moto_server", world: s3World },
];

describe.each(backends)("the send lock on a $name", ({ world }) => {
  it("a second sender whose clock is three minutes fast cannot take a live lease", async () => {
    const w = world();
    const holder = await acquireLock(w.first, { command: "send", ttlMs: TTL, now: w.firstNow, waitMs: 0 });
    const fast = w.secondNow(SKEW);
    const refused = await acquireLock(w.second, { command: "send", ttlMs: TTL, now: fast, waitMs: 0 }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(LockedError);
    expect((refused as LockedError).message).toContain(holder.owner);
    await holder.check();
    // Once the lease lapsed by the store's clock, the same sender takes it over, and the holder learns it.
    w.storeTimePasses(TTL + 1000);
    const next = await acquireLock(w.second, { command: "send", ttlMs: TTL, now: fast, waitMs: 0 });
    expect(next.token).not.toBe(holder.token);
    await expect(holder.check()).rejects.toBeInstanceOf(LockLostError);
  });

  it("a renewal whose answer was lost stays the holder's: it is recognised, not taken for a takeover", async () => {
    const w = world();
    let lose = false;
    // The write reaches the store, and then the answer never arrives.
    const flaky: Store = Object.assign(Object.create(w.first) as Store, {
      put: async (...args: Parameters<Store["put"]>) => {
        const out = await w.first.put(...args);
        if (lose) {
          lose = false;
          throw new StoreUnreachableError("the connection reset", "run again");
        }
        return out;
      },
    });
    const holder = await acquireLock(flaky, { command: "send", ttlMs: TTL, now: w.firstNow, waitMs: 0 });
    lose = true;
    await expect(holder.renew()).rejects.toBeInstanceOf(StoreUnreachableError);
    await holder.renew();
    await holder.check();
    const current = JSON.parse((await w.first.get(LOCK_KEY))?.body ?? "{}") as { token?: string };
    expect(current.token).toBe(holder.token);
  });

  it.each([
    ["deleted", false, /lock\.json .* was deleted while this run was sending/],
    ["deleted, and a waiting sender took a new one", true, /was taken over by /],
  ])(
    "a lock.json %s: the holder stops before its next batch, its records carrying its token",
    async (_, retaken, message) => {
      const w = world();
      const lease = await acquireLock(w.first, { command: "send", ttlMs: TTL, now: w.firstNow, waitMs: 0 });
      const sent: string[] = [];
      const sender: Sender = {
        async send(request: SendRequest): Promise<EntryResult[]> {
          sent.push(...request.messages.map((m) => m.to));
          if (sent.length === 50) {
            await w.second.delete(LOCK_KEY);
            if (retaken) await acquireLock(w.second, { command: "send", now: w.secondNow(SKEW), waitMs: 0 });
          }
          return request.messages.map(() => ({ status: "sent", messageId: "m" }));
        },
      };
      const id = { campaign: "promo", sendAt: "on-merge" };
      const ledger = new Ledger(w.first, id, lease.token);
      const error = await runCampaign(runInput({ id, recipients: people(150), sender, ledger, lease })).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LockLostError);
      expect((error as LockLostError).message).toMatch(message);
      expect(sent).toHaveLength(50);
      const records = (await w.first.list("ledger/promo/on-merge/")).filter((k) => k.includes("/batch-"));
      expect(records).toEqual([
        "ledger/promo/on-merge/batch-000001.done.json",
        "ledger/promo/on-merge/batch-000001.json",
      ]);
      for (const key of [...records, "ledger/promo/on-merge/run.json"]) {
        const record = JSON.parse((await w.first.get(key))?.body ?? "{}") as {
          lease?: string;
          write?: string;
        };
        expect(record.lease, key).toBe(lease.token);
        expect(record.write, key).toEqual(expect.any(String));
      }
    },
  );
});

describe("the send lock on S3 (moto_server)", () => {
  it("a renewal the SDK sent again after a lost answer (S3 answers 412) stays the holder's", async () => {
    const w = s3World();
    const holder = await acquireLock(w.first, { command: "send", ttlMs: TTL, now: w.firstNow, waitMs: 0 });
    w.loseNextWriteAnswer?.();
    await holder.renew();
    await holder.check();
    await holder.renew();
  });
});
