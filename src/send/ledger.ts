/**
 * The per-recipient record of a campaign run, in the store:
 *
 *   ledger/<campaign>/<run>/run.json            what was started, with which content
 *   ledger/<campaign>/<run>/batch-000001.json       intent: who is about to be sent to
 *   ledger/<campaign>/<run>/batch-000001.done.json  outcome of each of them
 *   runs/<campaign>/<run>.json                  the run started: outside its folder, so a deleted
 *                                               folder is noticed instead of sending again
 *
 * All are create-only but run.json. Intent is written before a batch goes out; the batch's
 * outcome rides on the next record written (the next batch's intent, or a skip record:
 * `previous`), or gets its own `.done.json` at the end of the run. One ledger write per batch:
 * with the state in S3 each is a PUT, the bulk of mailops' CPU at high rates. A batch with an
 * intent and no outcome is the one in flight at a crash (or just finished): its recipients are
 * `unknown`. Skips need no intent: they are written straight as outcome files.
 * A send call whose own outcome is unknown (the connection broke after the request was sent, a
 * 500) leaves its recipients in an intent of their own that is never completed, marked
 * `ambiguous` with the error: unknown like a crash's batch, but known to be no crash (the run
 * went on). It is written before the outcome of the batch they were in, which then rides on the
 * next record as usual: that outcome names who was sent or rejected, the ambiguous intent who is
 * unknown, and a recipient of the batch never attempted (the run stopped first) is in neither,
 * so the next run sends it.
 * Recipients are kept as salted hashes: the ledger proves who was sent to without holding a
 * second copy of the subscriber list.
 *
 * Batch numbers run 1, 2, 3… without a gap: a number is taken only by a record written with it,
 * and a failed write ends the run before a higher number is written.
 *
 * Who wrote a record. Every record written under the send lock carries its lease's token
 * (`lease`, lock.ts) and a write id of its own (`write`). The write id makes writes idempotent: a
 * create whose answer was lost and which the SDK sent again finds its own record and goes on
 * (store/types.ts); a record there with another write id is another sender's, and the run stops
 * with LedgerConflictError naming that sender's lease. Older records have neither field.
 *
 * A damaged ledger. What a crash or a power cut can leave is read safely; anything else means
 * the store was changed by hand or damaged, and the run refuses to send (LedgerDamagedError,
 * naming the file) rather than guess who was sent to:
 * - an outcome file (`.done.json`) that is empty, cut short or not JSON: outcomes are written
 *   without a flush, so a power cut can leave one so. Its batch's recipients read as `unknown`
 *   (never as unsent: resent only with --resend-unknown), the run goes on, and the report names
 *   the file. An unreadable skip record (no intent) names nobody sent: its skips are judged
 *   again. Settling such a batch later is written as a new record (`previous`), never over it.
 * - an intent file unreadable, or any record of the wrong shape (not our JSON, its number not its
 *   file's): refused. Intents are flushed before the batch goes out, so this is no crash.
 * - run.json unreadable or of the wrong shape: refused (the run's content digest and address key
 *   are in it, so nothing can be matched safely).
 * - batch records with no run.json, or the started marker with no run.json (the run folder was
 *   deleted, after a partial run or a complete one): refused; whom the run sent to is unknown.
 * - an outcome file without its intent: its outcomes stand (it names every id of its batch);
 *   what the intent carried as `previous` is gone, so that earlier batch reads as unknown.
 * - a gap in batch numbers: refused; the missing record may have been an intent left open, whose
 *   recipients would otherwise read as never sent.
 * Known windows: records deleted from the end of a run (the last intents) leave no trace, nor
 * does a state store deleted whole (the started markers with it): such a run would start over,
 * so an empty store is refused while the target holds the project's resources or shows sends
 * (commands/lost-state.ts). The local target also refuses to send a recipient its outbox has for
 * the run (run.ts).
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
import { MailopsError } from "../errors.js";
import { PreconditionFailedError } from "../store/errors.js";
import { type Store, type StoredObject, writeId } from "../store/types.js";
import { digest } from "../util/crypto.js";
import { legacyAddressKeyV1 } from "../util/email.js";
import { KeySet } from "../util/key-set.js";

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
  /** The token of the lease it was written under (see the header). */
  lease?: string;
  /** This write's id (see the header). */
  write?: string;
  /** An intent never completed on purpose: its recipients' calls had an unknown outcome (this error). */
  ambiguous?: string;
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
  /** As in BatchRecord: the lease and the write that saved it last. */
  lease?: string;
  write?: string;
  /** Throttled send calls over every attempt of the run, and the sending time they cost. */
  throttled?: { calls: number; lostSeconds: number };
  /** A run in each recipient's local time: recipients whose time was still to come at the last send. */
  waiting?: number;
}

export interface RunId {
  campaign: string;
  /** ISO instant, `on-merge`, or `local:<wall time>` (send/local-time.ts; run key `local20261201T0900`). */
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
/** Where a campaign's started markers are: one key per run, `<prefix><runKey>.json`. */
export const startedPrefix = (campaign: string) => `runs/${campaign}/`;
/** Outside the run's folder on purpose: it outlives a deleted folder (see the header). */
const startedKey = (id: RunId) => `${startedPrefix(id.campaign)}${runKey(id)}.json`;

const RUN_KEY = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** The instant (epoch ms) a run key names (runKey backwards); undefined for `on-merge` and foreign names. */
export function runKeyInstant(key: string): number | undefined {
  const m = RUN_KEY.exec(key);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0);
}
/**
 * The folders every ledger key above lives under: a store with nothing in them has no ledger.
 * `runs/` first: one key per run, so a store with a ledger says so in one short listing.
 */
export const LEDGER_ROOTS = ["runs/", "ledger/"] as const;

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
  // One call, not createHash's three: this runs per recipient.
  return digest("sha256", input, "base64url").slice(0, 22);
}

/** What a run's ledger says so far. */
export interface LedgerState {
  run?: RunRecord;
  runEtag?: string;
  /**
   * Recipients with a recorded outcome, by id: compact sets (util/key-set.ts), tens of bytes an id,
   * so a long run's resume holds no outcome records. `skippedReasons` counts skips by reason.
   */
  sent: KeySet;
  failed: KeySet;
  skipped: KeySet;
  skippedReasons: Record<string, number>;
  /** In flight at a crash, or in a call whose outcome is unknown: sent or not, nobody knows. */
  unknown: Set<string>;
  /** Of `unknown`, those whose own call's outcome is unknown (an `ambiguous` intent), not a crash's. */
  ambiguous: Set<string>;
  /**
   * Intent-only batches, by number (their ids are in `unknown`). `damaged`: the batch has an
   * outcome file that cannot be read, so settling it needs a record of its own.
   */
  openBatches: Map<number, { ids: string[]; damaged: boolean }>;
  nextBatch: number;
  /** Outcome files that could not be read (see the header), for the report. */
  unreadable: string[];
}

/** The ledger cannot be trusted to say who was sent to: the run sends nothing. */
export class LedgerDamagedError extends MailopsError {}

/** A create-only ledger record already existed: another writer is on this run. */
export class LedgerConflictError extends MailopsError {}

const RESTORE = "restore the state store from a backup (S3 versioning, or a copy of .mailops/state)";

export class Ledger {
  /** A finished batch's outcome not written yet (see `finished`). */
  private unwritten: (Settled & { ids: string[]; since: number }) | undefined;
  private marked = false;

  constructor(
    private readonly store: Store,
    readonly id: RunId,
    /** The token of the send lock's lease: every record written carries it (see the header). */
    private readonly lease?: string,
  ) {}

  async load(): Promise<LedgerState> {
    const state: LedgerState = {
      sent: new KeySet(),
      failed: new KeySet(),
      skipped: new KeySet(),
      skippedReasons: {},
      unknown: new Set(),
      ambiguous: new Set(),
      openBatches: new Map(),
      nextBatch: 1,
      unreadable: [],
    };
    const runObj = await this.readRunObject();
    if (runObj) {
      state.run = runObj.run;
      state.runEtag = runObj.etag;
    }
    const keys = await this.store.list(`${runPrefix(this.id)}/batch-`);
    if (!runObj && keys.length) {
      throw new LedgerDamagedError(
        `the run record ${this.where(runRecordKey(this.id))} is missing, but the run has ${keys.length} batch records`,
        `the run's content and address key are in it, so nothing is sent: ${RESTORE}`,
      );
    }
    const records = await this.readRecords(keys, (outcomes) => addOutcomes(state, outcomes));
    const last = this.assertNoGap(records.numbers);
    addOpenBatches(state, records);
    state.nextBatch = last + 1;
    return state;
  }

  /**
   * Every batch record of the run, read one at a time: each batch's outcomes told to `settled` as
   * they come (nothing else keeps them), and only intents not settled yet held. An unreadable
   * record is noted, a wrong one refused.
   */
  private async readRecords(keys: string[], settled: (outcomes: Outcome[]) => void): Promise<BatchRecords> {
    const records: BatchRecords = {
      intents: new Map(),
      intentNumbers: new Set(),
      done: new Set(),
      unreadable: new Map(),
      numbers: new Set(),
    };
    const settle = (batch: number, outcomes: Outcome[]) => {
      records.done.add(batch);
      records.intents.delete(batch);
      settled(outcomes);
    };
    for await (const { n, key, rec } of this.batchRecords(keys)) {
      records.numbers.add(n);
      if (!rec) {
        records.unreadable.set(n, key);
        continue;
      }
      if (rec.state === "intent") {
        records.intentNumbers.add(rec.batch);
        if (!records.done.has(rec.batch)) records.intents.set(rec.batch, rec);
      } else settle(rec.batch, rec.outcomes ?? []);
      if (rec.previous) settle(rec.previous.batch, rec.previous.outcomes);
    }
    return records;
  }

  /**
   * The run's batch records, read one at a time in key order, each with its number; `rec` is
   * undefined for an outcome file that is unreadable, and a wrong record is refused (parseRecord).
   */
  private async *batchRecords(
    keys: string[],
  ): AsyncGenerator<{ n: number; key: string; rec: BatchRecord | undefined }> {
    for (const key of keys) {
      const n = batchNumber(key);
      if (n === undefined) continue; // not a record of ours (an editor's backup, say)
      const obj = await this.store.get(key);
      if (!obj) continue;
      yield { n, key, rec: this.parseRecord(key, obj, n, key.endsWith(".done.json")) };
    }
  }

  /**
   * Batch numbers run 1 to the last without a gap (a missing record may have been an intent);
   * returns the last. Not Math.max(...numbers): a long run has more than a call's arguments hold.
   */
  private assertNoGap(numbers: Set<number>): number {
    let last = 0;
    for (const n of numbers) if (n > last) last = n;
    for (let n = 1; n <= last; n++) {
      if (numbers.has(n)) continue;
      throw new LedgerDamagedError(
        `batch ${n} of the run ${runPrefix(this.id)} in ${this.store.location} is missing: records up to batch ${last} exist`,
        `a missing record may have been an intent, so whom that batch sent to is unknown and nothing is sent: ${RESTORE}`,
      );
    }
    return last;
  }

  /**
   * Everyone the run may have reached, each id told to `add`: those recorded `sent`, and those in
   * an intent without an outcome (unknown: maybe sent). For `exclude_sent` (exclude-sent.ts).
   * Records are read one at a time and only open intents are held (settled as the next record
   * arrives), never the run's ids: memory is the caller's set. Damage is refused as in load().
   */
  async reached(add: (id: string) => void): Promise<void> {
    const keys = await this.store.list(`${runPrefix(this.id)}/batch-`);
    const open = new Map<number, string[]>();
    const settled = new Set<number>();
    const numbers = new Set<number>();
    const settle = (batch: number, outcomes: Outcome[]) => {
      settled.add(batch);
      open.delete(batch);
      for (const o of outcomes) if (o.status === "sent") add(o.id);
    };
    for await (const { n, rec } of this.batchRecords(keys)) {
      numbers.add(n);
      if (!rec) continue; // an unreadable outcome: its intent stays open, so its ids count
      if (rec.previous) settle(rec.previous.batch, rec.previous.outcomes);
      if (rec.state === "done") settle(rec.batch, rec.outcomes ?? []);
      else if (!settled.has(rec.batch)) open.set(rec.batch, rec.ids);
    }
    this.assertNoGap(numbers);
    for (const ids of open.values()) for (const id of ids) add(id);
  }

  /**
   * Every recorded outcome of the run, a record at a time, as written (damage refused as in
   * load()): for reading a ledger whole (tests, tools). A run holds none of
   * them (load() keeps compact sets of ids).
   */
  async *outcomes(): AsyncGenerator<Outcome> {
    const keys = await this.store.list(`${runPrefix(this.id)}/batch-`);
    for await (const { rec } of this.batchRecords(keys)) {
      if (rec?.state === "done") yield* rec.outcomes ?? [];
      if (rec?.previous) yield* rec.previous.outcomes;
    }
  }

  /** Just the run record: enough to know whether the run started or completed, without reading its batches. */
  async readRun(): Promise<RunRecord | undefined> {
    return (await this.readRunObject())?.run;
  }

  /**
   * run.json, checked. Absent with the started marker present: the run's folder was deleted.
   */
  private async readRunObject(): Promise<{ run: RunRecord; etag: string } | undefined> {
    const key = runRecordKey(this.id);
    const obj = await this.store.get(key);
    if (obj) return { run: parseRun(obj.body, this.where(key)), etag: obj.etag };
    const started = await this.store.get(startedKey(this.id));
    if (!started) return undefined;
    const since = readJson(started.body) as { startedAt?: unknown } | undefined;
    throw new LedgerDamagedError(
      `the ledger of campaign ${this.id.campaign} (send_at ${this.id.sendAt}) is gone: ${this.where(runPrefix(this.id))}/ has no run record, but ${startedKey(this.id)} shows the run started${typeof since?.startedAt === "string" ? ` at ${since.startedAt}` : ""}`,
      `whom it sent to is unknown, so nothing is sent: ${RESTORE}; to send the campaign again on purpose, give it a new send_at (or, if nobody was sent to, delete ${startedKey(this.id)})`,
    );
  }

  /** Start or continue the run record; CAS so two senders cannot both start it. */
  async saveRun(record: RunRecord, etag: string | undefined): Promise<string> {
    const { lease: _, write: __, ...rest } = record;
    const body = JSON.stringify({ ...rest, ...this.signature() }, null, 2);
    const key = runRecordKey(this.id);
    let saved: string;
    if (etag === undefined) {
      const created = await this.store.putIfAbsent(key, body, { idempotent: true });
      if (!created) throw await this.conflict(key, "appeared while this run was starting it");
      saved = created.etag;
    } else {
      try {
        saved = (await this.store.put(key, body, { ifMatch: etag, idempotent: true })).etag;
      } catch (e) {
        if (!(e instanceof PreconditionFailedError)) throw e;
        throw await this.conflict(key, "was changed by another writer");
      }
    }
    // After run.json: a marker without it can only mean the folder was deleted. Before any batch.
    if (!this.marked) {
      await this.store.putIfAbsent(
        startedKey(this.id),
        JSON.stringify({
          version: 1,
          campaign: record.campaign,
          sendAt: record.sendAt,
          startedAt: record.startedAt,
        }),
      );
      this.marked = true;
    }
    return saved;
  }

  /**
   * Record that a batch is about to go out; the last finished batch's outcome goes with it.
   * `ambiguous`: these recipients' calls already had an unknown outcome (see the header).
   */
  async intent(batch: number, ids: string[], at: Date, ambiguous?: string): Promise<void> {
    await this.withUnwritten((previous) =>
      this.create(
        batchKey(this.id, batch),
        {
          version: 1,
          batch,
          state: "intent",
          at: at.toISOString(),
          ids,
          ...previous,
          ...(ambiguous !== undefined ? { ambiguous } : {}),
        },
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

  /**
   * Settle batch `batch`, whose own outcome file is unreadable, in a new record numbered `as`:
   * an empty skip record carrying the outcomes as `previous`.
   */
  async settle(batch: number, outcomes: Outcome[], as: number, at: Date): Promise<void> {
    await this.flush();
    await this.create(
      doneKey(this.id, as),
      {
        version: 1,
        batch: as,
        state: "done",
        at: at.toISOString(),
        ids: [],
        outcomes: [],
        previous: { batch, at: at.toISOString(), outcomes },
      },
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
    const body = JSON.stringify({ ...rec, ...this.signature() });
    const created = await this.store.putIfAbsent(key, body, { durable, idempotent: true });
    if (!created) throw await this.conflict(key, "already exists");
  }

  /** The lease and a fresh write id, for the next record written. */
  private signature(): { lease?: string; write: string } {
    return { ...(this.lease !== undefined ? { lease: this.lease } : {}), write: writeId() };
  }

  /** Another sender's record where this run writes: name its lease, if it has one. */
  private async conflict(key: string, what: string): Promise<LedgerConflictError> {
    const found = await this.store.get(key).catch(() => undefined);
    const lease = (readJson(found?.body ?? "") as { lease?: unknown } | undefined)?.lease;
    const by = typeof lease === "string" ? ` (written under lease ${lease.slice(0, 8)})` : "";
    return new LedgerConflictError(
      `the ledger record ${this.where(key)} ${what}${by}: another sender is writing this run (this one's lock was lost, or the ledger was changed while it ran)`,
      "nothing more is sent by this run; run `mailops status`, then send again",
    );
  }

  private where(key: string): string {
    return `${key} in ${this.store.location}`;
  }

  /**
   * A batch record, checked against its file name. Undefined for an outcome file that is not
   * JSON (a power cut, see the header); anything else that is not a record of ours is an error.
   */
  private parseRecord(key: string, obj: StoredObject, n: number, isDone: boolean): BatchRecord | undefined {
    const value = readJson(obj.body);
    if (value === undefined) {
      if (isDone) return undefined;
      throw new LedgerDamagedError(
        `the send ledger record ${key} is unreadable${obj.body.trim() === "" ? " (empty)" : ""} (state store ${this.store.location})`,
        `intents are written whole and flushed, so the state store was changed by hand or damaged; whether that batch went out is unknown and nothing is sent: ${RESTORE}`,
      );
    }
    const problem = recordProblem(value, n, isDone ? "done" : "intent");
    if (problem) {
      throw new LedgerDamagedError(
        `the send ledger record ${this.where(key)} is not a ledger record: ${problem}`,
        `the state store was changed by hand or damaged, and nothing is sent: ${RESTORE}`,
      );
    }
    return value as BatchRecord;
  }

  /** Runs recorded for a campaign (or all campaigns), for `status`; a run whose folder is gone too. */
  static async runs(store: Store, campaign?: string): Promise<RunId[]> {
    const out = new Map<string, RunId>();
    const add = (id: RunId) => out.set(`${id.campaign}/${runKey(id)}`, id);
    for (const key of await store.list(campaign ? `ledger/${campaign}/` : "ledger/")) {
      if (!key.endsWith("/run.json")) continue;
      const obj = await store.get(key);
      const rec = obj ? (readJson(obj.body) as Partial<RunRecord> | undefined) : undefined;
      if (typeof rec?.campaign === "string" && typeof rec.sendAt === "string")
        add({ campaign: rec.campaign, sendAt: rec.sendAt });
      else {
        // Unreadable: its place names it; loading it says what is wrong.
        const [, name, folder] = key.split("/");
        if (name && folder) {
          const at = runKeyInstant(folder);
          add({ campaign: name, sendAt: at === undefined ? folder : new Date(at).toISOString() });
        }
      }
    }
    for (const key of await store.list(campaign ? startedPrefix(campaign) : "runs/")) {
      const obj = await store.get(key);
      const rec = obj ? (readJson(obj.body) as Partial<RunRecord> | undefined) : undefined;
      if (typeof rec?.campaign === "string" && typeof rec.sendAt === "string")
        add({ campaign: rec.campaign, sendAt: rec.sendAt });
    }
    return [...out.values()];
  }
}

/** A run's batch records as read: the intents still open, the batches settled, unreadable files, the numbers seen. */
interface BatchRecords {
  /** Intents without an outcome (so far), by batch. */
  intents: Map<number, BatchRecord>;
  /** Every batch an intent was read for. */
  intentNumbers: Set<number>;
  /** Batches whose outcome was read. */
  done: Set<number>;
  /** Batch number → key of its unreadable file. */
  unreadable: Map<number, string>;
  numbers: Set<number>;
}

/**
 * Intents without an outcome: their recipients are unknown, unless recorded sent (resent later
 * with --resend-unknown); unreadable outcomes are reported.
 */
function addOpenBatches(state: LedgerState, records: BatchRecords): void {
  const { intents, intentNumbers, done, unreadable } = records;
  for (const [batch, rec] of intents) {
    for (const id of rec.ids) if (!state.sent.has(id)) state.unknown.add(id);
    if (rec.ambiguous !== undefined) for (const id of rec.ids) state.ambiguous.add(id);
    state.openBatches.set(batch, { ids: rec.ids, damaged: unreadable.has(batch) });
  }
  for (const [n, key] of unreadable) {
    // An unreadable outcome whose batch another record settled told nothing that is missing.
    if (!intentNumbers.has(n) || !done.has(n)) state.unreadable.push(key);
  }
}

/** A batch's recorded outcomes, by recipient. */
function addOutcomes(state: LedgerState, outcomes: Outcome[]): void {
  for (const o of outcomes) {
    if (o.status === "sent") state.sent.add(o.id);
    else if (o.status === "failed") state.failed.add(o.id);
    else if (state.skipped.add(o.id))
      state.skippedReasons[o.reason] = (state.skippedReasons[o.reason] ?? 0) + 1;
  }
}

function batchNumber(key: string): number | undefined {
  const m = /\/batch-(\d{6,})(\.done)?\.json$/.exec(key);
  return m ? Number(m[1]) : undefined;
}

function readJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function parseRun(body: string, where: string): RunRecord {
  const value = readJson(body);
  const r = value as Partial<RunRecord> | undefined;
  const ok =
    typeof r === "object" &&
    r !== null &&
    r.version === 1 &&
    typeof r.campaign === "string" &&
    typeof r.sendAt === "string" &&
    typeof r.contentDigest === "string" &&
    typeof r.startedAt === "string" &&
    (r.status === "running" || r.status === "complete" || r.status === "stopped") &&
    (r.addressKey === undefined || r.addressKey === ADDRESS_KEY_VERSION);
  if (!ok) {
    throw new LedgerDamagedError(
      `the run record ${where} is ${value === undefined ? "unreadable" : "not a run record"}`,
      `it holds the run's content digest and address key, so nothing is sent: ${RESTORE}`,
    );
  }
  return r as RunRecord;
}

const isIds = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === "string");

function outcomesProblem(v: unknown): boolean {
  return (
    !Array.isArray(v) ||
    !v.every(
      (o) =>
        typeof o === "object" &&
        o !== null &&
        typeof o.id === "string" &&
        ((o.status === "sent" && typeof o.messageId === "string") ||
          (o.status === "failed" && typeof o.error === "string") ||
          (o.status === "skipped" && typeof o.reason === "string")),
    )
  );
}

/** What is wrong with a parsed batch record, if anything. */
function recordProblem(value: unknown, n: number, state: "intent" | "done"): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not an object";
  const r = value as Partial<BatchRecord>;
  if (r.version !== 1) return `version ${JSON.stringify(r.version)}`;
  if (r.batch !== n) return `it says batch ${JSON.stringify(r.batch)}, its name says ${n}`;
  if (r.state !== state) return `it says ${JSON.stringify(r.state)}, its name says ${state}`;
  if (!isIds(r.ids)) return "no list of recipient ids";
  if (state === "done" && outcomesProblem(r.outcomes)) return "no list of outcomes";
  if (r.ambiguous !== undefined && typeof r.ambiguous !== "string") return "an unreadable `ambiguous`";
  if (r.previous !== undefined) {
    const p = r.previous as Partial<Settled>;
    if (typeof p !== "object" || p === null || !Number.isInteger(p.batch) || outcomesProblem(p.outcomes))
      return "an unreadable `previous`";
    if ((p.batch as number) >= n) return `\`previous\` names batch ${p.batch}, not an earlier one`;
  }
  return undefined;
}
