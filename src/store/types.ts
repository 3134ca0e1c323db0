/**
 * The state store: a small key-value interface over a local directory or an S3 prefix, holding
 * the inventory of applied resources, the per-recipient send ledger and the sender lock. Its
 * conditional writes are what make those safe under concurrent runs.
 */

export interface StoredObject {
  body: string;
  /** Opaque version tag: pass it back as `ifMatch` to write only if nothing changed since. */
  etag: string;
}

export interface PutIfAbsentOptions {
  /**
   * false: the write need not survive a power loss (LocalStore skips the flush to disk). For
   * records whose loss is safe, such as a send batch's outcome: without it the batch reads as
   * unknown, which is never resent unasked.
   */
  durable?: boolean;
}

export interface Store {
  /** Human name for messages: a directory path or s3://bucket/prefix */
  readonly location: string;
  get(key: string): Promise<StoredObject | undefined>;
  /** Unconditional write, or compare-and-swap when ifMatch is given (throws PreconditionFailedError when the current etag differs or the object is gone). */
  put(key: string, body: string, options?: { ifMatch?: string }): Promise<{ etag: string }>;
  /** Create only if absent; returns undefined (no throw) when the key already exists. */
  putIfAbsent(key: string, body: string, options?: PutIfAbsentOptions): Promise<{ etag: string } | undefined>;
  /** Keys under a prefix, sorted, all pages. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
}
