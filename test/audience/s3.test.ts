/** Subscriber files in S3, read with GetObject against moto_server over HTTP. */
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openSource, sourceVersion } from "../../src/audience/index.js";
import { EMULATOR_REGION, emulatorEnv, motoS3, useEmulators } from "../support/emulators.js";
import { campaign, gzip, project, run, source, tempRepo } from "./helpers.js";

const emulators = useEmulators({ moto: true });
const BUCKET = "mailops-audience-test";
const repo = tempRepo();

const FIELDS = `fields:
  email: { type: email, required: true }
  name: { type: string }
`;
const JSONL = '{"email":"ann@example.com","name":"Ann"}\n{"email":"bob@example.com","name":"Bob"}\n';

beforeAll(async () => {
  for (const [name, value] of Object.entries(emulatorEnv())) vi.stubEnv(name, value);
  const s3 = motoS3(emulators.moto.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const put = (Key: string, Body: string | Buffer) =>
    s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
  await put("lists/customers.jsonl.gz", gzip(JSONL));
  await put("lists/customers.csv", "email,name\nann@example.com,Ann\nbob@example.com,Bob\n");
  s3.destroy();
});

afterAll(() => {
  vi.unstubAllEnvs();
});

async function readS3(key: string, endpoint?: string) {
  const s = source("remote", `source: s3://${BUCKET}/${key}\n${FIELDS}`);
  const p = project(repo.root, { sources: [s] });
  return run(p, campaign("to: remote"), {
    open: openSource(repo.root, EMULATOR_REGION, endpoint ? { endpoint } : {}),
  });
}

describe("S3 sources", () => {
  it.each(["lists/customers.jsonl.gz", "lists/customers.csv"])("reads s3://bucket/%s", async (key) => {
    const { recipients, stats } = await readS3(key, emulators.moto.endpoint);
    expect(recipients.map((r) => [r.address, r.fields.name, r.line])).toEqual([
      ["ann@example.com", "Ann", key.endsWith(".csv") ? 2 : 1],
      ["bob@example.com", "Bob", key.endsWith(".csv") ? 3 : 2],
    ]);
    expect(stats).toMatchObject({ read: 2, selected: 2 });
  });

  it("finds the endpoint in AWS_ENDPOINT_URL_S3, with path-style addressing", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL_S3", emulators.moto.endpoint);
    try {
      const { recipients } = await readS3("lists/customers.jsonl.gz");
      expect(recipients).toHaveLength(2);
    } finally {
      vi.stubEnv("AWS_ENDPOINT_URL_S3", undefined);
    }
  });

  it("says which object does not exist", async () => {
    await expect(readS3("lists/missing.jsonl", emulators.moto.endpoint)).rejects.toThrow(
      `subscriber source \`remote\` (s3://${BUCKET}/lists/missing.jsonl) does not exist`,
    );
  });

  it("says which bucket does not exist", async () => {
    const s = source("remote", `source: s3://no-such-bucket-here/x.jsonl\n${FIELDS}`);
    const p = project(repo.root, { sources: [s] });
    await expect(
      run(p, campaign("to: remote"), {
        open: openSource(repo.root, EMULATOR_REGION, { endpoint: emulators.moto.endpoint }),
      }),
    ).rejects.toThrow(/the bucket does not exist/);
  });

  it("tells an object's version without reading it: the same until it is written, unknown when missing", async () => {
    const version = sourceVersion(repo.root, EMULATOR_REGION, { endpoint: emulators.moto.endpoint });
    const at = (key: string) => source("remote", `source: s3://${BUCKET}/${key}\n${FIELDS}`);
    const s3 = motoS3(emulators.moto.endpoint);
    try {
      await s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: "lists/changing.csv", Body: "email\nann@example.com\n" }),
      );
      const first = await version(at("lists/changing.csv"));
      expect(first).toMatch(/^s3 /);
      expect(await version(at("lists/changing.csv"))).toBe(first);
      await s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: "lists/changing.csv", Body: "email\nbob@example.com\n" }),
      );
      expect(await version(at("lists/changing.csv"))).not.toBe(first);
      expect(await version(at("lists/missing.csv"))).toBeUndefined();
    } finally {
      s3.destroy();
    }
  });
});
