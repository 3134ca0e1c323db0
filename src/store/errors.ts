/**
 * Errors of the state store. Each says in one line what failed and where (the store's location),
 * with a hint that names the fix. PreconditionFailedError is the one callers catch and handle
 * (a compare-and-swap lost a race); the rest reach the entries and are shown to the user.
 */
import { MailopsError } from "../errors.js";

export class StoreError extends MailopsError {}

/** A key or list prefix that is not a plain slash-separated name. A bug in mailops, not in the user's setup. */
export class InvalidKeyError extends StoreError {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(
      `invalid state store key ${JSON.stringify(key)}: ${reason}`,
      "keys are slash-separated names such as `inventory.json` or `ledger/<campaign>/<run>/batch-000001.json`",
    );
  }
}

/** The `state:` setting is neither a directory nor an `s3://bucket/prefix` URL. */
export class InvalidStoreSpecError extends StoreError {}

/** A conditional write (`ifMatch`) found another version, or no object at all. */
export class PreconditionFailedError extends StoreError {
  constructor(
    readonly key: string,
    readonly location: string,
    found: "changed" | "missing",
  ) {
    super(
      found === "missing"
        ? `${key} in ${location} was deleted by another writer`
        : `${key} in ${location} was changed by another writer`,
      "read it again and retry; another mailops run may be working on the same project",
    );
  }
}

export class BucketNotFoundError extends StoreError {
  constructor(
    readonly bucket: string,
    location: string,
  ) {
    super(
      `S3 bucket ${bucket} does not exist (state store ${location})`,
      `create the bucket (aws s3 mb s3://${bucket}) or fix \`state:\` in mailops.yaml; if it held this project's state, restore that instead (docs/github-setup.md): an empty store cannot say who was sent to`,
    );
  }
}

/** No credentials, or credentials that S3 rejected. */
export class StoreCredentialsError extends StoreError {}

export class StoreAccessDeniedError extends StoreError {}

/** The endpoint could not be reached at all (refused, unknown host, timed out). */
export class StoreUnreachableError extends StoreError {}

/** A LocalStore key lock held by a live process for longer than the wait allows. */
export class StoreLockTimeoutError extends StoreError {}

/**
 * A failure that passes: S3 slowing requests down (SlowDown, 503) past the SDK's own retries, a
 * 5xx answer, or a read cut short. Nothing is wrong with the setup; running again is the fix.
 */
export class StoreTransientError extends StoreError {}
