/**
 * The per-recipient record of a campaign run, in the store:
 *
 *   ledger/<campaign>/<run>/run.json            what was started, with which content
 *   ledger/<campaign>/<run>/batch-000001.json       intent: who is about to be sent to
 *   ledger/<campaign>/<run>/batch-000001.done.json  outcome of each of them
 *
 * All are create-only. Intent is written before a batch goes out; the batch's outcome rides on
 * the next record written (the next batch's intent, or a skip record: `previous`), or gets its
 * own `.done.json` at the end of the run. One ledger write per batch: with the state in S3 each
 * is a PUT, the bulk of mailops' CPU at high rates. A batch with an intent and no outcome is the
 * one in flight at a crash (or just finished): its recipients are `unknown`.
 * Skips need no intent: they are written straight as outcome files.
 * Recipients are kept as salted hashes: the ledger proves who was sent to without holding a
 * second copy of the subscriber list.
 *
 * Address key versions. A recipient's id is the hash of an address key, so the key a run started
 * under must stay its key until it ends. A run record carries `addressKey: 2` from its start: ids
 * are the hash of the address key (util/email.ts normalizeAddress, the whole address folded). A
 * record without it was started under key version 1 (local part kept as written): its ids, for
 * as long as it is resumed, are the hash of legacyAddressKeyV1 of the address sent, and a
 * recipient also counts as recorded when a row dropped as a duplicate under the new key (another
 * spelling of the same person) has a recorded v1 id (send/run.ts). Dedupe and suppression use the
 * new key in both. Guarantee: a run started before the change and resumed after it sends nobody
 * whom its ledger already records, under any spelling the audience still holds.
 * Known window: a spelling that was sent and has since left the source cannot be matched (a hash
 * cannot be folded); the person is then sent to under the spelling that is left.
 */
import crypto, { createHash } from "node:crypto";
import { MailopsError } from "../errors.js";
import type { Store } from "../store/types.js";
import { legacyAddressKeyV1 } from "../util/email.js";

export type Outcome =
  | { id: string; status: "sent"; messageId: string }
  | { id: string; status: "failed"; error: string }
  | { id: string; status: "skipped"; reason: string };

/** A finished batch's outcomes, written along with the next record. */
export interface Settled {
  batch: number;
  at: string;
  outcomes: Outcome[];
}

export interface BatchRecord {
  version: 1;
  batch: number;
  state: "intent" | "done";
  at: string;
  ids: string[];
  outcomes?: Outcome[];
  /** The outcome of an earlier batch, settled by this write. */
  previous?: Settled;
}

export interface RunRecord {
  version: 1;
  /** The address key version the run's ids use (see the header); absent: 1. */
  addressKey?: typeof ADDRESS_KEY_VERSION;
  campaign: string;
  sendAt: string;
  contentDigest: string;
  startedAt: string;
  updatedAt: string;
  status: "running" | "complete" | "stopped";
  stopReason?: string;
  audience?: number;
}

export interface RunId {
  campaign: string;
  /** ISO instant, or `on-merge`. */
  sendAt: string;
}

/** A store-safe folder name for a run: `20261201T090000Z` or `on-merge`. */
export function runKey(id: RunId): string {
  if (id.sendAt === "on-merge") return "on-merge";
  return id.sendAt.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

export const runPrefix = (id: RunId) => `ledger/${id.campaign}/${runKey(id)}`;
const batchKey = (id: RunId, n: number) => `${runPrefix(id)}/batch-${String(n).padStart(6, "0")}.json`;
// The outcome is a second, create-only file: cheaper than rewriting the intent, and never torn.
const doneKey = (id: RunId, n: number) => `${runPrefix(id)}/batch-${String(n).padStart(6, "0")}.done.json`;
const runRecordKey = (id: RunId) => `${runPrefix(id)}/run.json`;

// One-shot hashing (Node >= 20.12) is about twice as fast as createHash for short inputs; this runs per recipient.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "base64url") => string })
  .hash;

/** The address key version of runs started now. */
export const ADDRESS_KEY_VERSION = 2;

/** The version of the address key a run's ids are made with. */
export function addressKeyVersion(run: RunRecord): 1 | typeof ADDRESS_KEY_VERSION {
  return run.addressKey ?? 1;
}

/** A recipient's id in a run with address key `version`: from `key` (v2) or from `address` (v1). */
export function ledgerId(project: string, version: number, r: { address: string; key: string }): string {
  return recipientId(project, version === 1 ? legacyAddressKeyV1(r.address) : r.key);
}

export function recipientId(project: string, normalizedAddress: string): string {
  const input = `${project}\n${normalizedAddress}`;
  const digest = oneShot
    ? oneShot("sha256", input, "base64url")
    : createHash("sha256").update(input).digest("base64url");
  return digest.slice(0, 22);
}

/** What a run's ledger says so far. */
export interface LedgerState {
  run?: RunRecord;
  runEtag?: string;
  sent: Map<string, string>;
  failed: Map<string, string>;
  skipped: Map<string, string>;
  /** In flight at a crash: sent or not, nobody knows. */
  unknown: Set<string>;
  /** Intent-only batches, by number (their ids are in `unknown`). */
  openBatches: Map<number, { ids: string[] }>;
  nextBatch: number;
}

export class Ledger {
  /** A finished batch's outcome not written yet (see `finished`). */
  private unwritten: (Settled & { ids: string[]; since: number }) | undefined;

  constructor(
    private readonly store: Store,
    readonly id: RunId,
  ) {}

  async load(): Promise<LedgerState> {
    const state: LedgerState = {
      sent: new Map(),
      failed: new Map(),
      skipped: new Map(),
      unknown: new Set(),
      openBatches: new Map(),
      nextBatch: 1,
    };
    const runObj = await this.store.get(runRecordKey(this.id));
    if (runObj) {
      state.run = JSON.parse(runObj.body) as RunRecord;
      state.runEtag = runObj.etag;
    }
    const keys = await this.store.list(`${runPrefix(this.id)}/batch-`);
    const intents = new Map<number, BatchRecord>();
    const done = new Map<number, Outcome[]>();
    for (const key of keys) {
      const obj = await this.store.get(key);
      if (!obj) continue;
      const rec = parseRecord(key, obj.body);
      if (!rec) {
        // An outcome written without a flush can come back empty after a power cut: its batch
        // then reads as unknown (never resent unasked), and its number stays taken.
        state.nextBatch = Math.max(state.nextBatch, Number(/batch-(\d+)/.exec(key)?.[1] ?? 0) + 1);
        continue;
      }
      state.nextBatch = Math.max(state.nextBatch, rec.batch + 1);
      if (rec.state === "intent") intents.set(rec.batch, rec);
      else done.set(rec.batch, rec.outcomes ?? []);
      if (rec.previous) done.set(rec.previous.batch, rec.previous.outcomes);
    }
    for (const [batch, rec] of intents) {
      if (done.has(batch)) continue;
      for (const id of rec.ids) state.unknown.add(id);
      state.openBatches.set(batch, { ids: rec.ids });
    }
    for (const outcomes of done.values()) {
      for (const o of outcomes) {
        if (o.status === "sent") state.sent.set(o.id, o.messageId);
        else if (o.status === "failed") state.failed.set(o.id, o.error);
        else state.skipped.set(o.id, o.reason);
      }
    }
    // A recipient resent later (--resend-unknown) is no longer unknown.
    for (const id of state.sent.keys()) state.unknown.delete(id);
    return state;
  }

  /** Just the run record: enough to know whether the run started or completed, without reading its batches. */
  async readRun(): Promise<RunRecord | undefined> {
    const obj = await this.store.get(runRecordKey(this.id));
    return obj ? (JSON.parse(obj.body) as RunRecord) : undefined;
  }

  /** Start or continue the run record; CAS so two senders cannot both start it. */
  async saveRun(record: RunRecord, etag: string | undefined): Promise<string> {
    const body = JSON.stringify(record, null, 2);
    if (etag === undefined) {
      const created = await this.store.putIfAbsent(runRecordKey(this.id), body);
      if (created) return created.etag;
      throw new Error(
        `the run record ${runRecordKey(this.id)} appeared while starting: another sender started this run`,
      );
    }
    return (await this.store.put(runRecordKey(this.id), body, { ifMatch: etag })).etag;
  }

  /** Record that a batch is about to go out; the last finished batch's outcome goes with it. */
  async intent(batch: number, ids: string[], at: Date): Promise<void> {
    await this.withUnwritten((previous) =>
      this.create(
        batchKey(this.id, batch),
        { version: 1, batch, state: "intent", at: at.toISOString(), ids, ...previous },
        true,
      ),
    );
  }

  /**
   * A batch went out: its outcome is kept until the next record is written (intent, skips,
   * flush), so each batch costs one ledger write. Recipients of the batch without an outcome are
   * sent again by a later run.
   */
  finished(batch: number, ids: string[], outcomes: Outcome[], at: Date): void {
    this.unwritten = { batch, ids, at: at.toISOString(), outcomes, since: performance.now() };
  }

  /** Milliseconds since a finished batch's outcome was kept unwritten (0 when none is). */
  unwrittenFor(): number {
    return this.unwritten ? performance.now() - this.unwritten.since : 0;
  }

  /** Write a kept outcome on its own. */
  async flush(): Promise<void> {
    const u = this.unwritten;
    if (!u) return;
    await this.complete(u.batch, u.ids, u.outcomes, new Date(u.at));
    if (this.unwritten === u) this.unwritten = undefined;
  }

  /** Record a batch's outcomes in a file of its own. */
  async complete(batch: number, ids: string[], outcomes: Outcome[], at: Date): Promise<void> {
    await this.create(
      doneKey(this.id, batch),
      { version: 1, batch, state: "done", at: at.toISOString(), ids, outcomes },
      false,
    );
  }

  /** Skips are known without sending: recorded in one step, in their own batch files. */
  async record(batch: number, outcomes: Outcome[], at: Date): Promise<void> {
    const ids = outcomes.map((o) => o.id);
    await this.withUnwritten((previous) =>
      this.create(
        doneKey(this.id, batch),
        { version: 1, batch, state: "done", at: at.toISOString(), ids, outcomes, ...previous },
        false,
      ),
    );
  }

  /** Run `write` with the kept outcome as `previous`; forget it only once that write succeeded. */
  private async withUnwritten(write: (previous: { previous?: Settled }) => Promise<void>): Promise<void> {
    const u = this.unwritten;
    await write(u ? { previous: { batch: u.batch, at: u.at, outcomes: u.outcomes } } : {});
    if (this.unwritten === u) this.unwritten = undefined;
  }

  /**
   * Create-only. Intents are flushed (durable): a record lost to a power cut after its batch went
   * out would let a later run send it again. Outcomes need not be: losing one leaves its batch
   * unknown, which is never resent unasked.
   */
  private async create(key: string, rec: BatchRecord, durable: boolean): Promise<void> {
    const created = await this.store.putIfAbsent(key, JSON.stringify(rec), { durable });
    if (!created)
      throw new Error(`ledger batch ${rec.batch} already exists: another sender is writing this run`);
  }

  /** Runs recorded for a campaign (or all campaigns), for `status`. */
  static async runs(store: Store, campaign?: string): Promise<RunId[]> {
    const keys = await store.list(campaign ? `ledger/${campaign}/` : "ledger/");
    const out: RunId[] = [];
    for (const key of keys) {
      if (!key.endsWith("/run.json")) continue;
      const obj = await store.get(key);
      if (!obj) continue;
      const rec = JSON.parse(obj.body) as RunRecord;
      out.push({ campaign: rec.campaign, sendAt: rec.sendAt });
    }
    return out;
  }
}

/** A batch record; undefined for an unreadable outcome file. An unreadable intent is an error. */
function parseRecord(key: string, body: string): BatchRecord | undefined {
  try {
    return JSON.parse(body) as BatchRecord;
  } catch {
    if (key.endsWith(".done.json")) return undefined;
    throw new MailopsError(
      `the send ledger record ${key} is unreadable`,
      "intents are written whole and flushed, so the state store was changed by hand or damaged: restore it from a backup (whether that batch went out is unknown)",
    );
  }
}
