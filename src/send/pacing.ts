/**
 * A token bucket counted in recipients (SES quotas count recipients, not calls), paced by AIMD:
 * a throttled call cuts the rate (multiplicative decrease), and clean calls bring it back to the
 * account's rate linearly over time (additive increase), so a run settles near what the account
 * allows and recovers once the throttling stops. Time is the clock's (util/clock.ts), so tests
 * run it on simulated time.
 */
import type { AccountFacts, Capabilities } from "../targets/port.js";

/** A throttled call cuts the rate to this share (the SDK's adaptive mode uses 0.7 too). */
const DECREASE = 0.7;
/**
 * At most one cut per this many ms: the calls in flight when SES starts throttling all come back
 * throttled, and they are one signal, not several.
 */
const DECREASE_HOLD_MS = 1000;
/**
 * Clean sending wins back this share of the account's rate per second: from a cut to 70% back
 * to the full rate in three seconds. At 10% of calls throttled at random this keeps about 80%
 * of the rate; a one-a-second cut with no recovery would sink it (the old behaviour).
 */
const INCREASE_PER_SECOND = 0.1;
/** Never below this share of the account's rate. */
const FLOOR = 0.1;

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly ceiling: number;
  /** When the rate was last cut, and last raised. */
  private cutAt = Number.NEGATIVE_INFINITY;
  private raisedAt: number;
  rate: number;
  /** Throttled calls seen. */
  throttles = 0;
  /** Waiting beyond what the account's rate needs, because throttling lowered the rate. */
  lostMs = 0;

  constructor(
    rate: number,
    private readonly burst: number,
    private readonly clock: { now: () => number; sleep: (ms: number) => Promise<void> } = {
      now: () => performance.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    },
  ) {
    this.rate = rate;
    this.ceiling = rate;
    // Start empty: a full bucket at start would send a second's worth at once, on top of the rate.
    this.tokens = 0;
    this.last = clock.now();
    this.raisedAt = this.last;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  /** Wait until `n` recipients may be sent. */
  async take(n: number): Promise<void> {
    if (!Number.isFinite(this.rate)) return;
    this.refill();
    while (this.tokens < n) {
      const ms = Math.max(1, ((n - this.tokens) / this.rate) * 1000);
      // The share of this wait the account's own rate would not have needed.
      this.lostMs += ms * (1 - this.rate / this.ceiling);
      await this.clock.sleep(ms);
      this.refill();
    }
    this.tokens -= n;
  }

  /** A throttled call: cut the rate (once per hold) and drain what is left of the burst. */
  throttled(): void {
    this.throttles++;
    if (!Number.isFinite(this.rate)) return;
    const now = this.clock.now();
    this.tokens = 0;
    if (now - this.cutAt < DECREASE_HOLD_MS) return;
    this.refill();
    this.rate = Math.max(this.ceiling * FLOOR, this.rate * DECREASE);
    this.cutAt = now;
    this.raisedAt = now;
  }

  /** A clean call: win back the account's rate, in proportion to the time since the last change. */
  succeeded(): void {
    const now = this.clock.now();
    if (this.rate < this.ceiling) {
      this.refill();
      const gained = ((now - this.raisedAt) / 1000) * INCREASE_PER_SECOND * this.ceiling;
      this.rate = Math.min(this.ceiling, this.rate + gained);
    }
    this.raisedAt = now;
  }
}

/** Largest ledger batch: twenty sender calls. */
const MAX_LEDGER_BATCH = 1000;

/**
 * Recipients per ledger batch: 50 (one sender call), or half a second of sending at higher
 * rates. Each batch costs one ledger write (a flushed file, or an S3 PUT with its latency and
 * about 5 ms of SDK CPU), so this keeps them near two a second at any rate: the ledger neither
 * eats the CPU budget nor holds the rate back. The price is the crash window: at most one batch
 * is unknown after a crash, which is 50 recipients up to 100/s and half a second of sending above.
 */
export function ledgerBatchSize(rate: number): number {
  if (!Number.isFinite(rate)) return MAX_LEDGER_BATCH;
  return Math.min(MAX_LEDGER_BATCH, Math.max(50, Math.round(rate / 2 / 50) * 50));
}

/**
 * The token bucket and ledger batch size for a send rate. The bucket holds a quarter second of
 * tokens (at least one call's 50): enough that time spent writing the ledger between batches is
 * made up, not lost from the rate, while no second sees much more than the account's rate.
 */
export function pacingFor(
  rate: number,
  clock?: ConstructorParameters<typeof TokenBucket>[2],
): { bucket: TokenBucket; batchSize: number } {
  const burst = Number.isFinite(rate) ? Math.max(50, rate / 4) : 50;
  return { bucket: new TokenBucket(rate, burst, clock), batchSize: ledgerBatchSize(rate) };
}

/**
 * Recipients a second a send goes at, by what the target declares paces it (targets/port.ts
 * Capabilities): the account's rate (1 a second when it gives none), or the project's
 * `sending.local_rate` (unlimited when unset).
 */
export function sendRate(
  pace: Capabilities["sendRate"],
  account: AccountFacts,
  localRate: number | undefined,
): number {
  switch (pace) {
    case "account":
      return account.maxSendRate ?? 1;
    case "setting":
      return localRate ?? Number.POSITIVE_INFINITY;
    case "none":
      // Never reached: such a target refuses to send (its sender and account facts) first.
      throw new Error("this target sends nothing: it has no send rate");
  }
}
