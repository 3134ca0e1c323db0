/**
 * `mailops send` through the command-line entry with the state in S3 (moto_server), and faults
 * between mailops and S3: a ledger write whose answer was lost is taken as mailops' own (the SDK
 * sends it again, S3 answers 412); another sender's record, and S3 slowing down, reach the user
 * as one line and a hint with exit 1, never as an internal error.
 */
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { cli } from "../support/cli.js";
import { emulatorEnv, motoS3, useEmulators } from "../support/emulators.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { copyExampleRepo } from "../support/repo.js";

const emulators = useEmulators({ moto: true });
const BUCKET = "mailops-cli-state";
let proxy: FaultProxy;
let s3: S3Client;
let repo: ReturnType<typeof copyExampleRepo>;
let prefix: string;
let prefixes = 0;

beforeAll(async () => {
  s3 = motoS3(emulators.moto.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  proxy = await startFaultProxy(emulators.moto.endpoint, "s3");
});
afterAll(async () => {
  s3.destroy();
  await proxy.stop();
});

beforeEach(async () => {
  for (const [k, v] of Object.entries(emulatorEnv({ s3: proxy.endpoint }))) vi.stubEnv(k, v);
  repo = copyExampleRepo();
  prefix = `cli/${++prefixes}`;
  repo.write(
    "mailops.yaml",
    repo.read("mailops.yaml").replace(/^state: .*$/m, `state: s3://${BUCKET}/${prefix}`),
  );
  repo.subscribers(
    Array.from({ length: 120 }, (_, i) => ({
      email: `u${i}@example.com`,
      name: "Pat",
      segment: "new_customers",
    })),
  );
  expect((await cli("apply", "--dir", repo.dir)).code).toBe(0);
  proxy.events.length = 0;
});
afterEach(() => {
  repo.cleanup();
  proxy.clear();
  vi.unstubAllEnvs();
});

const send = () => cli("send", "--dir", repo.dir, "--campaign", "welcome-new-customers");
const firstIntent = ({ method, path }: { method: string; path: string }) =>
  method === "PUT" && path.includes("/batch-000001.json");
const oneLineAndHint = (err: string) => {
  expect(err).not.toContain("internal error");
  expect(err).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  // The progress line aside, the error is one line and its hint.
  const lines = err
    .trimEnd()
    .split("\n")
    .filter((l) => !l.startsWith("sending "));
  expect(lines).toEqual([expect.stringMatching(/^mailops: /), expect.stringMatching(/^ {2}hint: /)]);
};

describe("mailops send with the state in S3", () => {
  it("takes a ledger write whose answer was lost as its own: everyone gets one mail", async () => {
    proxy.once(firstIntent, "reset-after");
    const r = await send();
    expect(r.code, r.out + r.err).toBe(0);
    // Forwarded and done by S3, the answer lost (status 0); the SDK's retry meets its own object.
    expect(proxy.events.filter(firstIntent).map((e) => [e.fault, e.forwarded, e.status])).toEqual([
      ["reset-after", true, 0],
      [undefined, true, 412],
    ]);
    expect(repo.emls("welcome-new-customers")).toHaveLength(120);
  });

  it("stops at another sender's record with one line and a hint, exit 1, sending nobody", async () => {
    proxy.once(firstIntent, async () => {
      await s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `${prefix}/ledger/welcome-new-customers/on-merge/batch-000001.json`,
          Body: JSON.stringify({
            version: 1,
            batch: 1,
            state: "intent",
            at: "",
            ids: [],
            lease: "0th3r-lease",
            write: "w",
          }),
        }),
      );
    });
    const r = await send();
    expect(r.code).toBe(1);
    oneLineAndHint(r.err);
    expect(r.err).toMatch(
      /^mailops: the ledger record ledger\/welcome-new-customers\/on-merge\/batch-000001\.json in s3:\/\/.+ already exists \(written under lease 0th3r-le\): another sender is writing this run/m,
    );
    expect(repo.emls("welcome-new-customers")).toHaveLength(0);
  });

  it("says S3 is slowing down, in one line and a hint, exit 1", async () => {
    proxy.failNext(1000, { status: 503, code: "SlowDown" });
    const r = await send();
    expect(r.code).toBe(1);
    oneLineAndHint(r.err);
    expect(r.err).toMatch(
      /^mailops: S3 is slowing down requests to s3:\/\/mailops-cli-state\/cli\/\d+ .*\(SlowDown\)/,
    );
    expect(repo.emls("welcome-new-customers")).toHaveLength(0);
  });
});
