/**
 * The bootstrap use case against moto_server: the state bucket's settings (store/s3-bucket.ts),
 * idempotence, a bucket it did not create left alone unless adopted, and its report of each.
 */

import { readFileSync } from "node:fs";
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  PutBucketTaggingCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { bootstrap as runBootstrap } from "../../src/commands/bootstrap.js";
import { LIFECYCLE_RULE_ID } from "../../src/store/s3-bucket.js";
import {
  EMULATOR_CREDENTIALS,
  EMULATOR_REGION,
  emulatorEnv,
  motoS3,
  useEmulators,
} from "../support/emulators.js";
import { copyExampleRepo, type ExampleRepo } from "../support/repo.js";

const emulators = useEmulators({ moto: true });
let s3: S3Client;
const repos: ExampleRepo[] = [];
let buckets = 0;

beforeAll(() => {
  for (const [name, value] of Object.entries(emulatorEnv({ s3: emulators.moto.endpoint })))
    vi.stubEnv(name, value);
  s3 = motoS3(emulators.moto.endpoint);
});

afterAll(() => {
  vi.unstubAllEnvs();
  s3.destroy();
});

afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
});

/** The example repository with its state in a fresh bucket name. */
function repoWithBucket(): { repo: ExampleRepo; bucket: string } {
  const repo = copyExampleRepo();
  repos.push(repo);
  const bucket = `mailops-bootstrap-${++buckets}`;
  repo.write(
    "mailops.yaml",
    repo.read("mailops.yaml").replace(/^state: .*$/m, `state: s3://${bucket}/acme/state`),
  );
  return { repo, bucket };
}

const bootstrap = (dir: string, extra: { adopt?: boolean } = {}) =>
  runBootstrap({ dir, repo: "acme/marketing", ...extra });

const EVERY_SETTING = [
  "versioning enabled",
  "default encryption (SSE-S3)",
  "public access blocked",
  `lifecycle rule ${LIFECYCLE_RULE_ID} (noncurrent versions expire)`,
  "tag mailops:project",
];

async function settings(Bucket: string) {
  const [versioning, encryption, pab, lifecycle, tags] = await Promise.all([
    s3.send(new GetBucketVersioningCommand({ Bucket })),
    s3.send(new GetBucketEncryptionCommand({ Bucket })),
    s3.send(new GetPublicAccessBlockCommand({ Bucket })),
    s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket })),
    s3.send(new GetBucketTaggingCommand({ Bucket })),
  ]);
  return { versioning, encryption, pab, lifecycle, tags };
}

describe("mailops bootstrap: the state bucket", () => {
  it("creates the bucket versioned, encrypted, private, with the lifecycle rule and the project tag", async () => {
    const { repo, bucket } = repoWithBucket();
    const report = await bootstrap(repo.dir);
    expect(report.bucket).toEqual({
      name: bucket,
      state: "created",
      set: EVERY_SETTING,
      tag: { key: "mailops:project", value: "acme-marketing" },
    });
    const s = await settings(bucket);
    expect(s.versioning.Status).toBe("Enabled");
    expect(
      s.encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault
        ?.SSEAlgorithm,
    ).toBe("AES256");
    expect(s.pab.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const rule = s.lifecycle.Rules?.find((r) => r.ID === LIFECYCLE_RULE_ID);
    expect(rule?.Status).toBe("Enabled");
    expect(rule?.NoncurrentVersionExpiration?.NoncurrentDays).toBe(90);
    expect(rule?.Filter?.Prefix).toBe("acme/state/");
    expect(s.tags.TagSet).toContainEqual({ Key: "mailops:project", Value: "acme-marketing" });
    expect(report.template).toMatchObject({ AWSTemplateFormatVersion: "2010-09-09" });
    expect(report.written).toBeUndefined();
  });

  it("changes nothing on a second run, and says so", async () => {
    const { repo, bucket } = repoWithBucket();
    await bootstrap(repo.dir);
    const before = await settings(bucket);
    const report = await bootstrap(repo.dir);
    expect(report.bucket).toMatchObject({ state: "unchanged", set: [] });
    const after = await settings(bucket);
    expect(after.lifecycle.Rules).toEqual(before.lifecycle.Rules);
    expect(after.tags.TagSet).toEqual(before.tags.TagSet);
  });

  it("leaves a bucket it did not create alone, saying what it lacks; --adopt sets it up keeping its tags", async () => {
    const { repo, bucket } = repoWithBucket();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketTaggingCommand({
        Bucket: bucket,
        Tagging: { TagSet: [{ Key: "team", Value: "growth" }] },
      }),
    );
    await expect(bootstrap(repo.dir)).rejects.toThrow(
      /not set up by mailops bootstrap.*lacks: versioning enabled/,
    );
    const untouched = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    expect(untouched.Status).toBeUndefined();
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toEqual([
      { Key: "team", Value: "growth" },
    ]);

    const report = await bootstrap(repo.dir, { adopt: true });
    expect(report.bucket).toMatchObject({ state: "set", set: EVERY_SETTING });
    const s = await settings(bucket);
    expect(s.versioning.Status).toBe("Enabled");
    expect(s.tags.TagSet).toEqual(
      expect.arrayContaining([
        { Key: "team", Value: "growth" },
        { Key: "mailops:project", Value: "acme-marketing" },
      ]),
    );
  });

  it("refuses a bucket tagged for another project, even with --adopt", async () => {
    const { repo, bucket } = repoWithBucket();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketTaggingCommand({
        Bucket: bucket,
        Tagging: { TagSet: [{ Key: "mailops:project", Value: "other" }] },
      }),
    );
    await expect(bootstrap(repo.dir, { adopt: true })).rejects.toThrow(/belongs to mailops project other/);
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBeUndefined();
  });
});

describe("the roles' template bootstrap writes", () => {
  /** A CloudFormation query call to moto: it routes by the credential scope and checks no signature. */
  const cfn = async (params: Record<string, string>) => {
    const body = new URLSearchParams({ Version: "2010-05-15", ...params });
    const r = await fetch(emulators.moto.endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `AWS4-HMAC-SHA256 Credential=${EMULATOR_CREDENTIALS.accessKeyId}/20260101/${EMULATOR_REGION}/cloudformation/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body,
    });
    return r.text();
  };

  it("deploys as a stack: the OIDC provider and the four roles are created", async () => {
    const repo = copyExampleRepo();
    repos.push(repo);
    repo.write(
      "mailops.yaml",
      repo.read("mailops.yaml").replace(/^state: .*$/m, `state: s3://cfn-stack-${++buckets}/prod`),
    );
    const out = `${repo.dir}/stack.json`;
    const report = await runBootstrap({ dir: repo.dir, repo: "acme/marketing", out });
    expect(report.written).toBe(out);
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(report.template);
    const stack = `mailops-stack-${buckets}`;
    await cfn({
      Action: "CreateStack",
      StackName: stack,
      TemplateBody: readFileSync(out, "utf8"),
      "Capabilities.member.1": "CAPABILITY_IAM",
    });
    const described = await cfn({ Action: "DescribeStacks", StackName: stack });
    expect(described).toContain("<StackStatus>CREATE_COMPLETE</StackStatus>");
    for (const role of ["PlanRole", "DeployRole", "SendRole", "DriftRole"])
      expect(described).toContain(`<OutputKey>${role}</OutputKey>`);
  });
});
