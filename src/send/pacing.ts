/**
 * A token bucket counted in recipients (SES quotas count recipients, not calls). On throttling
 * the rate drops and recovers slowly, so a run settles just under what the account allows.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly ceiling: number;
  rate: number;

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
      await this.clock.sleep(Math.max(1, ((n - this.tokens) / this.rate) * 1000));
      this.refill();
    }
    this.tokens -= n;
  }

  /** A 429: slow down by a third, and drain what is left of the burst. */
  throttled(): void {
    if (!Number.isFinite(this.rate)) return;
    this.rate = Math.max(this.ceiling * 0.1, this.rate * 0.67);
    this.tokens = 0;
  }

  /** A clean call: creep back toward the account's rate. */
  succeeded(): void {
    if (this.rate < this.ceiling) this.rate = Math.min(this.ceiling, this.rate * 1.02);
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
