/**
 * Conditional writes whose answer is lost, against moto_server: the request reaches S3 and is
 * stored, then the connection resets before the answer arrives, so the SDK sends it again and S3
 * answers 412 to the writer's own object. An idempotent write must take that as its own; a real
 * second writer must still be refused. And an object's age is S3's clock, not ours.
 */
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PreconditionFailedError, S3Store } from "../../src/store/index.js";
import { emulatorEnv, motoS3, useEmulators } from "../support/emulators.js";
import { s3Client } from "../support/s3-faults.js";

const emulators = useEmulators({ moto: true });
const BUCKET = "mailops-lost-answers";
let prefixes = 0;

beforeAll(async () => {
  for (const [k, v] of Object.entries(emulatorEnv())) vi.stubEnv(k, v);
  const s3 = motoS3(emulators.moto.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  s3.destroy();
});
afterAll(() => vi.unstubAllEnvs());

function stores() {
  const faults = s3Client(emulators.moto.endpoint);
  const prefix = `lost/${++prefixes}`;
  return {
    faults,
    store: new S3Store(BUCKET, prefix, { client: faults.client }),
    other: new S3Store(BUCKET, prefix, { endpoint: emulators.moto.endpoint }),
  };
}

describe("an idempotent putIfAbsent whose answer was lost", () => {
  it("is sent again by the SDK, meets its own object (412) and succeeds as its own", async () => {
    const { faults, store } = stores();
    faults.loseNextAnswer("PutObject");
    const created = await store.putIfAbsent("ledger/run/batch-000001.json", "intent write=a1", {
      idempotent: true,
    });
    expect(faults.attempts("PutObject")).toEqual([200, 412]);
    expect(created?.etag).toBe((await store.get("ledger/run/batch-000001.json"))?.etag);
  });

  it("is still refused when another writer's object is there", async () => {
    const { faults, store, other } = stores();
    await other.putIfAbsent("ledger/run/batch-000001.json", "intent write=b2", { idempotent: true });
    faults.loseNextAnswer("PutObject");
    const created = await store.putIfAbsent("ledger/run/batch-000001.json", "intent write=a1", {
      idempotent: true,
    });
    expect(created).toBeUndefined();
    expect((await other.get("ledger/run/batch-000001.json"))?.body).toBe("intent write=b2");
  });
});

describe("an idempotent compare-and-swap whose answer was lost", () => {
  it("meets its own new version (412) and succeeds as its own", async () => {
    const { faults, store } = stores();
    const { etag } = await store.put("lock.json", "v1 write=a1");
    faults.loseNextAnswer("PutObject");
    const swapped = await store.put("lock.json", "v2 write=a2", { ifMatch: etag, idempotent: true });
    expect(faults.attempts("PutObject").slice(-2)).toEqual([200, 412]);
    expect(await store.get("lock.json")).toEqual({ body: "v2 write=a2", etag: swapped.etag });
  });

  it("fails when another writer swapped first", async () => {
    const { faults, store, other } = stores();
    const { etag } = await store.put("lock.json", "v1 write=a1");
    await other.put("lock.json", "v2 write=b2", { ifMatch: etag, idempotent: true });
    faults.loseNextAnswer("PutObject");
    await expect(
      store.put("lock.json", "v2 write=a2", { ifMatch: etag, idempotent: true }),
    ).rejects.toBeInstanceOf(PreconditionFailedError);
  });
});

describe("an object's age", () => {
  it("is S3's Date minus Last-Modified: moving S3's clock on ages it, the reader's clock does not", async () => {
    const { faults, store } = stores();
    await store.put("lock.json", "x");
    const before = (await store.get("lock.json", { age: true }))?.ageMs;
    expect(before).toEqual(expect.any(Number));
    // The reader's own clock three minutes fast changes nothing: it is not asked.
    vi.useFakeTimers({ now: Date.now() + 180_000, toFake: ["Date"] });
    try {
      expect((await store.get("lock.json", { age: true }))?.ageMs).toBeLessThan(180_000);
    } finally {
      vi.useRealTimers();
    }
    faults.shiftServerClock(180_000);
    expect((await store.get("lock.json", { age: true }))?.ageMs).toBeGreaterThanOrEqual(180_000);
  });
});
