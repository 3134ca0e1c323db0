/**
 * `mailops bootstrap` as the command line shows it: the bucket lines on stderr and the template on
 * stdout (pipeable), every line on stdout with `--out`; `--format json` the report (kind
 * `bootstrap`) against moto_server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { presentBootstrap } from "../../src/cli/bootstrap.js";
import type { BootstrapReport } from "../../src/commands/bootstrap.js";
import { cli } from "../support/cli.js";
import { emulatorEnv, useEmulators } from "../support/emulators.js";
import { captureIo, copyExampleRepo, type ExampleRepo } from "../support/repo.js";

const report = (bucket: Partial<BootstrapReport["bucket"]>, written?: string): BootstrapReport => ({
  project: "acme",
  bucket: {
    name: "acme-state",
    state: "set",
    set: ["versioning enabled", "tag mailops:project"],
    tag: { key: "mailops:project", value: "acme" },
    ...bucket,
  },
  template: { AWSTemplateFormatVersion: "2010-09-09" },
  stack: "mailops-acme-github",
  ...(written ? { written } : {}),
});

const TEMPLATE = '{\n  "AWSTemplateFormatVersion": "2010-09-09"\n}\n';

describe("bootstrap as text", () => {
  it.each([
    [
      "created",
      report({ state: "created" }),
      "Created bucket acme-state.\nBucket acme-state: set versioning enabled, tag mailops:project.\n",
    ],
    ["set", report({}), "Bucket acme-state: set versioning enabled, tag mailops:project.\n"],
    [
      "unchanged",
      report({ state: "unchanged", set: [] }),
      "Bucket acme-state is set up already (mailops:project=acme): nothing changed.\n",
    ],
  ])("%s: the bucket on stderr, the template on stdout", (_, r, err) => {
    const io = captureIo();
    presentBootstrap(r, io);
    expect(io.errText).toBe(err);
    expect(io.outText).toBe(TEMPLATE);
  });

  it("--out: the template in the file, the bucket line and how to deploy it on stdout", () => {
    const io = captureIo();
    presentBootstrap(report({ state: "unchanged", set: [] }, "roles.json"), io);
    expect(io.errText).toBe("");
    expect(io.outText).toBe(
      "Bucket acme-state is set up already (mailops:project=acme): nothing changed.\n" +
        "Wrote the roles' CloudFormation template to roles.json: aws cloudformation deploy --template-file roles.json --stack-name mailops-acme-github --capabilities CAPABILITY_IAM\n",
    );
  });
});

describe("bootstrap --format json", () => {
  const emulators = useEmulators({ moto: true });
  let repo: ExampleRepo;
  beforeAll(() => {
    for (const [name, value] of Object.entries(emulatorEnv({ s3: emulators.moto.endpoint })))
      vi.stubEnv(name, value);
  });
  afterAll(() => vi.unstubAllEnvs());
  afterEach(() => repo.cleanup());

  it("is the report, kind bootstrap: the bucket, the template, the stack name; no bucket lines", async () => {
    repo = copyExampleRepo();
    const bucket = `cli-json-${Date.now()}`;
    repo.write(
      "mailops.yaml",
      repo.read("mailops.yaml").replace(/^state: .*$/m, `state: s3://${bucket}/acme`),
    );
    const r = await cli("bootstrap", "--dir", repo.dir, "--repo", "acme/marketing", "--format", "json");
    expect(r.err).not.toContain("Bucket");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json).toMatchObject({
      version: 1,
      kind: "bootstrap",
      bucket: { name: bucket, state: "created" },
      template: { AWSTemplateFormatVersion: "2010-09-09" },
    });
    expect(json.stack).toBe(`mailops-${json.project}-github`);
    expect(json.bucket.set).toContain("versioning enabled");
  });
});
