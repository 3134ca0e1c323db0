/**
 * The state store in S3 (`s3://bucket/prefix`), using S3's own conditional writes:
 * `If-None-Match: *` for putIfAbsent and `If-Match: <etag>` for compare-and-swap. S3 evaluates
 * both atomically on the server, so no lock object is needed.
 *
 * The client is util/s3-client.ts's, as for subscriber sources in S3. Configuration comes from
 * the standard chain: credentials (env, profile, SSO, web identity / GitHub OIDC, container,
 * instance metadata), and the endpoint from `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` (the SDK
 * reads those itself, honouring `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`). With any endpoint
 * override, addressing is path-style: emulators and S3-compatible servers rarely resolve
 * `<bucket>.<host>` names.
 *
 * A conditional write whose answer was lost (a connection reset after S3 stored it) is sent again
 * by the SDK and then fails its own condition (412). So for an idempotent write a 412 is not taken
 * at its word: the object is read back, and if it holds exactly the body written, the write was
 * this one (types.ts).
 * An object's age (`get(key, { age: true })`) is S3's clock on both ends: the answer's `Date`
 * header minus the object's `Last-Modified`, so no local clock takes part.
 */
import type { GetObjectCommand, GetObjectCommandOutput, S3Client } from "@aws-sdk/client-s3";
import { configuredEndpoint } from "../util/aws-endpoint.js";
import { s3Client, s3Sdk } from "../util/s3-client.js";
import {
  BucketNotFoundError,
  PreconditionFailedError,
  StoreAccessDeniedError,
  StoreCredentialsError,
  StoreError,
  StoreTransientError,
  StoreUnreachableError,
} from "./errors.js";
import { assertValidKey, assertValidPrefix, compareKeys, MAX_KEY_BYTES } from "./keys.js";
import type { GetOptions, PutIfAbsentOptions, PutOptions, Store, StoredObject } from "./types.js";

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
/** A 412 on create, and then no object: it was deleted in between; create again, this often. */
const VANISHED_RETRIES = 3;

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
    this.endpoint = options.endpoint ?? configuredEndpoint("S3");
    this.client = options.client ?? s3Client({ region: options.region, endpoint: options.endpoint });
  }

  async get(key: string, options: GetOptions = {}): Promise<StoredObject | undefined> {
    const objectKey = this.objectKey(key);
    const command = new (s3Sdk().GetObjectCommand)({ Bucket: this.bucket, Key: objectKey });
    const answeredAt = options.age ? serverDate(command) : undefined;
    let out: GetObjectCommandOutput;
    try {
      out = await this.client.send(command);
    } catch (error) {
      if (errorName(error) === "NoSuchKey") return undefined;
      throw this.mapError(error, "read", key);
    }
    const object: StoredObject = { body: await this.readBody(out, key), etag: out.ETag ?? "" };
    if (answeredAt) {
      const date = answeredAt();
      const modified = out.LastModified?.getTime();
      if (date !== undefined && modified !== undefined) object.ageMs = Math.max(0, date - modified);
    }
    return object;
  }

  async put(key: string, body: string, options: PutOptions = {}): Promise<{ etag: string }> {
    const objectKey = this.objectKey(key);
    const command = () =>
      new (s3Sdk().PutObjectCommand)({
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
        const missing = errorName(error) === "NoSuchKey";
        if (missing || isPreconditionFailed(error)) {
          const mine = options.idempotent ? await this.ownWrite(key, body) : undefined;
          if (mine) return mine;
          throw new PreconditionFailedError(key, this.location, missing ? "missing" : "changed");
        }
      }
      throw this.mapError(error, "write", key);
    }
  }

  // S3 writes are durable once acknowledged; the durability hint changes nothing here.
  async putIfAbsent(
    key: string,
    body: string,
    options: PutIfAbsentOptions = {},
  ): Promise<{ etag: string } | undefined> {
    const objectKey = this.objectKey(key);
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await this.withConflictRetry(() =>
          this.client.send(
            new (s3Sdk().PutObjectCommand)({
              Bucket: this.bucket,
              Key: objectKey,
              ...payload(key, body),
              IfNoneMatch: "*",
            }),
          ),
        );
        return { etag: out.ETag ?? "" };
      } catch (error) {
        if (!isPreconditionFailed(error)) throw this.mapError(error, "write", key);
      }
      if (!options.idempotent) return undefined;
      const current = await this.get(key);
      if (current === undefined && attempt < VANISHED_RETRIES) continue;
      return current?.body === body ? { etag: current.etag } : undefined;
    }
  }

  /** After a failed condition: the object as this write left it, if it holds exactly `body`. */
  private async ownWrite(key: string, body: string): Promise<{ etag: string } | undefined> {
    const current = await this.get(key);
    return current?.body === body ? { etag: current.etag } : undefined;
  }

  /** The whole body, or an error saying the read was cut short (a dropped connection). */
  private async readBody(out: GetObjectCommandOutput, key: string): Promise<string> {
    let bytes: Uint8Array;
    try {
      bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (error) {
      throw this.cutShort(key, error instanceof Error ? error.message : String(error));
    }
    if (out.ContentLength !== undefined && bytes.length !== out.ContentLength)
      throw this.cutShort(key, `${bytes.length} of ${out.ContentLength} bytes arrived`);
    return Buffer.from(bytes).toString("utf8");
  }

  private cutShort(key: string, detail: string): StoreTransientError {
    return new StoreTransientError(
      `reading ${key} from ${this.location} was cut short (${detail})`,
      "the connection to S3 dropped mid-read; nothing was changed by it: run again",
    );
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const out = await this.client.send(
          new (s3Sdk().ListObjectsV2Command)({
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
      await this.client.send(new (s3Sdk().DeleteObjectCommand)({ Bucket: this.bucket, Key: objectKey }));
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
        "use a shorter prefix in `state:` (mailops.yaml), or shorter campaign names",
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
        `give these credentials the role policy of docs/iam.md for this workflow (s3:GetObject, s3:ListBucket, and s3:PutObject to deploy or send) on ${this.location}`,
      );
    }
    if (
      name === "SlowDown" ||
      name === "ThrottlingException" ||
      name === "RequestLimitExceeded" ||
      status === 503
    ) {
      return new StoreTransientError(
        `S3 is slowing down requests to ${this.location}${where} (${name ?? status}): could not ${op} ${key}`,
        "S3 limits the request rate per prefix and the SDK's retries ran out; wait a minute and run again",
      );
    }
    if (name === "ConditionalRequestConflict") {
      return new StoreError(
        `S3 failed to ${op} ${key} in ${this.location}${where}: ${name}: ${message}`,
        "another mailops run keeps writing the same key; wait for it to finish, then run again",
      );
    }
    if (status !== undefined && status >= 500) {
      return new StoreTransientError(
        `S3 failed to ${op} ${key} in ${this.location}${where}: ${name ?? "error"} (HTTP ${status}): ${message}`,
        "a failure on S3's side; run again, and check the AWS Health Dashboard if it persists",
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
      `check the bucket's settings and these credentials' permissions on ${this.location}, then run again`,
    );
  }
}

/** The `Date` of S3's answer to `command`, once it is sent: S3's clock, not ours. */
function serverDate(command: GetObjectCommand): () => number | undefined {
  let date: number | undefined;
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const headers = (result.response as { headers?: Record<string, string | undefined> }).headers;
      const parsed = Date.parse(headers?.date ?? "");
      if (!Number.isNaN(parsed)) date = parsed;
      return result;
    },
    { step: "deserialize", name: "mailopsServerDate" },
  );
  return () => date;
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
