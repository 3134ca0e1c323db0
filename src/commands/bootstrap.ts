/**
 * `mailops bootstrap` (aws): sets up the state bucket named by `state: s3://bucket/prefix`, and
 * makes (and with `out` writes) the CloudFormation template of the GitHub OIDC roles. It returns a
 * BootstrapReport; `cli/bootstrap.ts` presents it.
 *
 * The bucket gets versioning, default encryption, public access blocked, the lifecycle rule for
 * old versions and the `mailops:project` tag (store/s3-bucket.ts). Only what is missing is written,
 * so a second run changes nothing and says so. A bucket that exists without this project's tag
 * was not made here: what it lacks is reported and nothing is changed, unless `--adopt`.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { Project } from "../config/model.js";
import { MailopsError, UsageError } from "../errors.js";
import { S3Store } from "../store/s3.js";
import {
  applySettings,
  createBucket,
  isOurs,
  missingSettings,
  PROJECT_TAG,
  readBucket,
  SETTING_TEXT,
  type WantedBucket,
} from "../store/s3-bucket.js";
import { stackTemplate } from "../targets/aws/cloudformation.js";
import { domainOf, parseMailbox } from "../util/email.js";
import { s3Client } from "../util/s3-client.js";
import { projectStore } from "./context.js";
import { validProject } from "./validate.js";

export interface BootstrapOptions {
  dir: string;
  /** ORG/REPO; else GITHUB_REPOSITORY. */
  repo?: string;
  adopt?: boolean;
  /** Write the template here instead of printing it. */
  out?: string;
  noncurrentDays?: string;
}

export const DEFAULT_NONCURRENT_DAYS = 90;

export class BootstrapRefusedError extends MailopsError {}

/** What bootstrap did to the bucket, the roles' template, and where it was written. */
export interface BootstrapReport {
  project: string;
  bucket: {
    name: string;
    /** `created` now (then set up), settings `set` on a bucket that existed, or `unchanged`. */
    state: "created" | "set" | "unchanged";
    /** The settings written, in words (`versioning enabled`, …); none when unchanged. */
    set: string[];
    /** The tag that marks the bucket as this project's. */
    tag: { key: string; value: string };
  };
  /** The CloudFormation template of the GitHub OIDC roles. */
  template: object;
  /** The stack name the template is meant to be deployed as. */
  stack: string;
  /** The file the template was written to (`--out`, as given). */
  written?: string;
}

export async function bootstrap(options: BootstrapOptions): Promise<BootstrapReport> {
  const project = validProject(options.dir);
  const repository = repositoryOf(options);
  const days = noncurrentDays(options);
  const store = s3StateStore(project);
  const prefix = store.location.slice(`s3://${store.bucket}/`.length);
  const name = project.settings.project;
  const wanted: WantedBucket = { project: name, prefix, noncurrentDays: days };
  const bucket = await setUpBucket(store.bucket, wanted, project.settings.region, options.adopt === true);
  const template = stackTemplate({
    repository,
    project: name,
    bucket: store.bucket,
    prefix,
    identities: senderDomains(project),
    sources: [...project.sources.values()].map((s) => s.location ?? "").filter((l) => l.startsWith("s3://")),
  });
  if (options.out) writeFileSync(path.resolve(options.out), templateText(template));
  return {
    project: name,
    bucket: { name: store.bucket, ...bucket, tag: { key: PROJECT_TAG, value: name } },
    template,
    stack: `mailops-${name}-github`,
    ...(options.out ? { written: options.out } : {}),
  };
}

/** The template as the file holds it (and the command line prints it). */
export const templateText = (template: object) => `${JSON.stringify(template, null, 2)}\n`;

/** ORG/REPO: the roles trust only this repository's workflows. */
function repositoryOf(options: BootstrapOptions): string {
  const repository = (options.repo ?? process.env.GITHUB_REPOSITORY ?? "").trim();
  if (/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) return repository;
  throw new UsageError(
    repository === "" ? "no GitHub repository given" : `invalid repository ${JSON.stringify(repository)}`,
    "pass --repo ORG/REPO: the roles trust only this repository's workflows",
  );
}

function noncurrentDays(options: BootstrapOptions): number {
  const days = Number(options.noncurrentDays ?? DEFAULT_NONCURRENT_DAYS);
  if (Number.isInteger(days) && days >= 1) return days;
  throw new UsageError(
    `--noncurrent-days must be a whole number of days, at least 1`,
    "e.g. --noncurrent-days 90",
  );
}

function s3StateStore(project: Project): S3Store {
  const store = projectStore(project);
  if (store instanceof S3Store) return store;
  throw new UsageError(
    `state: ${project.settings.state} is not in S3`,
    "bootstrap sets up an S3 state store: set `state: s3://BUCKET/PREFIX` in mailops.yaml",
  );
}

async function setUpBucket(
  bucket: string,
  wanted: WantedBucket,
  region: string | undefined,
  adopt: boolean,
): Promise<Pick<BootstrapReport["bucket"], "state" | "set">> {
  const client = s3Client({ region });
  let state = await readBucket(client, bucket);
  if (state === "forbidden") {
    throw new BootstrapRefusedError(
      `bucket ${bucket} exists but these credentials may not read it (another account's, or no s3:ListBucket)`,
      "bucket names are global: pick another in `state:`, or run with credentials of the account that owns it",
    );
  }
  const created = state === "absent";
  if (state === "absent") {
    await createBucket(client, bucket, region);
    state = {
      versioning: false,
      encryption: false,
      publicAccessBlocked: false,
      lifecycleRules: [],
      tags: [],
    };
    adopt = true;
  }
  const missing = missingSettings(state, wanted);
  if (missing.length === 0) return { state: "unchanged", set: [] };
  const other = state.tags.find((t) => t.Key === PROJECT_TAG);
  if (other && other.Value !== wanted.project) {
    throw new BootstrapRefusedError(
      `bucket ${bucket} belongs to mailops project ${other.Value} (${PROJECT_TAG}), not ${wanted.project}`,
      "give this project its own bucket in `state:`; nothing was changed",
    );
  }
  if (!isOurs(state, wanted.project) && !adopt) {
    throw new BootstrapRefusedError(
      `bucket ${bucket} exists and was not set up by mailops bootstrap (no ${PROJECT_TAG}=${wanted.project} tag); it lacks: ${missing.map((m) => SETTING_TEXT[m]).join(", ")}. Nothing was changed`,
      "run again with --adopt to add these settings and the tag, or set them yourself (docs/github-setup.md)",
    );
  }
  await applySettings(client, bucket, state, missing, wanted);
  return { state: created ? "created" : "set", set: missing.map((m) => SETTING_TEXT[m]) };
}

/** The domains mail is sent from: sender.identity, and the domain of every From in the repository. */
function senderDomains(project: Project): string[] {
  const froms = [project.settings.sender.from, ...[...project.campaigns.values()].map((c) => c.from)];
  const domains = froms
    .map((f) => (f ? parseMailbox(f)?.address : undefined))
    .filter((a): a is string => a !== undefined)
    .map(domainOf);
  const identity = project.settings.sender.identity;
  if (identity) domains.push(identity.includes("@") ? domainOf(identity) : identity);
  return [...new Set(domains)];
}
