/**
 * The state bucket as `mailops bootstrap` sets it up: versioning, default encryption (SSE-S3),
 * public access blocked, a lifecycle rule for old versions, and the `mailops:project` tag.
 *
 * What is there is read first (readBucket), compared with what is wanted (missingSettings, pure),
 * and only the missing settings are written (applySettings): a second run finds nothing missing and
 * writes nothing. A bucket without this project's tag was not made by bootstrap: its settings are
 * reported and left alone unless the caller adopts it.
 */
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  type LifecycleRule,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  type Tag,
} from "@aws-sdk/client-s3";

export const PROJECT_TAG = "mailops:project";
export const LIFECYCLE_RULE_ID = "mailops-state-old-versions";

export interface BucketState {
  versioning: boolean;
  encryption: boolean;
  publicAccessBlocked: boolean;
  /** Rules other than ours are kept when ours is added (the call replaces the whole set). */
  lifecycleRules: LifecycleRule[];
  tags: Tag[];
}

export interface WantedBucket {
  project: string;
  prefix: string;
  noncurrentDays: number;
}

export type Setting = "versioning" | "encryption" | "public-access-block" | "lifecycle" | "tag";

export const SETTING_TEXT: Record<Setting, string> = {
  versioning: "versioning enabled",
  encryption: "default encryption (SSE-S3)",
  "public-access-block": "public access blocked",
  lifecycle: `lifecycle rule ${LIFECYCLE_RULE_ID} (noncurrent versions expire)`,
  tag: `tag ${PROJECT_TAG}`,
};

/** True when the bucket carries this project's tag: bootstrap made it (or adopted it). */
export function isOurs(state: BucketState, project: string): boolean {
  return state.tags.some((t) => t.Key === PROJECT_TAG && t.Value === project);
}

/** The settings the bucket lacks, in the order they are applied (the tag last: it marks the bucket done). */
export function missingSettings(state: BucketState, wanted: WantedBucket): Setting[] {
  const missing: Setting[] = [];
  if (!state.versioning) missing.push("versioning");
  if (!state.encryption) missing.push("encryption");
  if (!state.publicAccessBlocked) missing.push("public-access-block");
  if (!state.lifecycleRules.some((r) => r.ID === LIFECYCLE_RULE_ID && r.Status === "Enabled"))
    missing.push("lifecycle");
  if (!isOurs(state, wanted.project)) missing.push("tag");
  return missing;
}

/**
 * Noncurrent versions expire after `noncurrentDays`, keeping the 10 newest. While a campaign is
 * sent, the store is written about twice a second (ledger records, run records, the lock's
 * renewals), and every overwrite leaves a noncurrent version: without expiry they pile up for ever.
 * Delete markers with nothing behind them are cleared too.
 */
export function lifecycleRule(wanted: WantedBucket): LifecycleRule {
  return {
    ID: LIFECYCLE_RULE_ID,
    Filter: { Prefix: wanted.prefix === "" ? "" : `${wanted.prefix}/` },
    Status: "Enabled",
    NoncurrentVersionExpiration: { NoncurrentDays: wanted.noncurrentDays, NewerNoncurrentVersions: 10 },
    Expiration: { ExpiredObjectDeleteMarker: true },
  };
}

type Client = Pick<S3Client, "send">;

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** The answer, or `absent` for the "no such configuration" errors S3 gives for a setting never made. */
async function orAbsent<T>(call: Promise<T>, absentNames: string[]): Promise<T | "absent"> {
  try {
    return await call;
  } catch (error) {
    if (absentNames.includes(errorName(error) ?? "")) return "absent";
    throw error;
  }
}

/** `absent` when there is no such bucket; `forbidden` when it exists but these credentials may not see it (another account's). */
export async function readBucket(
  client: Client,
  bucket: string,
): Promise<BucketState | "absent" | "forbidden"> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const status = httpStatus(error);
    if (status === 404 || errorName(error) === "NotFound" || errorName(error) === "NoSuchBucket")
      return "absent";
    if (status === 403) return "forbidden";
    throw error;
  }
  const Bucket = bucket;
  const [versioning, encryption, pab, lifecycle, tagging] = await Promise.all([
    client.send(new GetBucketVersioningCommand({ Bucket })),
    orAbsent(client.send(new GetBucketEncryptionCommand({ Bucket })), [
      "ServerSideEncryptionConfigurationNotFoundError",
    ]),
    orAbsent(client.send(new GetPublicAccessBlockCommand({ Bucket })), [
      "NoSuchPublicAccessBlockConfiguration",
    ]),
    orAbsent(client.send(new GetBucketLifecycleConfigurationCommand({ Bucket })), [
      "NoSuchLifecycleConfiguration",
    ]),
    orAbsent(client.send(new GetBucketTaggingCommand({ Bucket })), ["NoSuchTagSet"]),
  ]);
  const block = pab === "absent" ? undefined : pab.PublicAccessBlockConfiguration;
  return {
    versioning: versioning.Status === "Enabled",
    encryption:
      encryption !== "absent" && (encryption.ServerSideEncryptionConfiguration?.Rules ?? []).length > 0,
    publicAccessBlocked:
      block?.BlockPublicAcls === true &&
      block.IgnorePublicAcls === true &&
      block.BlockPublicPolicy === true &&
      block.RestrictPublicBuckets === true,
    lifecycleRules: lifecycle === "absent" ? [] : (lifecycle.Rules ?? []),
    tags: tagging === "absent" ? [] : (tagging.TagSet ?? []),
  };
}

export async function createBucket(
  client: Client,
  bucket: string,
  region: string | undefined,
): Promise<void> {
  // us-east-1 takes no location constraint; every other region needs one.
  const location =
    region && region !== "us-east-1" ? { CreateBucketConfiguration: { LocationConstraint: region } } : {};
  await client.send(new CreateBucketCommand({ Bucket: bucket, ...(location as object) }));
}

/** Writes exactly the missing settings, keeping the bucket's other lifecycle rules and tags. */
export async function applySettings(
  client: Client,
  bucket: string,
  state: BucketState,
  missing: Setting[],
  wanted: WantedBucket,
): Promise<void> {
  const Bucket = bucket;
  for (const setting of missing) {
    if (setting === "versioning") {
      await client.send(
        new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }),
      );
    } else if (setting === "encryption") {
      await client.send(
        new PutBucketEncryptionCommand({
          Bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
          },
        }),
      );
    } else if (setting === "public-access-block") {
      await client.send(
        new PutPublicAccessBlockCommand({
          Bucket,
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            IgnorePublicAcls: true,
            BlockPublicPolicy: true,
            RestrictPublicBuckets: true,
          },
        }),
      );
    } else if (setting === "lifecycle") {
      const others = state.lifecycleRules.filter((r) => r.ID !== LIFECYCLE_RULE_ID);
      await client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket,
          LifecycleConfiguration: { Rules: [...others, lifecycleRule(wanted)] },
        }),
      );
    } else {
      const others = state.tags.filter((t) => t.Key !== PROJECT_TAG);
      await client.send(
        new PutBucketTaggingCommand({
          Bucket,
          Tagging: { TagSet: [...others, { Key: PROJECT_TAG, Value: wanted.project }] },
        }),
      );
    }
  }
}
