/**
 * Keeps control-plane calls within SES's per-operation limits (template writes about 1/s,
 * reads about 50/s) instead of hitting them and retrying: a minimum interval per bucket, so
 * calls are spread evenly and never burst. Parallel callers queue in arrival order.
 */
export class Pacer {
  private next = 0;

  /** `perSecond` ≤ 0 or Infinity: no pacing. */
  constructor(readonly perSecond: number) {}

  async wait(): Promise<void> {
    if (!Number.isFinite(this.perSecond) || this.perSecond <= 0) return;
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + 1000 / this.perSecond;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }
}

/** Run `fn` over `items` with at most `limit` in flight, keeping result order; the first failure rejects. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let i = 0;
  let failed = false;
  const workers = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    while (i < items.length && !failed) {
      const index = i++;
      try {
        out[index] = await fn(items[index] as T);
      } catch (e) {
        // Stop the other workers from starting more calls after a failure.
        failed = true;
        throw e;
      }
    }
  });
  await Promise.all(workers);
  return out;
}
