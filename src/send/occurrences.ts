/**
 * The runs a recurring campaign has started, from the store: its started markers
 * (`runs/<campaign>/<runKey>.json`, ledger.ts), one key per run, so one listing answers without
 * reading any run's batches. Every run writes its marker before its first batch; a run whose
 * marker is missing (a crash between its run record and the marker) has sent nobody yet.
 */
import { instant } from "../config/schedule.js";
import type { Store } from "../store/types.js";
import { Ledger } from "./ledger.js";
import type { LatestRun } from "./schedule.js";

const RUN_KEY = /\/(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.json$/;

/** The instant a started marker's key names (its run key), or undefined for `on-merge` and foreign keys. */
export function markerInstant(key: string): number | undefined {
  const m = RUN_KEY.exec(key);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0);
}

/**
 * The latest started run (by its instant) and whether it completed. A ledger whose run record is
 * gone throws LedgerDamagedError (ledger.ts), as the send of a one-off campaign would.
 */
export async function latestRun(store: Store, campaign: string): Promise<LatestRun | undefined> {
  let latest: number | undefined;
  for (const key of await store.list(`runs/${campaign}/`)) {
    const at = markerInstant(key);
    if (at !== undefined && (latest === undefined || at > latest)) latest = at;
  }
  if (latest === undefined) return undefined;
  const at = instant(latest);
  const run = await new Ledger(store, { campaign, sendAt: at.iso }).readRun();
  return { at, complete: run?.status === "complete" };
}
