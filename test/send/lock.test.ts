import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireLock, LockedError, LockLostError } from "../../src/send/lock.js";
import { LocalStore } from "../../src/store/index.js";

let dir: string;
let store: LocalStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mailops-lock-"));
  store = new LocalStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the send lock", () => {
  it("lets one holder in and tells the second who holds it", async () => {
    const first = await acquireLock(store, { command: "send", waitMs: 0 });
    const err = await acquireLock(store, { command: "deploy", waitMs: 200 }).catch((e) => e);
    expect(err).toBeInstanceOf(LockedError);
    expect(err.message).toMatch(/locked by .+ \(send\) since \d{4}-/);
    await first.release();
    const second = await acquireLock(store, { command: "send", waitMs: 0 });
    expect(second.owner).not.toBe(first.owner);
  });

  it("takes over an expired lease, and the old holder learns it lost the lock", async () => {
    let clock = Date.now();
    const now = () => clock;
    // The lease lapses by the store's clock (lock.ts): here it runs on the same simulated time.
    const store = new LocalStore(dir, { now });
    const stale = await acquireLock(store, { command: "send", ttlMs: 1000, now });
    clock += 5000;
    const fresh = await acquireLock(store, { command: "send", ttlMs: 1000, now, waitMs: 0 });
    expect(fresh.owner).not.toBe(stale.owner);
    await expect(stale.renew()).rejects.toBeInstanceOf(LockLostError);
    await expect(stale.check()).rejects.toBeInstanceOf(LockLostError);
  });

  it("exactly one of many concurrent acquirers wins", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => acquireLock(store, { command: "send", waitMs: 0 })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });
});
