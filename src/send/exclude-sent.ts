/**
 * `exclude_sent`: whoever an earlier run of a campaign reached is left out of this run's audience,
 * so a weekly "welcome whoever joined" campaign never welcomes anyone twice.
 *
 * Which runs: those of each named campaign whose instant (their send_at or occurrence; an on-merge
 * run's start) is at or before this run's, and not before it by more than `within`; never this run
 * itself (its own ledger already keeps anyone from getting it twice). Runs are found by their
 * started markers (occurrences.ts). Who: every recipient a run recorded `sent`, and those it left
 * unknown (in flight at a crash, or a call with no answer): maybe sent, so left out, the safe side.
 *
 * Ledger ids are salted hashes of the address key (ledger.ts recipientId), so an audience row is
 * matched by hashing its key the same way, per address key version the runs used. Memory is one
 * KeySet of 22-character ids over all those runs (util/key-set.ts), filled record by record
 * (Ledger.reached); no list of addresses is ever held.
 *
 * Known window: runs recorded before started markers existed are not found.
 */
import type { Campaign } from "../config/model.js";
import type { Store } from "../store/types.js";
import { KeySet } from "../util/key-set.js";
import { addressKeyVersion, Ledger, ledgerId, type RunId, runKey } from "./ledger.js";
import { startedRuns } from "./occurrences.js";

/** What the audience asks (audience.ts SentCheck): did an earlier run reach this address? */
export interface EarlierRuns {
  has(address: string, key: string): boolean;
  /** The runs read. */
  runs: number;
}

/** The recipients to leave out of run `run` at instant `at` (epoch ms); undefined when the campaign excludes none. */
export async function sentByEarlierRuns(
  store: Store,
  project: string,
  campaign: Campaign,
  run: RunId,
  at: number,
): Promise<EarlierRuns | undefined> {
  const rules = campaign.excludeSent ?? [];
  if (!rules.length) return undefined;
  const byVersion = new Map<number, KeySet>();
  const seen = new Set<string>();
  for (const rule of rules) {
    const since =
      rule.withinSeconds === undefined ? Number.NEGATIVE_INFINITY : at - rule.withinSeconds * 1000;
    for (const id of await startedRuns(store, rule.campaign)) {
      const key = `${id.campaign}/${runKey(id)}`;
      if (seen.has(key) || (id.campaign === run.campaign && runKey(id) === runKey(run))) continue;
      // An on-merge run whose start cannot be read counts, whatever the window: the safe side.
      if (!Number.isNaN(id.at) && (id.at > at || id.at < since)) continue;
      seen.add(key);
      const ledger = new Ledger(store, id);
      const record = await ledger.readRun();
      if (!record) continue;
      const version = addressKeyVersion(record);
      const ids = byVersion.get(version) ?? new KeySet();
      byVersion.set(version, ids);
      await ledger.reached((x) => ids.add(x));
    }
  }
  const sets = [...byVersion];
  return {
    runs: seen.size,
    has: (address: string, key: string) =>
      sets.some(([v, ids]) => ids.size > 0 && ids.has(ledgerId(project, v, { address, key }))),
  };
}
