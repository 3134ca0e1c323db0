/**
 * One contract, two backends: what LocalStore does, S3Store does (against moto_server over HTTP).
 * Then what only one backend can show: LocalStore across real processes, S3Store paging, the
 * endpoint settings and its error messages.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  BucketNotFoundError,
  InvalidKeyError,
  openStore,
  PreconditionFailedError,
  S3Store,
  type Store,
  StoreCredentialsError,
  StoreUnreachableError,
} from "../../src/store/index.js";
import { emulatorEnv, motoS3, useEmulators } from "../support/emulators.js";

const run = promisify(execFile);
const emulators = useEmulators({ moto: true });
const BUCKET = "mailops-store-test";
const tempDirs: string[] = [];
let prefixes = 0;

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "mailops-store-"));
  tempDirs.push(dir);
  return dir;
}

function stubEnv(values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) vi.stubEnv(name, value);
}

beforeAll(async () => {
  stubEnv(emulatorEnv());
  const s3 = motoS3(emulators.moto.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  s3.destroy();
});

afterAll(() => {
  vi.unstubAllEnvs();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const backends: Array<{ name: string; open: () => Store }> = [
  { name: "LocalStore", open: () => openStore(tempDir(), { root: "/" }) },
  {
    name: "S3Store on moto_server",
    open: () =>
      openStore(`s3://${BUCKET}/contract/${++prefixes}`, { root: ".", endpoint: emulators.moto.endpoint }),
  },
];

describe.each(backends)("$name", ({ open }) => {
  it("returns undefined for a key never written", async () => {
    expect(await open().get("inventory.json")).toBeUndefined();
  });

  it("returns what put wrote, with the etag put returned", async () => {
    const store = open();
    for (const body of ['{"a":1}', "", "Grüße ✉️ 🎉\nline two"]) {
      const { etag } = await store.put("inventory.json", body);
      expect(await store.get("inventory.json")).toEqual({ body, etag });
    }
  });

  it("overwrites on an unconditional put and changes the etag", async () => {
    const store = open();
    const first = await store.put("inventory.json", "one");
    const second = await store.put("inventory.json", "two");
    expect(second.etag).not.toBe(first.etag);
    expect(await store.get("inventory.json")).toEqual({ body: "two", etag: second.etag });
  });

  it("creates with putIfAbsent once, then returns undefined and keeps the first body", async () => {
    const store = open();
    const created = await store.putIfAbsent("ledger/run/batch-000001.json", "first");
    expect(created?.etag).toEqual(expect.any(String));
    expect(await store.putIfAbsent("ledger/run/batch-000001.json", "second")).toBeUndefined();
    expect(await store.get("ledger/run/batch-000001.json")).toEqual({ body: "first", etag: created?.etag });
  });

  it("takes an idempotent putIfAbsent that finds exactly its own body as its own (a retry), and another body as another writer's", async () => {
    const store = open();
    const key = "ledger/run/batch-000001.json";
    const created = await store.putIfAbsent(key, "mine write=a1", { idempotent: true });
    // The same write again: its first attempt landed and its answer was lost.
    const again = await store.putIfAbsent(key, "mine write=a1", { idempotent: true });
    expect(again).toEqual(created);
    expect(again?.etag).toBe((await store.get(key))?.etag);
    expect(await store.putIfAbsent(key, "theirs write=b2", { idempotent: true })).toBeUndefined();
    // Without the promise of a unique body, an equal body proves nothing.
    expect(await store.putIfAbsent(key, "mine write=a1")).toBeUndefined();
    expect((await store.get(key))?.body).toBe("mine write=a1");
  });

  it("takes an idempotent compare-and-swap that finds exactly its own body as its own, and refuses another", async () => {
    const store = open();
    const { etag: first } = await store.put("lock.json", "v1 write=a1");
    const swapped = await store.put("lock.json", "v2 write=a2", { ifMatch: first, idempotent: true });
    // Sent again from the same etag, as after a lost answer: it finds its own write.
    expect(await store.put("lock.json", "v2 write=a2", { ifMatch: first, idempotent: true })).toEqual(
      swapped,
    );
    await expect(
      store.put("lock.json", "v3 write=b3", { ifMatch: first, idempotent: true }),
    ).rejects.toBeInstanceOf(PreconditionFailedError);
    await expect(store.put("lock.json", "v2 write=a2", { ifMatch: first })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    await store.delete("lock.json");
    const gone = store.put("lock.json", "v2 write=a2", { ifMatch: swapped.etag, idempotent: true });
    await expect(gone).rejects.toThrow(/was deleted by another writer/);
    expect(await store.get("lock.json")).toBeUndefined();
  });

  it("tells an object's age when asked, and only then", async () => {
    const store = open();
    await store.put("lock.json", "x");
    const plain = await store.get("lock.json");
    expect(plain && "ageMs" in plain).toBe(false);
    const aged = await store.get("lock.json", { age: true });
    expect(aged).toMatchObject({ body: "x", etag: plain?.etag, ageMs: expect.any(Number) });
    expect(aged?.ageMs).toBeGreaterThanOrEqual(0);
    expect(await store.get("never.json", { age: true })).toBeUndefined();
  });

  it("swaps with ifMatch when the etag is current", async () => {
    const store = open();
    const { etag } = await store.put("lock.json", "v1");
    const swapped = await store.put("lock.json", "v2", { ifMatch: etag });
    expect(await store.get("lock.json")).toEqual({ body: "v2", etag: swapped.etag });
  });

  it("refuses a swap with a stale etag and keeps the newer body", async () => {
    const store = open();
    const { etag: stale } = await store.put("lock.json", "v1");
    const { etag: current } = await store.put("lock.json", "v2");
    const attempt = store.put("lock.json", "v3", { ifMatch: stale });
    await expect(attempt).rejects.toBeInstanceOf(PreconditionFailedError);
    await expect(attempt).rejects.toThrow(/lock\.json .* was changed by another writer/);
    expect(await store.get("lock.json")).toEqual({ body: "v2", etag: current });
  });

  it("refuses a swap on a key that is missing or was deleted", async () => {
    const store = open();
    await expect(store.put("never.json", "x", { ifMatch: '"0123"' })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    const { etag } = await store.put("gone.json", "x");
    await store.delete("gone.json");
    const attempt = store.put("gone.json", "y", { ifMatch: etag });
    await expect(attempt).rejects.toBeInstanceOf(PreconditionFailedError);
    await expect(attempt).rejects.toThrow(/gone\.json .* was deleted by another writer/);
    expect(await store.get("gone.json")).toBeUndefined();
  });

  it("lists full keys under a prefix, sorted, matching inside a segment too", async () => {
    const store = open();
    const run = "ledger/holiday-promo/2026-12-01T09:00:00.000Z";
    const keys = [
      `${run}/batch-000002.json`,
      "lock.json",
      `${run}/batch-000001.json`,
      "ledger/holiday-promo-2/2026-12-02T09:00:00.000Z/batch-000001.json",
      "inventory.json",
      "ledger/spring-sale/x.json",
    ];
    for (const key of keys) await store.put(key, key);
    expect(await store.list("ledger/holiday-promo/")).toEqual([
      `${run}/batch-000001.json`,
      `${run}/batch-000002.json`,
    ]);
    expect(await store.list("ledger/holiday")).toEqual([
      "ledger/holiday-promo-2/2026-12-02T09:00:00.000Z/batch-000001.json",
      `${run}/batch-000001.json`,
      `${run}/batch-000002.json`,
    ]);
    expect(await store.list("")).toEqual([...keys].sort());
    expect(await store.list("inv")).toEqual(["inventory.json"]);
    expect(await store.list("nothing/")).toEqual([]);
  });

  it("deletes a key, ignores deleting a missing one, and can create it again", async () => {
    const store = open();
    await store.put("ledger/a/b.json", "x");
    await store.put("ledger/a/c.json", "y");
    await store.delete("ledger/a/b.json");
    await store.delete("ledger/a/b.json");
    await store.delete("never/written.json");
    expect(await store.get("ledger/a/b.json")).toBeUndefined();
    expect(await store.list("ledger/")).toEqual(["ledger/a/c.json"]);
    await store.delete("ledger/a/c.json");
    expect(await store.list("")).toEqual([]);
    expect(await store.putIfAbsent("ledger/a/b.json", "again")).toBeDefined();
    expect((await store.get("ledger/a/b.json"))?.body).toBe("again");
  });

  it("lets exactly one of 25 concurrent putIfAbsent calls win", async () => {
    const store = open();
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => store.putIfAbsent("ledger/run/intent.json", `writer-${i}`)),
    );
    const winners = results.flatMap((r, i) => (r ? [i] : []));
    expect(winners).toHaveLength(1);
    expect((await store.get("ledger/run/intent.json"))?.body).toBe(`writer-${winners[0]}`);
  });

  it("loses no update when concurrent writers increment through compare-and-swap", async () => {
    const store = open();
    await store.put("counter", "0");
    const increment = async () => {
      for (let i = 0; i < 5; i++) {
        for (;;) {
          const current = await store.get("counter");
          if (!current) throw new Error("counter vanished");
          try {
            await store.put("counter", String(Number(current.body) + 1), { ifMatch: current.etag });
            break;
          } catch (error) {
            if (!(error instanceof PreconditionFailedError)) throw error;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, increment));
    expect((await store.get("counter"))?.body).toBe("20");
  });

  it.each([
    ["", /empty/],
    ["/inventory.json", /must not start with \//],
    ["ledger//x.json", /empty segments/],
    ["ledger/", /empty segments/],
    ["ledger\\x.json", /backslashes/],
    ["../outside.json", /segments \. and \.\./],
    ["ledger/../../outside.json", /segments \. and \.\./],
    ["./inventory.json", /segments \. and \.\./],
    [".store/locks/x", /must not start with \./],
    ["ledger/.hidden", /must not start with \./],
    ["bad\u0000key", /control characters/],
  ])("rejects the key %j in every operation", async (key, reason) => {
    const store = open();
    for (const attempt of [
      () => store.get(key),
      () => store.put(key, "x"),
      () => store.put(key, "x", { ifMatch: "e" }),
      () => store.putIfAbsent(key, "x"),
      () => store.delete(key),
    ]) {
      await expect(attempt()).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(attempt()).rejects.toThrow(reason);
    }
  });

  it("rejects list prefixes that escape, and accepts folder prefixes", async () => {
    const store = open();
    await expect(store.list("../")).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.list("/ledger")).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.list("a\\b")).rejects.toBeInstanceOf(InvalidKeyError);
    expect(await store.list("ledger/")).toEqual([]);
  });
});

describe("LocalStore across processes", () => {
  let worker: string;

  beforeAll(async () => {
    // Node 20 cannot run TypeScript; bundle the worker once with the esbuild the build already uses.
    worker = path.join(tempDir(), "store-worker.mjs");
    await build({
      entryPoints: [path.join(import.meta.dirname, "fixtures", "store-worker.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile: worker,
      logLevel: "silent",
    });
  });

  it("loses no update when 4 processes each increment a counter 25 times through compare-and-swap", async () => {
    const dir = tempDir();
    const store = openStore(dir, { root: "/" });
    await store.put("counter", "0");
    await Promise.all(
      [1, 2, 3, 4].map(() => run(process.execPath, [worker, dir, "increment", "counter", "25"])),
    );
    expect((await store.get("counter"))?.body).toBe("100");
  });

  it("gives every key exactly one winner when 4 processes putIfAbsent the same 30 keys", async () => {
    const dir = tempDir();
    const outputs = await Promise.all(
      ["p1", "p2", "p3", "p4"].map((id) => run(process.execPath, [worker, dir, "claim", "claims", "30", id])),
    );
    const won = outputs.flatMap((o) => (JSON.parse(o.stdout) as { won: string[] }).won);
    expect(won).toHaveLength(30);
    expect(new Set(won).size).toBe(30);
    const store = openStore(dir, { root: "/" });
    expect(await store.list("claims/")).toHaveLength(30);
  });

  it("never shows a reader a torn file while a writer replaces a large one", async () => {
    const store = openStore(tempDir(), { root: "/" });
    const size = 512 * 1024;
    await store.put("big.json", "a".repeat(size));
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 20; i++) await store.put("big.json", (i % 2 ? "a" : "b").repeat(size));
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const current = await store.get("big.json");
      expect(current?.body.length).toBe(size);
      expect(current?.body).toBe(current?.body[0]?.repeat(size));
      reads++;
    }
    await writer;
    expect(reads).toBeGreaterThan(0);
  });

  it("leaves no temp or lock files behind and lists none of them", async () => {
    const dir = tempDir();
    const store = openStore(dir, { root: "/" });
    const { etag } = await store.put("a/b.json", "1");
    await store.put("a/b.json", "2", { ifMatch: etag });
    await store.putIfAbsent("a/b.json", "3");
    await store.putIfAbsent("c.json", "4");
    await store.delete("c.json");
    expect(readdirSync(path.join(dir, ".store", "tmp"))).toEqual([]);
    expect(readdirSync(path.join(dir, ".store", "locks"))).toEqual([]);
    expect(await store.list("")).toEqual(["a/b.json"]);
  });

  it("refuses a key that is already the folder of other keys, naming both", async () => {
    const store = openStore(tempDir(), { root: "/" });
    await store.put("ledger/run/batch.json", "x");
    await expect(store.putIfAbsent("ledger/run", "y")).rejects.toThrow(
      /cannot store ledger\/run in .*: it is a folder holding other keys/,
    );
    await expect(store.put("ledger/run", "y")).rejects.toThrow(
      /a file and a folder of the same name collide/,
    );
    expect(await store.get("ledger/run")).toBeUndefined();
  });
});

describe("S3Store", () => {
  it("follows continuation tokens to list every page", async () => {
    const store = new S3Store(BUCKET, `paging/${++prefixes}`, {
      endpoint: emulators.moto.endpoint,
      listPageSize: 2,
    });
    const keys = ["k1", "k2", "k3", "k4", "k5", "k6", "k7"].map((k) => `ledger/${k}.json`);
    await Promise.all(keys.map((k) => store.put(k, k)));
    await store.put("other.json", "x");
    expect(await store.list("ledger/")).toEqual(keys);
  });

  it.each(["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"])(
    "finds the endpoint in %s with path-style addressing",
    async (variable) => {
      vi.stubEnv(variable, emulators.moto.endpoint);
      try {
        const store = openStore(`s3://${BUCKET}/env/${++prefixes}`, { root: "." });
        expect(await store.putIfAbsent("inventory.json", variable)).toBeDefined();
        expect((await store.get("inventory.json"))?.body).toBe(variable);
      } finally {
        vi.stubEnv(variable, undefined);
      }
    },
  );

  it("names a bucket that does not exist, for reads, writes and lists", async () => {
    const store = openStore("s3://mailops-no-such-bucket/state", {
      root: ".",
      endpoint: emulators.moto.endpoint,
    });
    for (const attempt of [
      () => store.get("inventory.json"),
      () => store.put("a.json", "x"),
      () => store.list(""),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BucketNotFoundError);
      expect((error as BucketNotFoundError).message).toBe(
        "S3 bucket mailops-no-such-bucket does not exist (state store s3://mailops-no-such-bucket/state)",
      );
      expect((error as BucketNotFoundError).hint).toContain("aws s3 mb s3://mailops-no-such-bucket");
    }
  });

  it("says which endpoint could not be reached", async () => {
    const port = await closedPort();
    const endpoint = `http://127.0.0.1:${port}`;
    const store = openStore(`s3://${BUCKET}/state`, { root: ".", endpoint });
    const error = await store.get("inventory.json").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnreachableError);
    expect((error as StoreUnreachableError).message).toBe(
      `cannot reach S3 at ${endpoint} to read inventory.json in s3://${BUCKET}/state (ECONNREFUSED)`,
    );
    expect((error as StoreUnreachableError).hint).toMatch(/AWS_ENDPOINT_URL_S3/);
  });

  it("says that no credentials were found, with how to provide them", async () => {
    stubEnv({
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      AWS_ROLE_ARN: undefined,
    });
    try {
      const store = openStore(`s3://${BUCKET}/state`, { root: ".", endpoint: emulators.moto.endpoint });
      const error = await store.put("inventory.json", "{}").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreCredentialsError);
      expect((error as StoreCredentialsError).message).toBe(
        `no AWS credentials found to write inventory.json in s3://${BUCKET}/state`,
      );
      expect((error as StoreCredentialsError).hint).toMatch(/AWS_PROFILE or AWS_ACCESS_KEY_ID/);
    } finally {
      stubEnv(emulatorEnv());
    }
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}
