/**
 * The state store in a local directory: one plain file per key, so `.mailops/state` stays
 * readable with `cat` and `ls`.
 *
 * - Every write goes to a flushed temp file first and is published with `rename` (replace) or
 *   `link` (create only): readers see the old or the new file, never a torn one.
 * - putIfAbsent is `link(temp, target)`: the kernel fails it with EEXIST when the target exists,
 *   which makes "create only if absent" atomic across processes without a lock.
 * - put, put-with-ifMatch and delete run under a per-key lock (local-lock.ts), because
 *   compare-and-swap is read, compare, rename, and nothing may slip in between. Unconditional
 *   puts and deletes take the same lock so they cannot land between another writer's compare
 *   and its rename (which would silently undo them).
 * - etag = SHA-256 of the content: a reader can compute it without any side file.
 * - Idempotent conditional writes behave like S3's (types.ts): a create that finds the key taken,
 *   or a swap that finds another etag, succeeds when the file holds exactly its body.
 * - An object's age is its file's mtime against this machine's clock: the store is on this
 *   machine, so every writer and reader of it shares that one clock. `now` replaces that clock
 *   (tests): writes then stamp their mtime with it.
 *
 * Internal files live under `<dir>/.store/` (tmp/, locks/), on the same filesystem as the data
 * so rename and link are atomic; keys cannot start a segment with "." so they never collide.
 */
import { type Dirent, linkSync, utimesSync } from "node:fs";
import { lstat, mkdir, open, readdir, readFile, rename, rmdir, unlink } from "node:fs/promises";
import path from "node:path";
import { MailopsError } from "../errors.js";
import { createHash } from "../util/crypto.js";
import { PreconditionFailedError, StoreAccessDeniedError, StoreError } from "./errors.js";
import { assertValidKey, assertValidPrefix, compareKeys } from "./keys.js";
import { code, KeyLocks, tempName, unlinkQuietly, writeTemp } from "./local-lock.js";
import type { GetOptions, PutIfAbsentOptions, PutOptions, Store, StoredObject } from "./types.js";

export interface LocalStoreOptions {
  /** How long a writer waits for another live process's key lock. */
  lockTimeoutMs?: number;
  /** Age after which a key lock counts as abandoned even if its pid is alive. */
  staleLockMs?: number;
  /** The store's clock (see the header); this machine's when not given. */
  now?: () => number;
}

const INTERNAL_DIR = ".store";

export class LocalStore implements Store {
  readonly location: string;
  private readonly tmpDir: string;
  private readonly locks: KeyLocks;
  private readonly now: (() => number) | undefined;

  constructor(
    private readonly dir: string,
    options: LocalStoreOptions = {},
  ) {
    this.location = dir;
    this.now = options.now;
    this.tmpDir = path.join(dir, INTERNAL_DIR, "tmp");
    this.locks = new KeyLocks(path.join(dir, INTERNAL_DIR, "locks"), this.tmpDir, {
      timeoutMs: options.lockTimeoutMs ?? 15_000,
      staleMs: options.staleLockMs ?? 60_000,
    });
  }

  async get(key: string, options: GetOptions = {}): Promise<StoredObject | undefined> {
    assertValidKey(key);
    if (options.age) return this.readWithAge(key);
    const body = await this.read(key);
    return body === undefined ? undefined : { body, etag: etagOf(body) };
  }

  async put(key: string, body: string, options: PutOptions = {}): Promise<{ etag: string }> {
    assertValidKey(key);
    const temp = await this.writeTemp(body);
    try {
      await this.withLock(key, async () => {
        if (options.ifMatch !== undefined) {
          const current = await this.read(key);
          if (options.idempotent && current === body) return; // this swap landed already (the header)
          if (current === undefined) throw new PreconditionFailedError(key, this.location, "missing");
          if (etagOf(current) !== options.ifMatch)
            throw new PreconditionFailedError(key, this.location, "changed");
        }
        await this.publish(key, () => rename(temp, this.file(key)));
      });
    } finally {
      await this.dropTemp(temp);
    }
    return { etag: etagOf(body) };
  }

  async putIfAbsent(
    key: string,
    body: string,
    options: PutIfAbsentOptions = {},
  ): Promise<{ etag: string } | undefined> {
    assertValidKey(key);
    const temp = await this.writeTemp(body, options.durable !== false);
    try {
      await this.publish(key, async () => linkSync(temp, this.file(key)));
    } catch (error) {
      if (code(error) !== "EEXIST") throw error;
      await this.assertNotFolder(key);
      if (!options.idempotent) return undefined;
      // Taken: by this very write (a retry, the header) only if it holds exactly this body.
      return (await this.read(key)) === body ? { etag: etagOf(body) } : undefined;
    } finally {
      await this.dropTemp(temp);
    }
    return { etag: etagOf(body) };
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    // Walk only the deepest folder the prefix fully names; the rest of it filters names.
    const folder = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
    const keys: string[] = [];
    await this.walk(folder, keys);
    return keys.filter((k) => k.startsWith(prefix)).sort(compareKeys);
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.withLock(key, async () => {
      try {
        await unlink(this.file(key));
      } catch (error) {
        const c = code(error);
        if (c === "ENOENT" || c === "ENOTDIR") return;
        if (c === "EISDIR" || c === "EPERM") {
          // unlink of a directory is EISDIR on Linux and EPERM on macOS: a folder is no object.
          if ((await lstat(this.file(key)).catch(() => undefined))?.isDirectory()) return;
        }
        throw this.fsError(error, "delete", key);
      }
    });
    await this.removeEmptyFolders(key);
  }

  private file(key: string): string {
    return path.join(this.dir, ...key.split("/"));
  }

  private async read(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.file(key), "utf8");
    } catch (error) {
      const c = code(error);
      // A folder ("a" when "a/b" exists) or a file where a folder would be ("a/b" when "a" is a file) are no object.
      if (c === "ENOENT" || c === "ENOTDIR" || c === "EISDIR") return undefined;
      throw this.fsError(error, "read", key);
    }
  }

  /** Body, etag and age read from one open file: a rename in between cannot mix two versions. */
  private async readWithAge(key: string): Promise<StoredObject | undefined> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.file(key), "r");
    } catch (error) {
      const c = code(error);
      if (c === "ENOENT" || c === "ENOTDIR" || c === "EISDIR") return undefined;
      throw this.fsError(error, "read", key);
    }
    try {
      const info = await handle.stat();
      if (info.isDirectory()) return undefined;
      const body = await handle.readFile("utf8");
      const now = this.now?.() ?? Date.now();
      return { body, etag: etagOf(body), ageMs: Math.max(0, now - info.mtimeMs) };
    } catch (error) {
      throw this.fsError(error, "read", key);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  private async writeTemp(body: string, flush = true): Promise<string> {
    const temp = tempName(this.tmpDir);
    try {
      await writeTemp(temp, body, flush);
      if (this.now) {
        const at = this.now() / 1000;
        utimesSync(temp, at, at);
      }
    } catch (error) {
      throw this.fsError(error, "write", "a temporary file");
    }
    return temp;
  }

  /** A temp file left behind is harmless (never listed), so failing to remove one fails nothing. */
  private async dropTemp(temp: string): Promise<void> {
    await unlinkQuietly(temp).catch(() => undefined);
  }

  /** Run `op` (a rename or link onto the key's file), creating parent folders as needed. */
  private async publish(key: string, op: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await op();
        return;
      } catch (error) {
        const c = code(error);
        // ENOENT: parent folder missing, or removed by a concurrent delete's cleanup; recreate and retry.
        if (c === "ENOENT" && attempt < 5) {
          await mkdir(path.dirname(this.file(key)), { recursive: true }).catch((e: unknown) => {
            throw this.fsError(e, "write", key);
          });
          continue;
        }
        if (c === "EEXIST") throw error;
        throw this.fsError(error, "write", key);
      }
    }
  }

  private async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const name = createHash("sha256").update(key).digest("hex").slice(0, 40);
    try {
      return await this.locks.with(name, `${key} in ${this.location}`, fn);
    } catch (error) {
      // The key lock's own files failing (permissions, a full disk) are the store's to name.
      if (error instanceof MailopsError) throw error;
      throw this.fsError(error, "lock", key);
    }
  }

  private async walk(folder: string, out: string[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(folder === "" ? this.dir : this.file(folder), { withFileTypes: true });
    } catch (error) {
      const c = code(error);
      if (c === "ENOENT" || c === "ENOTDIR") return;
      throw this.fsError(error, "list", folder || "(root)");
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue; // .store/ and anything else that is no key
      const key = folder === "" ? entry.name : `${folder}/${entry.name}`;
      if (entry.isDirectory()) await this.walk(key, out);
      else if (entry.isFile()) out.push(key);
    }
  }

  /** Remove folders that the delete left empty, so a later put of a key with that name works. */
  private async removeEmptyFolders(key: string): Promise<void> {
    const segments = key.split("/").slice(0, -1);
    while (segments.length > 0) {
      try {
        await rmdir(path.join(this.dir, ...segments));
      } catch {
        return; // not empty (or already gone): stop climbing
      }
      segments.pop();
    }
  }

  private async assertNotFolder(key: string): Promise<void> {
    const info = await lstat(this.file(key)).catch(() => undefined);
    if (info?.isDirectory()) {
      throw new StoreError(
        `cannot store ${key} in ${this.location}: it is a folder holding other keys`,
        "a key cannot also be the folder of other keys in a local state store",
      );
    }
  }

  private fsError(error: unknown, op: string, key: string): StoreError {
    const c = code(error);
    const detail = error instanceof Error ? error.message : String(error);
    if (c === "EACCES" || c === "EPERM" || c === "EROFS") {
      return new StoreAccessDeniedError(
        `cannot ${op} ${key} in ${this.location}: permission denied (${c})`,
        `make ${this.location} writable for this user, or point \`state:\` in mailops.yaml elsewhere`,
      );
    }
    if (c === "EEXIST" || c === "ENOTDIR" || c === "EISDIR" || c === "ENOTEMPTY") {
      return new StoreError(
        `cannot ${op} ${key} in ${this.location}: a file and a folder of the same name collide (${c})`,
        "a key cannot also be the folder of other keys in a local state store",
      );
    }
    return new StoreError(
      `cannot ${op} ${key} in ${this.location}: ${detail}`,
      `check the state directory ${this.location} (free space, permissions), then run again`,
    );
  }
}

export function etagOf(body: string): string {
  return createHash("sha256").update(body, "utf8").digest("hex");
}
