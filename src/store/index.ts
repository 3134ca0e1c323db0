/**
 * Opening the state store named by `state:` in mailops.yaml: `s3://bucket/prefix` is S3, anything
 * else is a directory relative to the project root.
 */
import path from "node:path";
import { InvalidStoreSpecError } from "./errors.js";
import { LocalStore } from "./local.js";
import { S3Store } from "./s3.js";
import type { Store } from "./types.js";

export * from "./errors.js";
export { LocalStore } from "./local.js";
export { S3Store } from "./s3.js";
export type { GetOptions, PutIfAbsentOptions, PutOptions, Store, StoredObject } from "./types.js";
export { writeId } from "./types.js";

export interface OpenStoreOptions {
  /** Project root: a relative directory spec is resolved against it. */
  root: string;
  /** aws.region from mailops.yaml; otherwise AWS_REGION / the profile's region. */
  region?: string;
  /** S3 endpoint override (tests, S3-compatible servers); AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL work too. */
  endpoint?: string;
}

const bucketName = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function openStore(spec: string, options: OpenStoreOptions): Store {
  const trimmed = spec.trim();
  if (trimmed === "") {
    throw new InvalidStoreSpecError("the state store location is empty", "set `state:` in mailops.yaml");
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(trimmed)?.[1];
  if (scheme === undefined) return new LocalStore(path.resolve(options.root, trimmed));
  if (scheme.toLowerCase() !== "s3") {
    throw new InvalidStoreSpecError(
      `unsupported state store ${trimmed}: only s3:// URLs and local directories are supported`,
      "use `state: s3://bucket/prefix` or a directory such as `.mailops/state`",
    );
  }
  const rest = trimmed.slice(scheme.length + 3);
  const slash = rest.indexOf("/");
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = (slash === -1 ? "" : rest.slice(slash + 1)).replace(/^\/+|\/+$/g, "");
  if (!bucketName.test(bucket)) {
    throw new InvalidStoreSpecError(
      `invalid S3 bucket name ${JSON.stringify(bucket)} in state store ${trimmed}`,
      "write it as s3://bucket/prefix (bucket names are 3-63 lowercase letters, digits, dots and hyphens)",
    );
  }
  if (prefix.split("/").some((s) => s === "" || s === "." || s === "..") && prefix !== "") {
    throw new InvalidStoreSpecError(
      `invalid prefix ${JSON.stringify(prefix)} in state store ${trimmed}`,
      "write it as s3://bucket/some/prefix without empty, . or .. segments",
    );
  }
  return new S3Store(bucket, prefix, {
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
  });
}
