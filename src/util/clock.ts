/** Time as the send path sees it: a seam so tests run leases and pacing on simulated time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /**
   * Milliseconds for measuring durations (pacing), unmoved by steps of the wall clock; a clock
   * without one measures durations with now().
   */
  monotonic?(): number;
}

/** The reading durations are measured by (see Clock.monotonic). */
export function durationsOf(clock: Clock): { now: () => number; sleep: (ms: number) => Promise<void> } {
  return { now: () => clock.monotonic?.() ?? clock.now(), sleep: (ms) => clock.sleep(ms) };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  monotonic: () => performance.now(),
};
