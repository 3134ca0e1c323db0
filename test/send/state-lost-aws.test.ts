/**
 * A lost state store on the aws target, the state in S3 (moto): the bucket deleted, then created
 * again as its error says. The next send and deploy refuse before anything is applied, sent or
 * written, naming what was found; --state-lost-ok goes on with its warning; a new project on an
 * empty target deploys as ever. With nothing tagged, CloudWatch's sends of a due campaign are the
 * evidence (moto serves PutMetricData / GetMetricData).
 */

import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runSend } from "../../src/cli/send.js";
import { openTarget, type TargetFactory } from "../../src/commands/context.js";
import type { Target } from "../../src/targets/port.js";
import { PRODUCTION_ACCOUNT, useAwsWorld, VERIFIED_IDENTITY } from "../support/aws-world.js";
import { cli } from "../support/cli.js";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, motoS3, useEmulators } from "../support/emulators.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

const emulators = useEmulators({ sesRouter: true });
useAwsWorld(emulators, { account: PRODUCTION_ACCOUNT, identity: VERIFIED_IDENTITY });

const BUCKET = "acme-mailops-state";
const STATE = `s3://${BUCKET}/acme-marketing`;
const NOW = "2026-11-27T12:00:00Z";
let repo: ReturnType<typeof copyExampleRepo>;
let s3: S3Client;

beforeEach(async () => {
  vi.stubEnv("MAILOPS_UNSUBSCRIBE_SECRET", "test-secret-long-enough-for-hmac-sha256");
  repo = copyExampleRepo();
  repo.write("mailops.yaml", repo.read("mailops.yaml").replace("state: .mailops/state", `state: ${STATE}`));
  repo.subscribers(
    Array.from({ length: 6 }, (_, i) => ({
      email: `new${i}@example.com`,
      name: "Pat",
      segment: "new_customers",
    })),
  );
  s3 = motoS3(emulators.moto.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterEach(() => {
  s3.destroy();
  repo.cleanup();
});

const run = (verb: string, ...args: string[]) => cli(verb, "--dir", repo.dir, "--target", "aws", ...args);

async function keys(): Promise<string[]> {
  const r = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  return (r.Contents ?? []).map((o) => o.Key ?? "");
}

/** What an `aws s3 rb --force` does: every object, then the bucket. */
async function deleteBucket(): Promise<void> {
  for (const Key of await keys()) await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));
  await s3.send(new DeleteBucketCommand({ Bucket: BUCKET }));
}

async function mailCount(): Promise<number> {
  const r = await fetch(`${emulators.sesLocal.endpoint}/store`);
  return ((await r.json()) as { emails: unknown[] }).emails.length;
}

const sesCalls = (operation: string) => emulators.sesRouter.calls.filter((c) => c.operation === operation);

async function deployed(): Promise<void> {
  const r = await run("deploy", "--now", NOW);
  expect(r.code, r.out + r.err).toBe(0);
  expect(await mailCount()).toBe(6);
  expect(await keys()).toContain("acme-marketing/inventory.json");
}

/** The bucket deleted, its error followed to the letter, the bucket created again. */
async function loseBucket(): Promise<void> {
  await deleteBucket();
  const missing = await run("send", "--due", "--now", NOW);
  expect(missing.code).toBe(1);
  expect(missing.err).toContain(`S3 bucket ${BUCKET} does not exist`);
  expect(missing.err).toContain("create the bucket");
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
}

describe("the state bucket deleted and created again", () => {
  it("send refuses at the first tagged template: exit 1, nothing sent, nothing written", async () => {
    await deployed();
    await loseBucket();
    emulators.sesRouter.calls.length = 0;
    const r = await run("send", "--due", "--now", NOW);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `welcome-new-customers: refused (the state store appears to have been lost: email template welcome-campaign on the aws target is tagged mailops:project=acme-marketing, but the state store at ${STATE} holds no inventory or ledger; restore the state store (an S3 bucket: from its object versions or a backup`,
    );
    expect(await mailCount()).toBe(6);
    expect(await keys()).toEqual([]);
    // One read found it: the rest of the account was not asked (SES allows ~1 write, ~50 reads a second).
    expect(sesCalls("GetEmailTemplate")).toHaveLength(1);
    expect(sesCalls("GetConfigurationSet")).toHaveLength(0);
    expect(sesCalls("SendEmail")).toHaveLength(0);
  });

  it("deploy refuses before apply writes an inventory; plan warns", async () => {
    await deployed();
    await loseBucket();
    const r = await run("deploy", "--now", NOW);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `mailops: the state store appears to have been lost: 9 resources on the aws target are tagged mailops:project=acme-marketing, but the state store at ${STATE} holds no inventory or ledger`,
    );
    expect(r.err).toContain("--state-lost-ok");
    expect(await keys()).toEqual([]);
    expect(await mailCount()).toBe(6);
    const plan = await run("plan", "--format", "markdown");
    expect(plan.code).toBe(0);
    expect(plan.out).toContain(
      "> ⚠️ the state store appears to have been lost: 9 resources on the aws target",
    );
  });

  it("--state-lost-ok sends with its warning, and everyone is mailed again", async () => {
    await deployed();
    await loseBucket();
    const r = await run("send", "--due", "--now", NOW, "--state-lost-ok");
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.err).toContain(
      "warning: the state store appears to have been lost: email template welcome-campaign on the aws target is tagged mailops:project=acme-marketing",
    );
    expect(r.err).toContain("every recipient not in the new ledger is sent again");
    expect(await mailCount()).toBe(12);
    expect(await keys()).toContain("acme-marketing/runs/welcome-new-customers/on-merge.json");
  });

  it("with nothing tagged, CloudWatch's sends of the due campaign are the evidence", async () => {
    await deployed();
    const cw = new CloudWatchClient({
      endpoint: emulators.moto.endpoint,
      region: EMULATOR_REGION,
      credentials: EMULATOR_CREDENTIALS,
    });
    const at = new Date(NOW);
    const metric = (MetricName: string, Value: number) => ({
      MetricName,
      Dimensions: [{ Name: "campaign", Value: "welcome-new-customers" }],
      Value,
      Timestamp: at,
    });
    await cw.send(
      new PutMetricDataCommand({
        Namespace: "AWS/SES",
        MetricData: [metric("Delivery", 5), metric("Bounce", 1)],
      }),
    );
    cw.destroy();
    await loseBucket();
    const io = captureIo();
    const code = await runSend({ dir: repo.dir, target: "aws", due: true, now: NOW }, io, untagged);
    expect(code).toBe(1);
    expect(io.outText).toContain(
      "welcome-new-customers: refused (the state store appears to have been lost: CloudWatch shows 6 sends for campaign welcome-new-customers since 2026-11-26T12:00:00.000Z, but the state store at",
    );
    expect(await mailCount()).toBe(6);
  });
});

describe("a new project", () => {
  it("on an empty target, with an empty bucket, deploys and sends without a word about a lost store", async () => {
    const r = await run("deploy", "--now", NOW);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out + r.err).not.toContain("lost");
    expect(await mailCount()).toBe(6);
  });
});

/** The aws target as an account whose resources carry no mailops tag (adopted ones). */
const untagged: TargetFactory = async (name, project) => {
  const target = await openTarget(name, project);
  const read: Target["read"] = async (wanted) => (await target.read(wanted)).map((r) => ({ ...r, tags: {} }));
  return new Proxy(target, {
    get: (t, key) => {
      if (key === "read") return read;
      const v = Reflect.get(t, key, t);
      return typeof v === "function" ? v.bind(t) : v;
    },
  });
};
