/**
 * One sender per project: an expiring lease in the store. Acquire with create-if-absent, take over
 * an expired lease with compare-and-swap, renew while sending, release by expiring it (also CAS),
 * so two runs can never both believe they hold it.
 *
 * Renewal (keepAlive): every third of the lease on a timer, and in `check()`, which the send loop
 * awaits before every batch: there the lease is renewed when a third of it has passed (a timer
 * can be held up by a busy event loop), or whenever it expired. A renewal is a CAS on the etag
 * last written, so it succeeds only if nobody took the lease over meanwhile; when it fails the
 * holder has lost the lock, `check()` throws LockLostError and nothing more is sent.
 * Known window: a holder stalled after `check()` for longer than the lease left (a third of it
 * at least, with keepAlive) can send that one batch after another sender took over.
 */
import { hostname } from "node:os";
import { MailopsError } from "../errors.js";
import { PreconditionFailedError } from "../store/errors.js";
import type { Store } from "../store/types.js";
import { systemClock } from "../util/clock.js";

export const LOCK_KEY = "lock.json";

interface LeaseBody {
  owner: string;
  command: string;
  since: string;
  expiresAt: string;
  /** The GitHub Actions workflow run holding it, when it runs there: who to wait for, as a link. */
  run?: string;
}

/** Who holds the lock, for a report that links to it. */
export type LockHolder = Pick<LeaseBody, "owner" | "command" | "since" | "expiresAt" | "run">;

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
  now?: () => number;
  /** How the wait for another holder passes (a simulated clock in tests). */
  sleep?: (ms: number) => Promise<void>;
  /** The holder's workflow run URL; default: this process's, when in GitHub Actions. */
  run?: string;
}

export class Lease {
  private renewTimer?: NodeJS.Timeout;
  private lost?: Error;
  private alive = false;
  private renewing?: Promise<void>;
  private renewedAt: number;

  constructor(
    private readonly store: Store,
    private etag: string,
    private body: LeaseBody,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {
    this.renewedAt = now();
  }

  get owner(): string {
    return this.body.owner;
  }

  /**
   * Before each batch: throws LockLostError if the lease was lost (taken over), renewing it first
   * when due (see the header). The holder must stop writing at once.
   */
  async check(): Promise<void> {
    if (this.lost) throw this.lost;
    const now = this.now();
    const expired = now >= Date.parse(this.body.expiresAt);
    if (!expired && !(this.alive && now - this.renewedAt >= this.ttlMs / 3)) return;
    try {
      await this.renew();
    } catch (e) {
      // A store hiccup while the lease still runs is retried later; past it, nothing is proven.
      if (this.lost || expired) throw e;
    }
  }

  /** One renewal at a time: two CAS writes from the same etag would make the second look like a takeover. */
  renew(): Promise<void> {
    this.renewing ??= this.renewOnce().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async renewOnce(): Promise<void> {
    if (this.lost) throw this.lost;
    const at = this.now();
    const body = { ...this.body, expiresAt: new Date(at + this.ttlMs).toISOString() };
    try {
      this.etag = (await this.store.put(LOCK_KEY, JSON.stringify(body), { ifMatch: this.etag })).etag;
      this.body = body;
      this.renewedAt = at;
    } catch (e) {
      if (e instanceof PreconditionFailedError) {
        this.lost = new LockLostError(
          "the send lock was taken over by another run (this run was stalled past its lease)",
          "nothing more will be sent by this run; run `mailops status` and send again",
        );
        throw this.lost;
      }
      throw e;
    }
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
    await this.renewing?.catch(() => undefined);
    if (this.lost) return;
    const body = { ...this.body, expiresAt: new Date(0).toISOString() };
    try {
      await this.store.put(LOCK_KEY, JSON.stringify(body), { ifMatch: this.etag });
    } catch (e) {
      if (!(e instanceof PreconditionFailedError)) throw e;
    }
  }
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
  const ttlMs = options.ttlMs ?? 120_000;
  const deadline = now() + (options.waitMs ?? 10_000);
  const owner = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const run = options.run ?? githubRunUrl();
  const fresh = (): LeaseBody => ({
    owner,
    command: options.command,
    since: new Date(now()).toISOString(),
    expiresAt: new Date(now() + ttlMs).toISOString(),
    ...(run ? { run } : {}),
  });
  for (let attempt = 0; ; attempt++) {
    const body = fresh();
    const created = await store.putIfAbsent(LOCK_KEY, JSON.stringify(body));
    if (created) return new Lease(store, created.etag, body, ttlMs, now);
    const current = await store.get(LOCK_KEY);
    if (current) {
      let held: LeaseBody | undefined;
      try {
        held = JSON.parse(current.body) as LeaseBody;
      } catch {
        held = undefined; // unreadable: treat as expired
      }
      if (!held || Date.parse(held.expiresAt) <= now() || holderIsDead(held.owner)) {
        try {
          const taken = await store.put(LOCK_KEY, JSON.stringify(body), { ifMatch: current.etag });
          return new Lease(store, taken.etag, body, ttlMs, now);
        } catch (e) {
          if (!(e instanceof PreconditionFailedError)) throw e;
          // someone else took it first: look again
        }
      } else if (now() >= deadline) {
        const by = typeof held.run === "string" ? `workflow run ${held.run}` : held.owner;
        const locked = new LockedError(
          `another mailops run holds the send lock: locked by ${by} (${held.command}) since ${held.since}`,
          `wait for it to finish; if that run died, the lock expires at ${held.expiresAt}`,
        );
        locked.holder = {
          owner: held.owner,
          command: held.command,
          since: held.since,
          expiresAt: held.expiresAt,
          ...(typeof held.run === "string" ? { run: held.run } : {}),
        };
        throw locked;
      }
    }
    await sleep(Math.min(1000, 100 * 2 ** Math.min(attempt, 4)));
  }
}
