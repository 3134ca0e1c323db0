/**
 * One campaign run: audience → prepare → ledger intent → paced send → ledger outcome.
 * Exactly-once per recipient comes from the ledger: a recipient with any recorded outcome, or in
 * a batch left at intent by a crash (unknown), is never sent again unless asked.
 * An audience that fails mid-way (a MailopsError from the recipients, e.g. a source that changed
 * since it was counted) stops the run: recorded `stopped` with the reason, never `complete`.
 * One sender at a time: the lease is checked (and renewed when due) before every batch's intent,
 * so a sender that lost its lock stops before sending more (lock.ts).
 */
import { MailopsError } from "../errors.js";
import type { EntryResult, OutgoingMessage, Sender, SendRequest } from "../targets/port.js";
import { ThrottledError } from "../targets/port.js";
import type { Ledger, LedgerState, Outcome, RunId, RunRecord } from "./ledger.js";
import { ADDRESS_KEY_VERSION, addressKeyVersion, LedgerDamagedError, ledgerId, runPrefix } from "./ledger.js";
import type { Lease } from "./lock.js";
import type { MessagePlan, MessageRecipient } from "./message.js";
import type { TokenBucket } from "./pacing.js";

/** Recipients per sender call: SendBulkEmail takes at most 50 destinations. */
export const SEND_CHUNK = 50;
const SKIP_FLUSH = 500;
/** A batch's outcome waits at most this long for the next ledger record to ride on. */
const CARRY_MS = 1000;
/** Guardrail rates are read again after this many recipients. */
const GUARDRAIL_EVERY = 1000;
const MAX_ATTEMPTS = 5;

export class ContentChangedError extends MailopsError {}

export interface RunReport {
  campaign: string;
  sent: number;
  failed: number;
  skipped: Record<string, number>;
  unknown: number;
  /** Recipients done in earlier attempts of this run. */
  alreadyDone: number;
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
  plan: MessagePlan;
  request: Omit<SendRequest, "messages">;
  sender: Sender;
  ledger: Ledger;
  bucket: TokenBucket;
  lease?: Lease;
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

export async function runCampaign(input: RunInput): Promise<RunReport> {
  const { ledger, options } = input;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const state = await ledger.load();
  const report: RunReport = {
    campaign: input.id.campaign,
    sent: 0,
    failed: 0,
    skipped: {},
    unknown: 0,
    alreadyDone: 0,
    complete: false,
    failures: {},
    unreadable: state.unreadable,
  };

  let runEtag = state.runEtag;
  let run: RunRecord;
  const now = options.now();
  if (state.run) {
    if (state.run.contentDigest !== input.contentDigest && !options.allowContentChange) {
      throw new ContentChangedError(
        `campaign ${input.id.campaign} was partially sent with content ${state.run.contentDigest.slice(0, 12)}, and its content is now ${input.contentDigest.slice(0, 12)}`,
        "recipients would get different mail; revert the change, or pass --allow-content-change to finish the run with the new content",
      );
    }
    // The stop reason of an earlier attempt is not this one's.
    const { stopReason: _, ...earlier } = state.run;
    run = {
      ...earlier,
      contentDigest: input.contentDigest,
      status: "running",
      updatedAt: now.toISOString(),
    };
  } else {
    run = {
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
  runEtag = await ledger.saveRun(run, runEtag);
  const startedAt = new Date(run.startedAt);
  // A run keeps the address key it started with: its recorded ids are hashes of that key.
  const keyVersion = addressKeyVersion(run);
  const others = keyVersion === 1 ? input.otherSpellings : undefined;
  const recorded = (id: string) => state.sent.has(id) || state.failed.has(id) || state.skipped.has(id);

  let nextBatch = state.nextBatch;
  await resolveUnknown(input, state, () => nextBatch++);

  let skips: Outcome[] = [];
  const flushSkips = async () => {
    if (!skips.length) return;
    await ledger.record(nextBatch++, skips, options.now());
    skips = [];
  };
  let pending: Pending[] = [];
  let stop: string | undefined;
  let done = 0;

  const sendBatch = async () => {
    const batch = pending;
    pending = [];
    if (!batch.length) return;
    await input.lease?.check();
    await assertUndelivered(input, batch);
    const number = nextBatch++;
    const ids = batch.map((m) => m.id);
    await ledger.intent(number, ids, options.now());
    let outcomes: Awaited<ReturnType<typeof deliver>>;
    try {
      outcomes = await deliver(input, batch, sleep);
    } catch (error) {
      if (!(error instanceof CallFailed)) throw error;
      // Only the failed call's recipients are unknown: they get an intent of their own, and the
      // batch is completed with what is known (its unattempted recipients are sent next run).
      if (error.uncertain.length < ids.length) {
        await ledger.intent(nextBatch++, error.uncertain, options.now());
        await ledger.complete(number, ids, error.recorded, options.now());
      }
      throw error.cause;
    }
    ledger.finished(number, ids, outcomes.recorded, options.now());
    for (const o of outcomes.recorded) {
      if (o.status === "sent") report.sent++;
      else if (o.status === "failed") {
        report.failed++;
        report.failures[o.error] = (report.failures[o.error] ?? 0) + 1;
      }
    }
    if (outcomes.stop) stop = outcomes.stop;
    done += batch.length;
    options.progress(done);
  };

  const batchSize = input.batchSize ?? SEND_CHUNK;
  let sinceGuardrail = 0;
  const recipients = input.recipients()[Symbol.asyncIterator]();
  let ended = false;
  try {
    for (;;) {
      if (stop) break;
      let next: IteratorResult<MessageRecipient>;
      try {
        next = await recipients.next();
      } catch (error) {
        // The audience failed mid-way (a source changed since the count, or could not be read
        // to the end). What was not read cannot be judged: the run stops, not complete, and what
        // is still pending is left for the next run, which counts again.
        ended = true;
        if (!(error instanceof MailopsError)) throw error;
        stop = `the audience could not be read to the end: ${error.message}${error.hint ? `; ${error.hint}` : ""}`;
        pending = [];
        break;
      }
      if (next.done) {
        ended = true;
        break;
      }
      const r = next.value;
      // A slow audience or a long run of skips must not keep the last outcome unwritten.
      if (ledger.unwrittenFor() > CARRY_MS) await ledger.flush();
      const id = ledgerId(input.project, keyVersion, r);
      const aliases = others
        ?.get(r.key)
        ?.map((address) => ledgerId(input.project, 1, { address, key: r.key }));
      if (recorded(id) || aliases?.some(recorded)) {
        report.alreadyDone++;
        continue;
      }
      if (state.unknown.has(id) || aliases?.some((a) => state.unknown.has(a))) {
        report.unknown++;
        continue;
      }
      const prepared = input.plan.prepare(r);
      if (!prepared.ok) {
        report.skipped[prepared.reason] = (report.skipped[prepared.reason] ?? 0) + 1;
        skips.push({ id, status: "skipped", reason: prepared.reason });
        if (skips.length >= SKIP_FLUSH) await flushSkips();
        continue;
      }
      pending.push({ id, to: r.address, data: prepared.data, headers: prepared.headers });
      if (pending.length >= batchSize) {
        sinceGuardrail += pending.length;
        await sendBatch();
        if (sinceGuardrail >= GUARDRAIL_EVERY) {
          sinceGuardrail = 0;
          stop ??= await guardrail(input, startedAt);
        }
      }
    }
    if (!stop) await sendBatch();
    await flushSkips();
    await ledger.flush();
  } catch (error) {
    // What was sent is known: record it before giving up, so it does not read as unknown.
    await ledger.flush().catch(() => undefined);
    throw error;
  } finally {
    // Closes the sources when the loop left early (a stop, a failed call).
    if (!ended) await recipients.return?.();
  }
  if (!stop) stop = await guardrail(input, startedAt);

  report.complete = !stop && report.unknown === 0;
  const final: RunRecord = {
    ...run,
    updatedAt: options.now().toISOString(),
    status: report.complete ? "complete" : "stopped",
    ...(stop
      ? { stopReason: stop }
      : report.unknown
        ? { stopReason: `${report.unknown} recipients in an interrupted batch are unknown` }
        : {}),
  };
  await ledger.saveRun(final, runEtag);
  if (stop) report.stopped = stop;
  return report;
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

/** A sender call failed outright: `uncertain` may or may not have been sent; `recorded` is what the batch knows. */
class CallFailed extends Error {
  constructor(
    override readonly cause: unknown,
    readonly uncertain: string[],
    readonly recorded: Outcome[],
  ) {
    super("a sender call failed");
  }
}

type Pending = { id: string; to: string; data: Record<string, unknown>; headers: OutgoingMessage["headers"] };

/**
 * Send one ledger batch, SEND_CHUNK recipients a call, each paced on its own. A call that fails
 * outright throws CallFailed, with what the calls before it recorded.
 */
async function deliver(
  input: RunInput,
  batch: Pending[],
  sleep: (ms: number) => Promise<void>,
): Promise<{ recorded: Outcome[]; stop?: string }> {
  const recorded: Outcome[] = [];
  for (let i = 0; i < batch.length; i += SEND_CHUNK) {
    const stop = await deliverChunk(input, batch.slice(i, i + SEND_CHUNK), sleep, recorded);
    if (stop) return { recorded, stop };
  }
  return { recorded };
}

/** One sender call with retries for throttling and transient per-entry failures; returns a stop reason. */
async function deliverChunk(
  input: RunInput,
  chunk: Pending[],
  sleep: (ms: number) => Promise<void>,
  recorded: Outcome[],
): Promise<string | undefined> {
  let remaining = chunk;
  for (let attempt = 1; remaining.length > 0; attempt++) {
    await input.bucket.take(remaining.length);
    let results: EntryResult[];
    try {
      results = await input.sender.send({ ...input.request, messages: remaining });
    } catch (e) {
      if (e instanceof ThrottledError && attempt < MAX_ATTEMPTS * 2) {
        input.bucket.throttled();
        await sleep(backoff(attempt));
        continue;
      }
      // Unknown whether anything of this call went out.
      throw new CallFailed(
        e,
        remaining.map((m) => m.id),
        recorded,
      );
    }
    input.bucket.succeeded();
    const retry: typeof remaining = [];
    let stop: string | undefined;
    results.forEach((res, i) => {
      const m = remaining[i];
      if (!m) return;
      if (res.status === "sent") recorded.push({ id: m.id, status: "sent", messageId: res.messageId });
      else if (res.status === "failed") recorded.push({ id: m.id, status: "failed", error: res.error });
      else if (res.status === "retry") retry.push(m);
      else stop = res.error; // not sent; no outcome, so a later run sends it
    });
    if (stop) return stop;
    if (retry.length && attempt >= MAX_ATTEMPTS) {
      for (const m of retry)
        recorded.push({ id: m.id, status: "failed", error: "transient failure after retries" });
      break;
    }
    if (retry.length) {
      input.bucket.throttled();
      await sleep(backoff(attempt));
    }
    remaining = retry;
  }
  return undefined;
}

function backoff(attempt: number): number {
  const base = Math.min(20_000, 250 * 2 ** attempt);
  return base / 2 + Math.random() * (base / 2);
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
    for (const o of outcomes) if (o.status === "sent") state.sent.set(o.id, o.messageId);
  }
}
