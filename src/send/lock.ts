/**
 * One sender per project: a lease in the store (`lock.json`). Taken with create-if-absent, taken
 * over with compare-and-swap once it lapsed, renewed by compare-and-swap while sending, released
 * by a swap that marks it free; so two runs can never both believe they hold it.
 *
 * No clock is trusted across machines:
 * - A waiter judges whether the lease lapsed by the store's clock: the lock object's age (S3: the
 *   answer's `Date` minus the object's `Last-Modified`; local: the file's mtime, on the one
 *   machine every writer of that folder shares) against the lease length written in it. A
 *   sender whose clock is minutes off sees the same age as everyone else. Where the store cannot
 *   tell an age, the waiter counts how long it has itself seen the same version: a duration on
 *   its own clock, so the clock's offset does not matter either.
 * - The holder judges its own lease by durations on its own clock, from the moment before its
 *   last renewal was sent, so never later than the store does.
 *
 * Each holding has a token, written into every ledger record made under it (ledger.ts `lease`),
 * and every write of lock.json a write id, so that a write whose answer was lost is recognised as
 * this holder's own (store/types.ts), never as another sender's.
 *
 * Before every batch the send loop awaits `check()`: it reads lock.json (or renews it, once a
 * third of the lease has passed or when it ran out), and a lock that is gone, released, or holds
 * another token means the lease was lost: LockLostError, and nothing more is sent. A timer
 * renews every third of the lease as well (keepAlive). A renewal is a CAS on the etag last seen;
 * one that fails on an object still carrying this token (a write of ours whose answer was lost)
 * adopts that version and swaps again. Reads and renewals run one at a time.
 *
 * Known windows:
 * - A holder stalled after `check()` for longer than the lease has left (a third of it at least,
 *   with keepAlive) can send that one batch after another sender took over.
 * - lock.json deleted while the holder is mid-batch: a waiting sender creates a new lock at once
 *   and may start while that batch goes out; the holder stops at its next `check()`. Batch
 *   records are create-only, so of two senders writing the same batch number one finds it taken
 *   and stops (ledger.ts); the records say which lease wrote each.
 * - Clock rates are trusted (a second lasts a second everywhere). S3 ages are whole seconds, so
 *   a lease can lapse up to a second early by S3's clock.
 */
import { hostname } from "node:os";
import { MailopsError } from "../errors.js";
import { PreconditionFailedError } from "../store/errors.js";
import { type Store, type StoredObject, writeId } from "../store/types.js";
import { systemClock } from "../util/clock.js";
import { randomBytes, randomUUID } from "../util/crypto.js";

export const LOCK_KEY = "lock.json";

const DEFAULT_TTL_MS = 120_000;

interface LeaseBody {
  /** host:pid:random, for messages and to see a dead holder on this machine. */
  owner: string;
  /** This holding, the same across its renewals. */
  token: string;
  command: string;
  /** When it was taken, by the holder's clock: shown to people, never compared. */
  since: string;
  /** How long the lease lasts after its last write, by the store's clock. */
  ttlMs: number;
  /** This write (see the header). */
  write: string;
  released?: true;
  /** The GitHub Actions workflow run holding it, when it runs there: who to wait for, as a link. */
  run?: string;
}

/** Who holds the lock, for a report that links to it. */
export type LockHolder = Pick<LeaseBody, "owner" | "command" | "since" | "run"> & {
  /** Seconds until the lease lapses by the state store's clock, if its holder died. */
  lapsesInS: number;
};

export class LockedError extends MailopsError {
  holder?: LockHolder;
}

/** The workflow run this process is, in GitHub Actions (GITHUB_* variables); undefined elsewhere. */
export function githubRunUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const { GITHUB_ACTIONS, GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID } = env;
  if (GITHUB_ACTIONS !== "true" || !GITHUB_REPOSITORY || !GITHUB_RUN_ID) return undefined;
  return `${GITHUB_SERVER_URL || "https://github.com"}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}`;
}

export class LockLostError extends MailopsError {}

export interface LockOptions {
  command: string;
  /** Lease length; renewed at a third of it while the holder works. */
  ttlMs?: number;
  /** How long to wait for another holder before giving up. */
  waitMs?: number;
  /** The sender's clock: only durations on it are used (see the header). */
  now?: () => number;
  /** How the wait for another holder passes (a simulated clock in tests). */
  sleep?: (ms: number) => Promise<void>;
  /** The holder's workflow run URL; default: this process's, when in GitHub Actions. */
  run?: string;
}

export class Lease {
  private renewTimer?: NodeJS.Timeout;
  private lost?: LockLostError;
  private alive = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private etag: string,
    private body: LeaseBody,
    private readonly ttlMs: number,
    private readonly now: () => number,
    /** On the holder's clock, just before the write that took or last renewed the lease. */
    private renewedAt: number,
  ) {}

  get owner(): string {
    return this.body.owner;
  }

  /** This holding's token: ledger records written under the lease carry it. */
  get token(): string {
    return this.body.token;
  }

  /**
   * Before each batch: throws LockLostError if the lease was lost (lock.json gone or taken over),
   * renewing it first when due (see the header). The holder must stop writing at once.
   */
  async check(): Promise<void> {
    if (this.lost) throw this.lost;
    const elapsed = this.now() - this.renewedAt;
    const expired = elapsed >= this.ttlMs;
    try {
      if (expired || (this.alive && elapsed >= this.ttlMs / 3)) await this.renew();
      else await this.exclusive(() => this.verify());
    } catch (e) {
      // A store hiccup while the lease still runs is tried again at the next batch; past it, nothing is proven.
      if (this.lost || expired) throw e;
    }
  }

  renew(): Promise<void> {
    return this.exclusive(() => this.renewOnce());
  }

  /** The holder works for long: renew every third of the lease, in the background and in `check()`. */
  keepAlive(): void {
    this.alive = true;
    this.renewTimer = setInterval(
      () => {
        this.renew().catch(() => {
          // recorded in this.lost (or a transient store error, retried next tick)
        });
      },
      Math.max(1000, this.ttlMs / 3),
    );
    this.renewTimer.unref();
  }

  async release(): Promise<void> {
    this.alive = false;
    if (this.renewTimer) clearInterval(this.renewTimer);
    await this.exclusive(async () => {
      if (this.lost) return;
      const body: LeaseBody = { ...this.body, released: true, write: writeId() };
      try {
        await this.store.put(LOCK_KEY, JSON.stringify(body), { ifMatch: this.etag, idempotent: true });
      } catch (e) {
        if (!(e instanceof PreconditionFailedError)) throw e;
      }
    });
  }

  /** One store operation on the lock at a time: two swaps from one etag would make the second look like a takeover. */
  private exclusive<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async verify(): Promise<void> {
    if (this.lost) throw this.lost;
    this.adopt(await this.store.get(LOCK_KEY));
  }

  private async renewOnce(): Promise<void> {
    if (this.lost) throw this.lost;
    for (let attempt = 1; ; attempt++) {
      const at = this.now();
      const body: LeaseBody = { ...this.body, write: writeId() };
      try {
        this.etag = (
          await this.store.put(LOCK_KEY, JSON.stringify(body), { ifMatch: this.etag, idempotent: true })
        ).etag;
        this.body = body;
        this.renewedAt = at;
        return;
      } catch (e) {
        if (!(e instanceof PreconditionFailedError)) throw e;
      }
      // Another version: this holding's (a write whose answer was lost) is adopted and swapped again.
      this.adopt(await this.store.get(LOCK_KEY));
      if (attempt >= 3) throw this.lose("changed again and again during its renewal");
    }
  }

  /** The lock as found: still this holding's (take its etag), or the lease is lost. */
  private adopt(current: StoredObject | undefined): void {
    if (!current) throw this.lose("deleted");
    const held = parseLease(current.body);
    if (!held || held.token !== this.body.token || held.released) {
      throw this.lose(
        held && held.token !== this.body.token
          ? `taken over by ${held.owner} (this run was stalled past its lease, or the lock was deleted)`
          : "released or overwritten",
      );
    }
    this.etag = current.etag;
    this.body = held;
  }

  private lose(what: string): LockLostError {
    this.lost ??= new LockLostError(
      `the send lock ${LOCK_KEY} in ${this.store.location} was ${what} while this run was sending`,
      "nothing more is sent by this run; run `mailops status` to see what was sent, then send again",
    );
    return this.lost;
  }
}

/** A lock.json as written by this code (or by an older mailops: `expiresAt`, no token); undefined when unreadable. */
function parseLease(text: string): LeaseBody | undefined {
  let v: Partial<LeaseBody> & { expiresAt?: unknown };
  try {
    v = JSON.parse(text) as typeof v;
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null || typeof v.owner !== "string") return undefined;
  const released = v.released === true || (typeof v.expiresAt === "string" && Date.parse(v.expiresAt) === 0);
  return {
    owner: v.owner,
    token: typeof v.token === "string" ? v.token : "",
    command: typeof v.command === "string" ? v.command : "?",
    since: typeof v.since === "string" ? v.since : "?",
    ttlMs: typeof v.ttlMs === "number" && v.ttlMs > 0 ? v.ttlMs : DEFAULT_TTL_MS,
    write: typeof v.write === "string" ? v.write : "",
    ...(released ? { released: true as const } : {}),
    ...(typeof v.run === "string" ? { run: v.run } : {}),
  };
}

/** A holder on this machine whose process is gone (killed, crashed) cannot renew: no need to wait out its lease. */
function holderIsDead(owner: string): boolean {
  const [host, pidText] = owner.split(":");
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export async function acquireLock(store: Store, options: LockOptions): Promise<Lease> {
  const now = options.now ?? systemClock.now;
  const sleep = options.sleep ?? systemClock.sleep;
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  const deadline = now() + (options.waitMs ?? 10_000);
  const fresh = leaseBodies(options, ttlMs, now);
  // The version of the lock seen, and since when by this clock: the fallback age (see the header).
  let seen: { etag: string; at: number } | undefined;
  for (let attempt = 0; ; attempt++) {
    const body = fresh();
    const at = now();
    const created = await store.putIfAbsent(LOCK_KEY, JSON.stringify(body), { idempotent: true });
    if (created) return new Lease(store, created.etag, body, ttlMs, now, at);
    const current = await store.get(LOCK_KEY, { age: true });
    if (current) {
      if (seen?.etag !== current.etag) seen = { etag: current.etag, at: now() };
      const age = Math.max(current.ageMs ?? 0, now() - seen.at);
      const held = parseLease(current.body);
      if (!held || held.released || age >= held.ttlMs || holderIsDead(held.owner)) {
        const taken = await takeOver(store, current.etag, body);
        if (taken !== undefined) return new Lease(store, taken, body, ttlMs, now, at);
      } else if (now() >= deadline) {
        throw lockedBy(held, age);
      }
    }
    await sleep(Math.min(1000, 100 * 2 ** Math.min(attempt, 4)));
  }
}

/** This process's lease bodies: one owner and token, a fresh write id (and time) for each attempt. */
function leaseBodies(options: LockOptions, ttlMs: number, now: () => number): () => LeaseBody {
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const token = randomUUID();
  const run = options.run ?? githubRunUrl();
  return () => ({
    owner,
    token,
    command: options.command,
    since: new Date(now()).toISOString(),
    ttlMs,
    write: writeId(),
    ...(run ? { run } : {}),
  });
}

/** The lock in version `etag` replaced by `body`: its new etag, or undefined when another took it first. */
async function takeOver(store: Store, etag: string, body: LeaseBody): Promise<string | undefined> {
  try {
    const taken = await store.put(LOCK_KEY, JSON.stringify(body), { ifMatch: etag, idempotent: true });
    return taken.etag;
  } catch (e) {
    if (!(e instanceof PreconditionFailedError)) throw e;
    return undefined; // someone else took it first: look again
  }
}

/** The wait is over and `held` still holds the lock (its lease `age` ms old). */
function lockedBy(held: LeaseBody, age: number): LockedError {
  const by = typeof held.run === "string" ? `workflow run ${held.run}` : held.owner;
  const lapsesInS = Math.ceil((held.ttlMs - age) / 1000);
  const locked = new LockedError(
    `another mailops run holds the send lock: locked by ${by} (${held.command}) since ${held.since}`,
    `wait for it to finish; if that run died, its lease lapses in ${lapsesInS} s by the state store's clock`,
  );
  locked.holder = {
    owner: held.owner,
    command: held.command,
    since: held.since,
    lapsesInS,
    ...(typeof held.run === "string" ? { run: held.run } : {}),
  };
  return locked;
}
