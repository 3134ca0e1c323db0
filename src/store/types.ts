/**
 * The state store: a small key-value interface over a local directory or an S3 prefix, holding
 * the inventory of applied resources, the per-recipient send ledger and the sender lock. Its
 * conditional writes are what make those safe under concurrent runs.
 *
 * Conditional writes can be made idempotent (`idempotent: true`): a write whose first attempt
 * landed but whose answer was lost (a connection reset, after which the SDK sends it again and S3
 * answers 412) is recognised as this writer's own by reading the object back and finding exactly
 * the body it wrote. That is sound only for a body no other write can have, so such bodies carry
 * a write id (writeId()). Without the option a failed condition is taken at its word: a counter
 * written "6" by two writers from "5" must not let both believe they wrote it.
 */
import { randomBytes } from "../util/crypto.js";

export interface StoredObject {
  body: string;
  /** Opaque version tag: pass it back as `ifMatch` to write only if nothing changed since. */
  etag: string;
  /**
   * Milliseconds since the object was last written, by the store's own clock (S3: the answer's
   * `Date` minus the object's `Last-Modified`, to the second; local: the file's mtime against this
   * machine's clock). Only when asked for (`get(key, { age: true })`); undefined when the store
   * cannot tell.
   */
  ageMs?: number;
}

export interface GetOptions {
  /** Also tell the object's age by the store's clock (StoredObject.ageMs). */
  age?: boolean;
}

export interface ConditionalOptions {
  /**
   * The body is this write's alone (it carries a write id): finding exactly it where the
   * condition failed means this write landed, and the call succeeds (see the header).
   */
  idempotent?: boolean;
}

export interface PutOptions extends ConditionalOptions {
  /** Compare-and-swap: write only if the object's etag is still this one. */
  ifMatch?: string;
}

export interface PutIfAbsentOptions extends ConditionalOptions {
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
  get(key: string, options?: GetOptions): Promise<StoredObject | undefined>;
  /**
   * Unconditional write, or compare-and-swap when ifMatch is given: throws PreconditionFailedError
   * when the current etag differs or the object is gone; with `idempotent`, an object holding
   * exactly `body` (this swap landed already: see the header) is success instead.
   */
  put(key: string, body: string, options?: PutOptions): Promise<{ etag: string }>;
  /**
   * Create only if absent. Returns the etag when this call created the object (with
   * `idempotent`, also when the object there holds exactly `body`: a retried create whose first
   * attempt landed); undefined (no throw) when another writer's object is there.
   */
  putIfAbsent(key: string, body: string, options?: PutIfAbsentOptions): Promise<{ etag: string } | undefined>;
  /** Keys under a prefix, sorted, all pages. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
}

/** A random id for one write, put in its body so that a retried write can tell its own object. */
export function writeId(): string {
  return randomBytes(9).toString("base64url");
}
