/**
 * What a run's ledger records, outcome by outcome (Ledger.outcomes): the message id of each
 * recipient sent, the error of each failed, the reason of each skipped, by recipient id. A run's
 * own load() keeps only which ids are recorded.
 */
import type { Ledger } from "../../src/send/ledger.js";

export interface RecordedOutcomes {
  sent: Map<string, string>;
  failed: Map<string, string>;
  skipped: Map<string, string>;
}

export async function recordedOutcomes(ledger: Ledger): Promise<RecordedOutcomes> {
  const out: RecordedOutcomes = { sent: new Map(), failed: new Map(), skipped: new Map() };
  for await (const o of ledger.outcomes()) {
    if (o.status === "sent") out.sent.set(o.id, o.messageId);
    else if (o.status === "failed") out.failed.set(o.id, o.error);
    else out.skipped.set(o.id, o.reason);
  }
  return out;
}
