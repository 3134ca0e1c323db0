/**
 * One campaign run: audience → prepare → ledger intent → paced send → ledger outcome.
 * Exactly-once per recipient comes from the ledger: a recipient with any recorded outcome, or in
 * a batch left at intent by a crash (unknown), is never sent again unless asked.
 * An audience that fails mid-way (a MailopsError from the recipients, e.g. a source that changed
 * since it was counted) stops the run: recorded `stopped` with the reason, never `complete`.
 * One sender at a time: the lease is checked (and renewed when due) before every batch's intent,
 * so a sender that lost its lock stops before sending more (lock.ts).
 *
 * The send calls of a batch, and what a flaky network makes of them, are calls.ts.
 */
import { MailopsError } from "../errors.js";
import type { Sender, SendRequest } from "../targets/port.js";
import { CallFailed, type CallHealth, type Delivery, deliver, type Pending, SEND_CHUNK } from "./calls.js";
import type { Ledger, LedgerState, Outcome, RunId, RunRecord } from "./ledger.js";
import { ADDRESS_KEY_VERSION, addressKeyVersion, LedgerDamagedError, ledgerId, runPrefix } from "./ledger.js";
import type { Lease } from "./lock.js";
import type { MessageBuilder, MessageRecipient } from "./message.js";
import type { TokenBucket } from "./pacing.js";

const SKIP_FLUSH = 500;
/** A batch's outcome waits at most this long for the next ledger record to ride on. */
const CARRY_MS = 1000;
/** Guardrail rates are read again after this many recipients. */
const GUARDRAIL_EVERY = 1000;

export class ContentChangedError extends MailopsError {}

export interface RunReport {
  campaign: string;
  sent: number;
  failed: number;
  skipped: Record<string, number>;
  /** Recipients whose delivery is unknown: met this attempt (from earlier ones) or made so by it. */
  unknown: number;
  /**
   * Of `unknown`, those whose own call's outcome is unknown (a reset or timeout after the request
   * was sent, a 500): recorded so, and a run with only these is complete. The rest were in a batch
   * interrupted by a crash, which leaves the run partial.
   */
  ambiguous: number;
  /** Throttled send calls in this attempt, and the sending time they cost. */
  throttled: { calls: number; lostMs: number };
  /** Recipients done in earlier attempts of this run. */
  alreadyDone: number;
  /** Recipients whose local send time is still to come (send/local-time.ts): the run is not complete. */
  waiting?: number;
  stopped?: string;
  complete: boolean;
  failures: Record<string, number>;
  /** Ledger outcome files that could not be read: their recipients count as unknown (ledger.ts). */
  unreadable: string[];
}

export interface RunInput {
  project: string;
  id: RunId;
  contentDigest: string;
  recipients: () => AsyncIterable<MessageRecipient>;
  messages: MessageBuilder;
  request: Omit<SendRequest, "messages">;
  sender: Sender;
  ledger: Ledger;
  bucket: TokenBucket;
  lease?: Lease;
  /**
   * A run in each recipient's local time: how many recipients the last pass of `recipients` held
   * back because their time is still to come (send/local-time.ts). The run stays open for them.
   */
  waiting?: () => number;
  /** Recipients per ledger batch (see ledgerBatchSize); SEND_CHUNK when not given. */
  batchSize?: number;
  /**
   * For a run started under address key version 1 (ledger.ts): by address key, the addresses of
   * the rows the audience dropped as repeats of that recipient. The old key kept them apart, so
   * the ledger may record the person under one of these spellings.
   */
  otherSpellings?: ReadonlyMap<string, readonly string[]>;
  options: {
    resendUnknown: boolean;
    allowContentChange: boolean;
    stopOn: { bounceRate?: number; complaintRate?: number };
    now: () => Date;
    progress: (done: number) => void;
    sleep?: (ms: number) => Promise<void>;
  };
}

/**
 * One attempt at a run, in the order of the ledger's protocol (ledger.ts): load, start or
 * continue the run record, settle batches a crash left open, send, then the final record.
 */
export async function runCampaign(input: RunInput): Promise<RunReport> {
  const { ledger, options } = input;
  const state = await ledger.load();
  const report = emptyReport(input.id.campaign, state.unreadable);
  const run = runRecord(input, state, options.now());
  const runEtag = await ledger.saveRun(run, state.runEtag);
  const attempt = new Attempt(input, state, report, run);
  await resolveUnknown(input, state, () => attempt.batchNumber());
  await attempt.sendAll();
  const stop = await stopReason(input, attempt);
  const interrupted = report.unknown - report.ambiguous;
  const waiting = input.waiting?.() ?? 0;
  if (waiting) report.waiting = waiting;
  report.complete = !stop && interrupted === 0 && waiting === 0;
  report.throttled = {
    calls: input.bucket.throttles,
    lostMs: Math.round(input.bucket.lostMs + attempt.health.backoffMs),
  };
  await ledger.saveRun(finalRecord(run, report, stop, interrupted, options.now()), runEtag);
  if (stop) report.stopped = stop;
  return report;
}

function emptyReport(campaign: string, unreadable: string[]): RunReport {
  return {
    campaign,
    sent: 0,
    failed: 0,
    skipped: {},
    unknown: 0,
    ambiguous: 0,
    throttled: { calls: 0, lostMs: 0 },
    alreadyDone: 0,
    complete: false,
    failures: {},
    unreadable,
  };
}

/** The run record this attempt starts, or continues: refused when the content changed mid-run. */
function runRecord(input: RunInput, state: LedgerState, now: Date): RunRecord {
  if (!state.run) {
    return {
      version: 1,
      addressKey: ADDRESS_KEY_VERSION,
      campaign: input.id.campaign,
      sendAt: input.id.sendAt,
      contentDigest: input.contentDigest,
      startedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      status: "running",
    };
  }
  if (state.run.contentDigest !== input.contentDigest && !input.options.allowContentChange) {
    throw new ContentChangedError(
      `campaign ${input.id.campaign} was partially sent with content ${state.run.contentDigest.slice(0, 12)}, and its content is now ${input.contentDigest.slice(0, 12)}`,
      "recipients would get different mail; revert the change, or pass --allow-content-change to finish the run with the new content",
    );
  }
  // The stop reason of an earlier attempt is not this one's.
  const { stopReason: _, ...earlier } = state.run;
  return { ...earlier, contentDigest: input.contentDigest, status: "running", updatedAt: now.toISOString() };
}

/** Why the attempt stopped, if it did: its own stop, else the guardrails read at the end. */
async function stopReason(input: RunInput, attempt: Attempt): Promise<string | undefined> {
  let stop = attempt.stop;
  if (!stop) stop = await guardrail(input, attempt.startedAt);
  if (!stop || !attempt.health.failedOut) return stop;
  const { unknown } = attempt.report;
  const unknownText = unknown
    ? `; ${unknown} recipient${unknown === 1 ? " is" : "s are"} unknown (their calls may have reached SES)`
    : "";
  return `${stop}${unknownText}`;
}

/** The run record at the end of the attempt: complete, or stopped with why. */
function finalRecord(
  run: RunRecord,
  report: RunReport,
  stop: string | undefined,
  interrupted: number,
  now: Date,
): RunRecord {
  const { waiting: _, ...rest } = run;
  // Only recipients whose local time is to come: under way, not stopped.
  const open = !report.complete && !stop && !interrupted && report.waiting;
  return {
    ...rest,
    updatedAt: now.toISOString(),
    status: report.complete ? "complete" : open ? "running" : "stopped",
    ...(report.waiting ? { waiting: report.waiting } : {}),
    ...(stop
      ? { stopReason: stop }
      : interrupted
        ? { stopReason: `${interrupted} recipients in an interrupted batch are unknown` }
        : {}),
    ...throttledSoFar(run, report.throttled),
  };
}

/**
 * The send loop of one attempt, with what it counts as it goes: recipients are judged one at a
 * time (done, unknown, skipped, or pending), pending ones go out a ledger batch at a time.
 */
class Attempt {
  stop: string | undefined;
  readonly health: CallHealth = { streak: 0, answered: false, probe: false, backoffMs: 0 };
  /** The next batch number: taken only by a record written with it (ledger.ts). */
  private nextBatch: number;
  private skips: Outcome[] = [];
  private pending: Pending[] = [];
  private done = 0;
  private sinceGuardrail = 0;
  /** The audience was read to its end, or failed: there is no source left to close. */
  private ended = false;
  readonly startedAt: Date;
  /** A run keeps the address key it started with: its recorded ids are hashes of that key. */
  private readonly keyVersion: number;
  private readonly others: ReadonlyMap<string, readonly string[]> | undefined;
  private readonly batchSize: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly input: RunInput,
    private readonly state: LedgerState,
    readonly report: RunReport,
    run: RunRecord,
  ) {
    this.nextBatch = state.nextBatch;
    this.startedAt = new Date(run.startedAt);
    this.keyVersion = addressKeyVersion(run);
    this.others = this.keyVersion === 1 ? input.otherSpellings : undefined;
    this.batchSize = input.batchSize ?? SEND_CHUNK;
    this.sleep = input.options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Takes the next batch number, for a record written outside the loop (resolveUnknown). */
  batchNumber(): number {
    return this.nextBatch++;
  }

  private readonly recorded = (id: string) =>
    this.state.sent.has(id) || this.state.failed.has(id) || this.state.skipped.has(id);

  /** Every recipient, then the last batch and skips; what was sent is recorded before an error leaves. */
  async sendAll(): Promise<void> {
    const { ledger } = this.input;
    const recipients = this.input.recipients()[Symbol.asyncIterator]();
    try {
      while (!this.stop) {
        const next = await this.read(recipients);
        if (!next) break;
        await this.take(next);
      }
      if (!this.stop) await this.sendBatch();
      await this.flushSkips();
      await ledger.flush();
    } catch (error) {
      // What was sent is known: record it before giving up, so it does not read as unknown.
      await ledger.flush().catch(() => undefined);
      throw error;
    } finally {
      // Closes the sources when the loop left early (a stop, a failed call).
      if (!this.ended) await recipients.return?.();
    }
  }

  /** The next recipient; undefined at the end of the audience, or where it failed (a stop). */
  private async read(recipients: AsyncIterator<MessageRecipient>): Promise<MessageRecipient | undefined> {
    let next: IteratorResult<MessageRecipient>;
    try {
      next = await recipients.next();
    } catch (error) {
      // The audience failed mid-way (a source changed since the count, or could not be read
      // to the end). What was not read cannot be judged: the run stops, not complete, and what
      // is still pending is left for the next run, which counts again.
      this.ended = true;
      if (!(error instanceof MailopsError)) throw error;
      this.stop = `the audience could not be read to the end: ${error.withHint()}`;
      this.pending = [];
      return undefined;
    }
    if (next.done) this.ended = true;
    return next.done ? undefined : next.value;
  }

  /** One recipient: already done, unknown, skipped, or pending (sent once a batch is full). */
  private async take(r: MessageRecipient): Promise<void> {
    const { input, state, report } = this;
    // A slow audience or a long run of skips must not keep the last outcome unwritten.
    if (input.ledger.unwrittenFor() > CARRY_MS) await input.ledger.flush();
    const id = ledgerId(input.project, this.keyVersion, r);
    const aliases = this.others
      ?.get(r.key)
      ?.map((address) => ledgerId(input.project, 1, { address, key: r.key }));
    if (this.recorded(id) || aliases?.some(this.recorded)) {
      report.alreadyDone++;
      return;
    }
    const unknownAs = state.unknown.has(id) ? id : aliases?.find((a) => state.unknown.has(a));
    if (unknownAs !== undefined) {
      report.unknown++;
      if (state.ambiguous.has(unknownAs)) report.ambiguous++;
      return;
    }
    const prepared = input.messages.prepare(r);
    if (!prepared.ok) {
      report.skipped[prepared.reason] = (report.skipped[prepared.reason] ?? 0) + 1;
      this.skips.push({ id, status: "skipped", reason: prepared.reason });
      if (this.skips.length >= SKIP_FLUSH) await this.flushSkips();
      return;
    }
    this.pending.push({ id, to: r.address, data: prepared.data, headers: prepared.headers });
    if (this.pending.length >= this.batchSize) await this.sendFullBatch();
  }

  /** A full batch goes out; every GUARDRAIL_EVERY recipients the guardrail rates are read. */
  private async sendFullBatch(): Promise<void> {
    this.sinceGuardrail += this.pending.length;
    await this.sendBatch();
    if (this.sinceGuardrail >= GUARDRAIL_EVERY) {
      this.sinceGuardrail = 0;
      this.stop ??= await guardrail(this.input, this.startedAt);
    }
  }

  private async flushSkips(): Promise<void> {
    if (!this.skips.length) return;
    await this.input.ledger.record(this.nextBatch++, this.skips, this.input.options.now());
    this.skips = [];
  }

  /**
   * The pending recipients as one ledger batch: the lease checked, the intent written, the calls
   * made, and the outcome kept to ride on the next record (ledger.ts `finished`).
   */
  private async sendBatch(): Promise<void> {
    const { ledger, options } = this.input;
    const batch = this.pending;
    this.pending = [];
    if (!batch.length) return;
    await this.input.lease?.check();
    await assertUndelivered(this.input, batch);
    const number = this.nextBatch++;
    const ids = batch.map((m) => m.id);
    await ledger.intent(number, ids, options.now());
    const outcomes = await this.deliver(number, batch);
    await this.recordAmbiguous(outcomes.uncertain);
    ledger.finished(number, ids, outcomes.recorded, options.now());
    this.count(outcomes.recorded);
    if (outcomes.stop) this.stop = outcomes.stop;
    this.done += batch.length;
    options.progress(this.done);
  }

  /**
   * The batch's calls. A call that failed outright ends the run: only its recipients (and
   * earlier calls' unknown ones) are unknown, in an intent of their own, and the batch is
   * completed with what is known (its unattempted recipients are sent next run).
   */
  private async deliver(number: number, batch: Pending[]): Promise<Delivery> {
    const { ledger, options } = this.input;
    const outcomes: Delivery = { recorded: [], uncertain: [] };
    try {
      outcomes.stop = await deliver(this.input, batch, this.sleep, outcomes, this.health);
    } catch (error) {
      if (!(error instanceof CallFailed)) throw error;
      const ids = batch.map((m) => m.id);
      const uncertain = [...outcomes.uncertain.map((u) => u.id), ...error.uncertain];
      if (uncertain.length < ids.length) {
        await ledger.intent(this.nextBatch++, uncertain, options.now());
        await ledger.complete(number, ids, outcomes.recorded, options.now());
      }
      throw error.cause;
    }
    return outcomes;
  }

  /**
   * Recipients whose own call's outcome is unknown, in an intent of their own (`ambiguous`).
   * Written before the batch's outcome is kept to ride on the next record: were this write to
   * fail, the batch stays open (all unknown), never settled without them (read: unsent).
   */
  private async recordAmbiguous(uncertain: Delivery["uncertain"]): Promise<void> {
    if (!uncertain.length) return;
    const first = uncertain[0]?.error ?? "";
    const more = uncertain.length > 1 ? ` (${uncertain.length} recipients)` : "";
    await this.input.ledger.intent(
      this.nextBatch++,
      uncertain.map((u) => u.id),
      this.input.options.now(),
      `${first}${more}`,
    );
    this.report.unknown += uncertain.length;
    this.report.ambiguous += uncertain.length;
  }

  private count(recorded: Outcome[]): void {
    const { report } = this;
    for (const o of recorded) {
      if (o.status === "sent") report.sent++;
      else if (o.status === "failed") {
        report.failed++;
        report.failures[o.error] = (report.failures[o.error] ?? 0) + 1;
      }
    }
  }
}

/**
 * The local target knows what it delivered: a recipient about to be sent whom its outbox already
 * has for this run means the ledger lost records (a deleted or older state store). Refuse.
 */
async function assertUndelivered(input: RunInput, batch: Pending[]): Promise<void> {
  const { sender } = input;
  if (!sender.wasDelivered) return;
  let delivered = 0;
  for (const m of batch) {
    if (await sender.wasDelivered(input.id.campaign, input.request.run, m.id)) delivered++;
  }
  if (!delivered) return;
  throw new LedgerDamagedError(
    `${delivered} recipient${delivered === 1 ? "" : "s"} about to be sent already got this run's mail (the outbox has it), but the ledger ${runPrefix(input.id)} does not record it: the ledger is missing records`,
    "nothing more is sent; restore the state store from a backup, or to send the campaign again on purpose give it a new send_at",
  );
}

/** The run record's throttling figures: earlier attempts' plus this one's. */
function throttledSoFar(run: RunRecord, now: RunReport["throttled"]): Pick<RunRecord, "throttled"> {
  const calls = (run.throttled?.calls ?? 0) + now.calls;
  if (!calls) return {};
  const lostSeconds = (run.throttled?.lostSeconds ?? 0) + now.lostMs / 1000;
  return { throttled: { calls, lostSeconds: Math.round(lostSeconds * 10) / 10 } };
}

async function guardrail(input: RunInput, since: Date): Promise<string | undefined> {
  const { bounceRate, complaintRate } = input.options.stopOn;
  if (bounceRate === undefined && complaintRate === undefined) return undefined;
  const rates = await input.sender.rates?.(input.request.configurationSet, since);
  // Rates on a handful of messages are noise; wait for a sample worth judging.
  if (!rates || rates.sent < 100) return undefined;
  if (bounceRate !== undefined && rates.bounceRate >= bounceRate) {
    return `bounce rate ${(rates.bounceRate * 100).toFixed(2)}% reached guardrails.stop_on.bounce_rate ${(bounceRate * 100).toFixed(2)}%`;
  }
  if (complaintRate !== undefined && rates.complaintRate >= complaintRate) {
    return `complaint rate ${(rates.complaintRate * 100).toFixed(3)}% reached guardrails.stop_on.complaint_rate ${(complaintRate * 100).toFixed(3)}%`;
  }
  return undefined;
}

/**
 * Batches left at intent by a crash. The local target can tell from its outbox what went out;
 * with --resend-unknown the rest are cleared so they are sent again.
 */
async function resolveUnknown(input: RunInput, state: LedgerState, fresh: () => number): Promise<void> {
  if (state.openBatches.size === 0) return;
  const { sender, ledger, options } = input;
  for (const [number, batch] of state.openBatches) {
    const outcomes: Outcome[] = [];
    let resolved = true;
    for (const id of batch.ids) {
      if (sender.wasDelivered && (await sender.wasDelivered(input.id.campaign, input.request.run, id))) {
        outcomes.push({ id, status: "sent", messageId: "recovered-from-outbox" });
      } else if (!sender.wasDelivered) {
        resolved = false;
      }
    }
    if (!resolved && !options.resendUnknown) continue;
    // Completing the batch with only the known outcomes: ids without one are sent again this run.
    // A batch whose outcome file is unreadable is settled by a record of its own (ledger.ts).
    if (batch.damaged) await ledger.settle(number, outcomes, fresh(), options.now());
    else await ledger.complete(number, batch.ids, outcomes, options.now());
    for (const id of batch.ids) state.unknown.delete(id);
    for (const o of outcomes) if (o.status === "sent") state.sent.add(o.id);
  }
}
