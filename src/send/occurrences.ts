/**
 * The runs a campaign has started (one-off, on-merge, local-time, occurrences), from the store:
 * its started markers (`runs/<campaign>/<runKey>.json`, ledger.ts), one key per run, so one
 * listing answers without
 * reading any run's batches. Every run writes its marker before its first batch; a run whose
 * marker is missing (a crash between its run record and the marker) has sent nobody yet.
 * For a recurring campaign, the latest of them (send/schedule.ts); for `exclude_sent`, those in
 * its window (exclude-sent.ts).
 */
import { instant } from "../config/schedule.js";
import type { Store } from "../store/types.js";
import { Ledger, type RunId, runKeyInstant, startedPrefix } from "./ledger.js";
import { localRunInstant, localRunOfKey } from "./local-time.js";
import type { LatestRun } from "./schedule.js";

/** A started run and its instant: its run key's, or an on-merge run's start (NaN when unreadable). */
export type StartedRun = RunId & { at: number };

/** The campaign's started runs, in key order. */
export async function startedRuns(store: Store, campaign: string): Promise<StartedRun[]> {
  const prefix = startedPrefix(campaign);
  const out: StartedRun[] = [];
  for (const key of await store.list(prefix)) {
    const name = key.slice(prefix.length).replace(/\.json$/, "");
    const at = runKeyInstant(name);
    const local = localRunOfKey(name);
    if (at !== undefined) out.push({ campaign, sendAt: new Date(at).toISOString(), at });
    else if (local) out.push({ campaign, sendAt: local, at: localRunInstant(local) ?? Number.NaN });
    else if (name === "on-merge")
      out.push({ campaign, sendAt: "on-merge", at: startedAt((await store.get(key))?.body) });
  }
  return out;
}

/** An on-merge marker's start; NaN when unreadable (exclude-sent.ts counts it, the safe side). */
function startedAt(body: string | undefined): number {
  try {
    return Date.parse((JSON.parse(body ?? "") as { startedAt?: string }).startedAt ?? "");
  } catch {
    return Number.NaN;
  }
}

/**
 * The latest started run of a recurring campaign (by its instant) and whether it completed. A
 * ledger whose run record is gone throws LedgerDamagedError (ledger.ts), as the send of a one-off
 * campaign would.
 */
export async function latestRun(store: Store, campaign: string): Promise<LatestRun | undefined> {
  let latest: number | undefined;
  for (const run of await startedRuns(store, campaign)) {
    // Occurrences only: not an on-merge run, nor one in each recipient's local time.
    const occurrence = run.sendAt !== "on-merge" && localRunInstant(run.sendAt) === undefined;
    if (occurrence && (latest === undefined || run.at > latest)) latest = run.at;
  }
  if (latest === undefined) return undefined;
  const at = instant(latest);
  const run = await new Ledger(store, { campaign, sendAt: at.iso }).readRun();
  return { at, complete: run?.status === "complete" };
}
