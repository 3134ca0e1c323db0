/**
 * One campaign run: audience → prepare → ledger intent → paced send → ledger outcome.
 * Exactly-once per recipient comes from the ledger: a recipient with any recorded outcome, or in
 * a batch left at intent by a crash (unknown), is never sent again unless asked.
 * An audience that fails mid-way (a MailopsError from the recipients, e.g. a source that changed
 * since it was counted) stops the run: recorded `stopped` with the reason, never `complete`.
 * One sender at a time: the lease is checked (and renewed when due) before every batch's intent,
 * so a sender that lost its lock stops before sending more (lock.ts).
 *
 * A flaky network. Each recipient's outcome is its own call's (targets/port.ts EntryResult):
 * sent and rejected are recorded; a call SES did not process (throttled, unavailable) is made
 * again, paced and backed off; a call that may have gone out makes its recipients unknown, in
 * an intent of their own (ledger.ts, `ambiguous`), and the run goes on. After a failed call the
 * next call carries one recipient (a probe), so an outage costs one recipient a call, not fifty.
 * FAILED_CALLS_TO_STOP failed calls in a row stop the run; what was never attempted is left
 * without an outcome, so the next run sends it.
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
/** Answers of TRANSIENT_FAILURE (an entry status) a recipient gets before it is recorded failed. */
const MAX_ATTEMPTS = 5;
/**
 * A sustained failure stops the run: this many failed calls in a row, with no call answered in
 * between (throttled calls count too, so SES throttling every call stops it as well). Calls
 * failing at random line up so almost never (at 2% of calls failing, 0.02^6 ≈ 6e-11 a call).
 * With the backoff between them (BACKOFF_MS doubling, jittered), six in a row span about 10 to
 * 20 s: a brief outage is waited out, a long one stops the run rather than make recipient after
 * recipient unknown. Probes keep the cost at one recipient per failed call.
 */
export const FAILED_CALLS_TO_STOP = 6;
/** The first wait after a failed call; doubled for each further one in a row, up to BACKOFF_MAX_MS. */
const BACKOFF_MS = 500;
const BACKOFF_MAX_MS = 10_000;

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
    ambiguous: 0,
    throttled: { calls: 0, lostMs: 0 },
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
  const health: CallHealth = { streak: 0, answered: false, probe: false, backoffMs: 0 };

  const sendBatch = async () => {
    const batch = pending;
    pending = [];
    if (!batch.length) return;
    await input.lease?.check();
    await assertUndelivered(input, batch);
    const number = nextBatch++;
    const ids = batch.map((m) => m.id);
    await ledger.intent(number, ids, options.now());
    const outcomes: Delivery = { recorded: [], uncertain: [] };
    try {
      outcomes.stop = await deliver(input, batch, sleep, outcomes, health);
    } catch (error) {
      if (!(error instanceof CallFailed)) throw error;
      // Only the failed call's recipients (and earlier calls' unknown ones) are unknown: they get
      // an intent of their own, and the batch is completed with what is known (its unattempted
      // recipients are sent next run).
      const uncertain = [...outcomes.uncertain.map((u) => u.id), ...error.uncertain];
      if (uncertain.length < ids.length) {
        await ledger.intent(nextBatch++, uncertain, options.now());
        await ledger.complete(number, ids, outcomes.recorded, options.now());
      }
      throw error.cause;
    }
    if (outcomes.uncertain.length) {
      // Written before the batch's outcome is kept to ride on the next record: were this write
      // to fail, the batch stays open (all unknown), never settled without them (read: unsent).
      const first = outcomes.uncertain[0]?.error ?? "";
      const more = outcomes.uncertain.length > 1 ? ` (${outcomes.uncertain.length} recipients)` : "";
      await ledger.intent(
        nextBatch++,
        outcomes.uncertain.map((u) => u.id),
        options.now(),
        `${first}${more}`,
      );
      report.unknown += outcomes.uncertain.length;
      report.ambiguous += outcomes.uncertain.length;
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
      const unknownAs = state.unknown.has(id) ? id : aliases?.find((a) => state.unknown.has(a));
      if (unknownAs !== undefined) {
        report.unknown++;
        if (state.ambiguous.has(unknownAs)) report.ambiguous++;
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
  if (stop && health.failedOut) {
    const unknown = report.unknown
      ? `; ${report.unknown} recipient${report.unknown === 1 ? " is" : "s are"} unknown (their calls may have reached SES)`
      : "";
    stop = `${stop}${unknown}`;
  }

  const interrupted = report.unknown - report.ambiguous;
  report.complete = !stop && interrupted === 0;
  report.throttled = {
    calls: input.bucket.throttles,
    lostMs: Math.round(input.bucket.lostMs + health.backoffMs),
  };
  const final: RunRecord = {
    ...run,
    updatedAt: options.now().toISOString(),
    status: report.complete ? "complete" : "stopped",
    ...(stop
      ? { stopReason: stop }
      : interrupted
        ? { stopReason: `${interrupted} recipients in an interrupted batch are unknown` }
        : {}),
    ...throttledSoFar(run, report.throttled),
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

/** What a batch's calls left: outcomes to record, recipients whose call's outcome is unknown, a stop. */
interface Delivery {
  recorded: Outcome[];
  uncertain: { id: string; error: string }[];
  stop?: string | undefined;
}

/** How the run's send calls are going, across batches. */
interface CallHealth {
  /** Failed or throttled calls in a row, with no call answered in between. */
  streak: number;
  /** Whether SES ever answered a send call of this run. */
  answered: boolean;
  /** The next call carries one recipient: the last one failed. */
  probe: boolean;
  /** The last failure, for the stop reason. */
  last?: string;
  /** Set when the failures stopped the run. */
  failedOut?: boolean;
  /** Time spent backing off after throttled calls (counted as time lost to throttling). */
  backoffMs: number;
}

/**
 * Send one ledger batch, SEND_CHUNK recipients a call, each paced on its own; returns a stop
 * reason. A sender that throws (not an answer any sender gives on purpose) throws CallFailed.
 */
async function deliver(
  input: RunInput,
  batch: Pending[],
  sleep: (ms: number) => Promise<void>,
  out: Delivery,
  health: CallHealth,
): Promise<string | undefined> {
  for (let i = 0; i < batch.length; i += SEND_CHUNK) {
    const stop = await deliverChunk(input, batch.slice(i, i + SEND_CHUNK), sleep, out, health);
    if (stop) return stop;
  }
  return undefined;
}

/**
 * One sender call for a chunk, then again for what SES did not process (throttled, unavailable,
 * not attempted) and for entries it asked to retry; returns a stop reason. Each recipient keeps
 * its own call's outcome.
 */
async function deliverChunk(
  input: RunInput,
  chunk: Pending[],
  sleep: (ms: number) => Promise<void>,
  out: Delivery,
  health: CallHealth,
): Promise<string | undefined> {
  let remaining = chunk;
  const answers = new Map<string, number>();
  while (remaining.length > 0) {
    const call = health.probe ? remaining.slice(0, 1) : remaining;
    await input.bucket.take(call.length);
    let results: EntryResult[];
    try {
      results = await input.sender.send({ ...input.request, messages: call });
    } catch (e) {
      if (!(e instanceof ThrottledError)) {
        // Unknown whether anything of this call went out.
        throw new CallFailed(
          e,
          call.map((m) => m.id),
          out.recorded,
        );
      }
      results = call.map(() => ({ status: "unsent", why: "throttled", error: e.message }));
    }
    const again: Pending[] = [];
    let stop: string | undefined;
    let unreachable: string | undefined;
    let answered = 0;
    let failed = 0;
    let throttled = 0;
    let slowDown = false;
    let retried = 0;
    call.forEach((m, i) => {
      const res: EntryResult = results[i] ?? { status: "unknown", error: "the sender gave no result" };
      switch (res.status) {
        case "sent":
          answered++;
          out.recorded.push({ id: m.id, status: "sent", messageId: res.messageId });
          break;
        case "failed":
          answered++;
          out.recorded.push({ id: m.id, status: "failed", error: res.error });
          break;
        case "retry": {
          answered++;
          if (res.error.startsWith("ACCOUNT_THROTTLED")) slowDown = true;
          const n = (answers.get(m.id) ?? 0) + 1;
          answers.set(m.id, n);
          if (n >= MAX_ATTEMPTS)
            out.recorded.push({ id: m.id, status: "failed", error: "transient failure after retries" });
          else {
            again.push(m);
            retried = Math.max(retried, n);
          }
          break;
        }
        case "stop":
          stop ??= res.error; // not sent; no outcome, so a later run sends it
          break;
        case "unsent":
          again.push(m);
          if (res.why === "throttled") throttled++;
          else if (res.why !== "not-attempted") {
            failed++;
            health.last = res.error;
            if (res.why === "unreachable") unreachable ??= res.error;
          }
          break;
        case "unknown":
          failed++;
          health.last = res.error;
          out.uncertain.push({ id: m.id, error: res.error });
          break;
      }
    });
    if (stop) return stop;
    if (!answered && !failed && !throttled) {
      // Nothing made and nothing learnt (every entry "not attempted"): a failed call all the
      // same, or the loop would never end.
      failed++;
      health.last = "the sender made no call";
    }
    // Nothing ever reached SES and nothing listens there: a wrong endpoint, not a flaky network.
    if (unreachable && !health.answered && answered === 0) return unreachable;
    if (answered) health.answered = true;
    if (failed || throttled) {
      // A call answered in the same send breaks the row: this failure starts a new one.
      health.streak = answered ? 1 : health.streak + 1;
      if (!failed) health.last = "SES throttled the call (TooManyRequestsException)";
    } else health.streak = 0;
    health.probe = failed > 0;
    if (throttled || slowDown) input.bucket.throttled();
    else if (answered) input.bucket.succeeded();
    if (health.streak >= FAILED_CALLS_TO_STOP) {
      health.failedOut = true;
      return health.answered
        ? `SES send calls failed ${health.streak} times in a row (last: ${health.last}), so the run stopped`
        : `no SES send call got through: ${health.streak} failed in a row (last: ${health.last}), so the run stopped`;
    }
    // Throttling is paced by the bucket; other failures and entry retries wait here.
    if (failed) await sleep(backoff(health.streak));
    else if (retried) await sleep(backoff(retried));
    else if (throttled && health.streak > 1) {
      const ms = backoff(health.streak - 1);
      health.backoffMs += ms;
      await sleep(ms);
    }
    remaining = [...again, ...remaining.slice(call.length)];
  }
  return undefined;
}

/** Exponential from BACKOFF_MS, capped, with half of it jittered so parallel senders spread out. */
function backoff(attempt: number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MS * 2 ** Math.max(0, attempt - 1));
  return base / 2 + Math.random() * (base / 2);
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
    for (const o of outcomes) if (o.status === "sent") state.sent.set(o.id, o.messageId);
  }
}
