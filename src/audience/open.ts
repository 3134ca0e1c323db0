/**
 * Opening a subscriber source's raw bytes: a local file or an S3 object, decompressed when the
 * source is .gz. Openers only open; parsing is the format readers' job.
 */
import { createReadStream, fstatSync, open as openFd, ReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pipeline, Readable } from "node:stream";
import { promisify } from "node:util";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Source } from "../config/model.js";
import { MailopsError } from "../errors.js";
import { isInside } from "../util/paths.js";
import { s3Client, s3Sdk } from "../util/s3-client.js";

export type OpenSource = (source: Source) => Promise<NodeJS.ReadableStream | AsyncIterable<Buffer | string>>;

/**
 * Node's own read size. Not larger: a chunk decoded to a string of more than about 1 MB becomes
 * an external string that only a full collection frees, so with 1 MB reads a pass held some 40 MB
 * of old chunks and ran at a third of the speed of 64 KB reads (page faults); the readers yield
 * per few hundred rows anyway, so smaller chunks cost no more trips through the async machinery.
 */
const READ_CHUNK = 1 << 16;

/** Local files, resolved against the repository root. */
export function openLocal(root: string): OpenSource {
  return async (source) => {
    if (source.location?.startsWith("s3://")) {
      throw new MailopsError(
        `subscriber source \`${source.name}\` is in S3 (${source.location}), not a local file`,
        "read it with the S3 opener (openSource picks by location)",
      );
    }
    if (source.localPath === undefined) {
      throw new MailopsError(
        `subscriber source \`${source.name}\` names no file`,
        `set \`source:\` in ${source.file}`,
      );
    }
    const file = path.resolve(root, source.localPath);
    // Subscriber files stay inside the repository, symbolic links included: a pull request must
    // not be able to point a source at any file of the machine that runs the plan.
    const outside = () =>
      new MailopsError(
        `subscriber source \`${source.name}\` points outside the repository (${source.location})`,
        "keep local subscriber files inside the repository, or use s3://bucket/key",
      );
    if (!isInside(root, file)) throw outside();
    try {
      const [real, realRoot] = await Promise.all([realpath(file), realpath(root)]);
      if (!isInside(realRoot, real)) throw outside();
      // Opened first, so that a missing file is told here. A stream over the descriptor, not a
      // FileHandle's: each of its reads is a promise of fs/promises, about 40 ms more over 125 MB.
      const fd = await promisify(openFd)(real, "r");
      return createReadStream(real, { fd, highWaterMark: READ_CHUNK });
    } catch (error) {
      if (error instanceof MailopsError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      const what = `subscriber file ${source.localPath} of source \`${source.name}\``;
      if (code === "ENOENT")
        throw new MailopsError(`${what} does not exist`, `check \`source:\` in ${source.file}`);
      if (code === "EISDIR")
        throw new MailopsError(`${what} is a directory`, `check \`source:\` in ${source.file}`);
      throw new MailopsError(`${what} cannot be read: ${(error as Error).message}`);
    }
  };
}

export interface S3OpenOptions {
  /** Explicit endpoint; otherwise AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (read by the SDK) or AWS. */
  endpoint?: string;
  /** A ready client (tests). */
  client?: Pick<S3Client, "send">;
}

/** `s3://bucket/key` through GetObject, credentials from the standard chain. */
export function openS3(region: string | undefined, options: S3OpenOptions = {}): OpenSource {
  let client = options.client;
  return async (source) => {
    const { bucket, key } = parseS3(source);
    client ??= s3Client({ region, endpoint: options.endpoint });
    try {
      const out = await client.send(new (s3Sdk().GetObjectCommand)({ Bucket: bucket, Key: key }));
      if (out.Body === undefined) throw new Error("the response has no body");
      return out.Body as Readable;
    } catch (error) {
      throw s3Error(error, source);
    }
  };
}

/** Local or S3, by the source's location. */
export function openSource(root: string, region: string | undefined, s3: S3OpenOptions = {}): OpenSource {
  const local = openLocal(root);
  let remote: OpenSource | undefined;
  return (source) => {
    if (!source.location?.startsWith("s3://")) return local(source);
    remote ??= openS3(region, s3);
    return remote(source);
  };
}

/**
 * What a source is now, without reading it: a local file's size, modification time and inode, an
 * S3 object's ETag, size and modification time; undefined when that cannot be told (a database, a
 * failed look-up). A count kept for a later send is used only while this stays the same.
 */
export type SourceVersion = (source: Source) => Promise<string | undefined>;

export function sourceVersion(
  root: string,
  region: string | undefined,
  s3: S3OpenOptions = {},
): SourceVersion {
  let client = s3.client;
  return async (source) => {
    if (source.postgres) return undefined;
    try {
      if (source.location?.startsWith("s3://")) {
        const { bucket, key } = parseS3(source);
        client ??= s3Client({ region, endpoint: s3.endpoint });
        const head = await client.send(new (s3Sdk().HeadObjectCommand)({ Bucket: bucket, Key: key }));
        if (!head.ETag) return undefined;
        return `s3 ${head.ETag} ${head.ContentLength} ${head.LastModified?.getTime()}`;
      }
      if (source.localPath === undefined) return undefined;
      const st = await stat(path.resolve(root, source.localPath), { bigint: true });
      return `file ${st.dev}:${st.ino} ${st.size} ${st.mtimeNs} ${st.ctimeNs}`;
    } catch {
      // Unknown is never "unchanged": the campaign is counted again at its turn.
      return undefined;
    }
  };
}

/**
 * The size in bytes of what `input` will read when it is a local file's stream (openLocal's),
 * else undefined: an S3 body, a decompressed stream, a test's chunks.
 */
export function fileSize(input: unknown): number | undefined {
  const fd = input instanceof ReadStream ? (input as { fd?: unknown }).fd : undefined;
  if (typeof fd !== "number") return undefined;
  try {
    return fstatSync(fd).size;
  } catch {
    return undefined;
  }
}

/**
 * The decompressed bytes of a source. Errors of either stream (a truncated download, data that is
 * not gzip) surface in the iteration; destroying the result stops both.
 */
export async function sourceBytes(source: Source, open: OpenSource): Promise<AsyncIterable<Buffer | string>> {
  const input = await open(source);
  if (!source.gzip) return input as AsyncIterable<Buffer | string>;
  const raw = input instanceof Readable ? input : Readable.from(input as AsyncIterable<Buffer | string>);
  // Required here: node:zlib costs every start about 2 ms, and only a .gz source needs it.
  const { createGunzip } = createRequire(import.meta.url)("node:zlib") as typeof import("node:zlib");
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  pipeline(raw, gunzip, () => {
    // pipeline has already destroyed gunzip with the error; the reader sees it there.
  });
  return gunzip;
}

function parseS3(source: Source): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(source.location ?? "");
  if (!m) {
    throw new MailopsError(
      `subscriber source \`${source.name}\` has no usable S3 location (${source.location})`,
      "write it as s3://bucket/key",
    );
  }
  return { bucket: m[1] as string, key: m[2] as string };
}

function s3Error(error: unknown, source: Source): MailopsError {
  const name = (error as { name?: string }).name ?? "";
  const what = `subscriber source \`${source.name}\` (${source.location})`;
  if (name === "NoSuchKey" || name === "NotFound")
    return new MailopsError(`${what} does not exist`, `check \`source:\` in ${source.file}`);
  if (name === "NoSuchBucket") return new MailopsError(`${what}: the bucket does not exist`);
  if (name === "AccessDenied" || name === "Forbidden")
    return new MailopsError(
      `${what}: access denied`,
      "the credentials in use need s3:GetObject on this object",
    );
  if (name === "CredentialsProviderError")
    return new MailopsError(
      `${what}: no AWS credentials found`,
      "configure credentials (environment, profile, or the GitHub OIDC role)",
    );
  return new MailopsError(`${what} cannot be read: ${(error as Error).message ?? String(error)}`);
}
