/**
 * The one S3 client factory: the state store (store/s3.ts) and subscriber sources in S3
 * (audience/open.ts) build their clients here. Credentials come from the standard chain; the
 * region as given, else `AWS_REGION` / `AWS_DEFAULT_REGION`; the endpoint as given, else the SDK's
 * own configuration (aws-endpoint.ts).
 */
import { createRequire } from "node:module";
import type { S3Client } from "@aws-sdk/client-s3";
import { configuredEndpoint } from "./aws-endpoint.js";

type S3Sdk = typeof import("@aws-sdk/client-s3");
let sdk: S3Sdk | undefined;

/**
 * The S3 SDK, loaded when first used: loading it (with the SDK core it pulls in) costs a fifth of a
 * second and several MB at every start, and most runs (a local target, files in the repository)
 * never call S3. Its package is CommonJS, so this is the module an `import` of it gets too.
 */
export function s3Sdk(): S3Sdk {
  sdk ??= createRequire(import.meta.url)("@aws-sdk/client-s3") as S3Sdk;
  return sdk;
}

export interface S3ClientOptions {
  /** aws.region from mailops.yaml, when there is one. */
  region?: string;
  /** An explicit endpoint (tests, S3-compatible servers). */
  endpoint?: string;
}

export function s3Client(options: S3ClientOptions = {}): S3Client {
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  return new (s3Sdk().S3Client)({
    ...(region ? { region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    // With any endpoint override: emulators and S3-compatible servers rarely resolve `<bucket>.<host>` names.
    forcePathStyle: (options.endpoint ?? configuredEndpoint("S3")) !== undefined,
    // The bucket may live in another region than aws.region; follow S3's redirect instead of failing.
    followRegionRedirects: true,
  });
}
