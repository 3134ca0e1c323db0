import { performance } from "node:perf_hooks";

export interface Figure {
  name: string;
  ms?: number;
  /** Free-form figure when not a duration (rates, memory). */
  value?: string;
  budgetMs?: number;
  /** For non-duration figures: whether the budget holds. */
  ok?: boolean;
  budget?: string;
}

export function timeIt(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

export function median(runs: number, fn: () => unknown): number {
  const times = Array.from({ length: runs }, () => timeIt(fn)).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}
