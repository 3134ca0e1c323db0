/** Simulated time for a run: it starts at `start` and moves only as the run waits (sleep). */
import type { Clock } from "../../src/util/clock.js";

export function simulatedClock(start: Date): Clock {
  let t = start.getTime();
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
  };
}
