/**
 * Per-key mutual exclusion for LocalStore writers, across processes on one machine.
 *
 * Why a lock: POSIX has no "rename only if the target is still version X", so compare-and-swap
 * needs the read-compare-rename sequence to run alone. Readers never lock (they see whole files
 * thanks to rename), and the critical section is a few milliseconds.
 *
 * Acquire: write a record {token, pid, host, at} to a temp file and `link` it to the lock path.
 * link fails with EEXIST if the lock exists, so exactly one process wins, and the lock file
 * appears with its full contents (never a half-written record).
 *
 * Stale locks (holder crashed): a lock is stale when its holder is a dead pid on this host, or it
 * is older than `staleMs` (a holder stopped for that long is treated as gone). Breaking must not
 * remove a *new* lock that replaced the stale one between our read and our unlink, so a breaker
 * first claims the stale token: `link(lock, lock.break-<token>)`. Only one process can create that
 * claim; reading the claim tells whether the lock path still held the stale token at that moment;
 * and since every breaker of that token needs the same claim, nobody else can remove the stale
 * lock in between, so the unlink that follows removes exactly the stale lock.
 *
 * Limits, accepted and documented: same machine only (pid liveness; network filesystems are not
 * supported), and a holder paused longer than `staleMs` inside its few-millisecond critical
 * section can lose its lock to a breaker.
 */
import { mkdirSync, unlinkSync, writeFileSync } from "node:fs";
import { link, mkdir, readFile, stat } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { randomBytes, randomUUID } from "../util/crypto.js";
import { StoreLockTimeoutError } from "./errors.js";

export interface LockOptions {
  /** Give up waiting for a live holder after this long. */
  timeoutMs: number;
  /** A lock older than this is stale even if its holder's pid is alive. */
  staleMs: number;
}

interface LockRecord {
  token: string;
  pid: number;
  host: string;
  at: number;
}

/** A breaker that died between claiming and unlinking leaves its claim; after this long others may retry. */
const CLAIM_STALE_MS = 10_000;

export class KeyLocks {
  constructor(
    private readonly locksDir: string,
    private readonly tmpDir: string,
    private readonly options: LockOptions,
  ) {}

  async with<T>(lockName: string, what: string, fn: () => Promise<T>): Promise<T> {
    const lockPath = path.join(this.locksDir, `${lockName}.lock`);
    const token = await this.acquire(lockPath, what);
    try {
      return await fn();
    } finally {
      await release(lockPath, token);
    }
  }

  private async acquire(lockPath: string, what: string): Promise<string> {
    const record: LockRecord = { token: randomUUID(), pid: process.pid, host: hostname(), at: Date.now() };
    const temp = path.join(this.tmpDir, `lock-${record.token}`);
    await writeTemp(temp, JSON.stringify(record));
    const deadline = Date.now() + this.options.timeoutMs;
    let delay = 1;
    try {
      for (;;) {
        try {
          await link(temp, lockPath);
          return record.token;
        } catch (error) {
          if (code(error) === "ENOENT") {
            await mkdir(this.locksDir, { recursive: true });
            continue;
          }
          if (code(error) !== "EEXIST") throw error;
        }
        const holder = await readRecord(lockPath);
        if (holder === "gone") continue;
        if (holder === "unreadable" || this.isStale(holder)) {
          const staleToken = holder === "unreadable" ? undefined : holder.token;
          await breakStale(lockPath, staleToken);
          continue;
        }
        if (Date.now() > deadline) {
          throw new StoreLockTimeoutError(
            `timed out waiting for the lock on ${what}: held by process ${holder.pid} on ${holder.host} since ${new Date(holder.at).toISOString()}`,
            `if no mailops process is running, delete ${lockPath}`,
          );
        }
        // Jittered backoff: waiters are other processes doing millisecond-long writes.
        await sleep(delay + Math.random() * delay);
        delay = Math.min(delay * 2, 50);
      }
    } finally {
      await unlinkQuietly(temp);
    }
  }

  private isStale(holder: LockRecord): boolean {
    if (Date.now() - holder.at > this.options.staleMs) return true;
    return holder.host === hostname() && !processAlive(holder.pid);
  }
}

async function release(lockPath: string, token: string): Promise<void> {
  const current = await readRecord(lockPath);
  if (typeof current === "object" && current.token === token) await unlinkQuietly(lockPath);
}

/**
 * Remove the lock at `lockPath` only if it still carries `staleToken` (see the file comment).
 * An unreadable lock file (not written by this code) is claimed under a fixed name instead.
 */
async function breakStale(lockPath: string, staleToken: string | undefined): Promise<void> {
  const claim = `${lockPath}.break-${staleToken ?? "unreadable"}`;
  try {
    await link(lockPath, claim);
  } catch (error) {
    if (code(error) === "ENOENT") return; // released meanwhile
    if (code(error) !== "EEXIST") throw error;
    // Another process is breaking the same lock; if it died doing so, let the next attempt retry.
    const info = await stat(claim).catch(() => undefined);
    if (info !== undefined && Date.now() - info.ctimeMs > CLAIM_STALE_MS) await unlinkQuietly(claim);
    await sleep(1 + Math.random() * 4);
    return;
  }
  try {
    const claimed = await readRecord(claim);
    const stillStale =
      staleToken === undefined
        ? claimed === "unreadable"
        : typeof claimed === "object" && claimed.token === staleToken;
    if (stillStale) await unlinkQuietly(lockPath);
  } finally {
    await unlinkQuietly(claim);
  }
}

async function readRecord(file: string): Promise<LockRecord | "gone" | "unreadable"> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (code(error) === "ENOENT") return "gone";
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<LockRecord>;
    if (
      typeof value.token === "string" &&
      typeof value.pid === "number" &&
      typeof value.host === "string" &&
      typeof value.at === "number"
    ) {
      return value as LockRecord;
    }
  } catch {
    // fall through: not a record of ours
  }
  return "unreadable";
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return code(error) === "EPERM";
  }
}

/** Write a file completely and flush it, so a later link or rename publishes whole contents. */
export async function writeTemp(file: string, body: string, flush = true): Promise<void> {
  // Synchronous on purpose: these are small files, and each fs/promises step is a thread-pool
  // round trip that costs more CPU than the write itself (the send ledger writes two per batch).
  try {
    writeFileSync(file, body, { flag: "wx", flush });
  } catch (error) {
    if (code(error) !== "ENOENT") throw error;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, body, { flag: "wx", flush });
  }
}

export function tempName(dir: string): string {
  return path.join(dir, `${process.pid}-${randomBytes(8).toString("hex")}.tmp`);
}

export async function unlinkQuietly(file: string): Promise<void> {
  try {
    unlinkSync(file);
  } catch (error) {
    if (code(error) !== "ENOENT") throw error;
  }
}

export function code(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
