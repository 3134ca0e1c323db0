/**
 * The state store in S3 (`s3://bucket/prefix`), using S3's own conditional writes:
 * `If-None-Match: *` for putIfAbsent and `If-Match: <etag>` for compare-and-swap. S3 evaluates
 * both atomically on the server, so no lock object is needed.
 *
 * Configuration comes from the standard chain: credentials (env, profile, SSO, web identity /
 * GitHub OIDC, container, instance metadata), and the endpoint from `AWS_ENDPOINT_URL_S3` or
 * `AWS_ENDPOINT_URL` (the SDK reads those itself, honouring `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`).
 * With any endpoint override, addressing is path-style: emulators and S3-compatible servers
 * rarely resolve `<bucket>.<host>` names.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  BucketNotFoundError,
  PreconditionFailedError,
  StoreAccessDeniedError,
  StoreCredentialsError,
  StoreError,
  StoreUnreachableError,
} from "./errors.js";
import { assertValidKey, assertValidPrefix, compareKeys, MAX_KEY_BYTES } from "./keys.js";
import type { PutIfAbsentOptions, Store, StoredObject } from "./types.js";

export interface S3StoreOptions {
  region?: string;
  /** Explicit endpoint (tests, S3-compatible servers); otherwise AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL or AWS. */
  endpoint?: string;
  /** ListObjectsV2 page size (S3's maximum is 1000); smaller only to exercise paging. */
  listPageSize?: number;
  /** A ready client (tests that simulate S3 answers no emulator gives, such as 409 conflicts). */
  client?: Pick<S3Client, "send">;
}

/** 409 ConditionalRequestConflict: another conditional write to the key is in flight; S3 asks to retry. */
const CONFLICT_RETRIES = 6;

export class S3Store implements Store {
  readonly location: string;
  private readonly client: Pick<S3Client, "send">;
  private readonly keyPrefix: string;
  private readonly endpoint: string | undefined;

  constructor(
    readonly bucket: string,
    prefix: string,
    private readonly options: S3StoreOptions = {},
  ) {
    this.keyPrefix = prefix === "" ? "" : `${prefix}/`;
    this.location = prefix === "" ? `s3://${bucket}` : `s3://${bucket}/${prefix}`;
    this.endpoint = options.endpoint ?? configuredEndpoint();
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    this.client =
      options.client ??
      new S3Client({
        ...(region ? { region } : {}),
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        forcePathStyle: this.endpoint !== undefined,
        // The bucket may live in another region than aws.region; follow S3's redirect instead of failing.
        followRegionRedirects: true,
      });
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const objectKey = this.objectKey(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      const body = (await out.Body?.transformToString("utf8")) ?? "";
      return { body, etag: out.ETag ?? "" };
    } catch (error) {
      if (errorName(error) === "NoSuchKey") return undefined;
      throw this.mapError(error, "read", key);
    }
  }

  async put(key: string, body: string, options: { ifMatch?: string } = {}): Promise<{ etag: string }> {
    const objectKey = this.objectKey(key);
    const command = () =>
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: objectKey,
        ...payload(key, body),
        ...(options.ifMatch !== undefined ? { IfMatch: options.ifMatch } : {}),
      });
    try {
      const out = await this.withConflictRetry(() => this.client.send(command()));
      return { etag: out.ETag ?? "" };
    } catch (error) {
      if (options.ifMatch !== undefined) {
        // If-Match on a missing object is 404 NoSuchKey, not 412.
        if (errorName(error) === "NoSuchKey")
          throw new PreconditionFailedError(key, this.location, "missing");
        if (isPreconditionFailed(error)) throw new PreconditionFailedError(key, this.location, "changed");
      }
      throw this.mapError(error, "write", key);
    }
  }

  // S3 writes are durable once acknowledged; the durability hint changes nothing here.
  async putIfAbsent(
    key: string,
    body: string,
    _options?: PutIfAbsentOptions,
  ): Promise<{ etag: string } | undefined> {
    const objectKey = this.objectKey(key);
    try {
      const out = await this.withConflictRetry(() =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: objectKey,
            ...payload(key, body),
            IfNoneMatch: "*",
          }),
        ),
      );
      return { etag: out.ETag ?? "" };
    } catch (error) {
      if (isPreconditionFailed(error)) return undefined;
      throw this.mapError(error, "write", key);
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const out = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.keyPrefix + prefix,
            ...(token ? { ContinuationToken: token } : {}),
            ...(this.options.listPageSize ? { MaxKeys: this.options.listPageSize } : {}),
          }),
        );
        for (const object of out.Contents ?? []) {
          if (object.Key !== undefined) keys.push(object.Key.slice(this.keyPrefix.length));
        }
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.mapError(error, "list", prefix === "" ? "(all keys)" : `${prefix}*`);
    }
    return keys.sort(compareKeys);
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (error) {
      throw this.mapError(error, "delete", key);
    }
  }

  private objectKey(key: string): string {
    assertValidKey(key);
    const full = this.keyPrefix + key;
    if (Buffer.byteLength(full, "utf8") > MAX_KEY_BYTES) {
      throw new StoreError(
        `key ${key} is too long for S3 under ${this.location} (more than ${MAX_KEY_BYTES} bytes)`,
      );
    }
    return full;
  }

  private async withConflictRetry<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        if (errorName(error) !== "ConditionalRequestConflict" || attempt >= CONFLICT_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt * (0.5 + Math.random())));
      }
    }
  }

  /** One clear line per failure the user can fix; anything else keeps S3's own words. */
  mapError(error: unknown, op: string, key: string): StoreError {
    const name = errorName(error);
    const status = httpStatus(error);
    const message = error instanceof Error ? error.message : String(error);
    const where = this.endpoint ? ` at ${this.endpoint}` : "";
    if (name === "NoSuchBucket") return new BucketNotFoundError(this.bucket, this.location);
    if (name === "CredentialsProviderError") {
      return new StoreCredentialsError(
        `no AWS credentials found to ${op} ${key} in ${this.location}`,
        "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; in GitHub Actions use aws-actions/configure-aws-credentials",
      );
    }
    if (name === "InvalidAccessKeyId" || name === "SignatureDoesNotMatch" || name === "ExpiredToken") {
      return new StoreCredentialsError(
        `S3 rejected the AWS credentials (${name}) to ${op} ${key} in ${this.location}`,
        "refresh or replace the credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)",
      );
    }
    const netCode = networkCode(error);
    if (netCode !== undefined) {
      return new StoreUnreachableError(
        `cannot reach S3${where} to ${op} ${key} in ${this.location} (${netCode})`,
        this.endpoint
          ? "check AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL: is the server running and the address right?"
          : "check the network connection and aws.region in mailops.yaml",
      );
    }
    if (name === "AccessDenied" || name === "AllAccessDisabled" || status === 403) {
      return new StoreAccessDeniedError(
        `access denied to ${op} ${key} in ${this.location}`,
        `allow s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on ${this.location} for these credentials`,
      );
    }
    if (/region is missing/i.test(message)) {
      return new StoreError(
        `no AWS region configured for the state store ${this.location}`,
        "set aws.region in mailops.yaml or AWS_REGION",
      );
    }
    return new StoreError(
      `S3 failed to ${op} ${key} in ${this.location}${where}: ${name ?? "error"}: ${message}`,
    );
  }
}

/** The endpoint override the SDK will use, mirrored only to decide on path-style addressing and for messages. */
function configuredEndpoint(): string | undefined {
  const ignore = process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
  if (ignore !== undefined && ignore.toLowerCase() === "true") return undefined;
  return process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
}

/** Bytes with their length, so the SDK never treats the body as a stream of unknown length (it warns for ""). */
function payload(key: string, body: string) {
  const bytes = Buffer.from(body, "utf8");
  return {
    Body: bytes,
    ContentLength: bytes.length,
    ContentType: key.endsWith(".json") ? "application/json" : "text/plain; charset=utf-8",
  };
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function httpStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("$metadata" in error)) return undefined;
  const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return metadata?.httpStatusCode;
}

function isPreconditionFailed(error: unknown): boolean {
  return errorName(error) === "PreconditionFailed" || httpStatus(error) === 412;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
]);

/** Node reports connection failures as an error code, sometimes inside an AggregateError (happy eyeballs). */
function networkCode(error: unknown): string | undefined {
  const candidates: unknown[] = [error];
  if (error instanceof AggregateError) candidates.push(...error.errors);
  if (error instanceof Error && error.cause !== undefined) candidates.push(error.cause);
  for (const candidate of candidates) {
    if (typeof candidate !== "object" || candidate === null) continue;
    const c = (candidate as { code?: unknown }).code;
    if (typeof c === "string" && NETWORK_CODES.has(c)) return c;
  }
  if (errorName(error) === "TimeoutError") return "timed out";
  return undefined;
}
