/**
 * The send calls of one ledger batch (run.ts holds the ledger loop around them), for a flaky
 * network. Each recipient's outcome is its own call's (targets/port.ts EntryResult): sent and
 * rejected are recorded; a call SES did not process (throttled, unavailable) is made again, paced
 * and backed off; a call that may have gone out makes its recipients unknown, which the run records
 * in an intent of their own (ledger.ts, `ambiguous`), and the run goes on. After a failed call the
 * next call carries one recipient (a probe), so an outage costs one recipient a call, not fifty.
 * FAILED_CALLS_TO_STOP failed calls in a row stop the run; what was never attempted is left
 * without an outcome, so the next run sends it.
 */
import type { EntryResult, OutgoingMessage, Sender, SendRequest } from "../targets/port.js";
import { ThrottledError } from "../targets/port.js";
import type { Outcome } from "./ledger.js";
import type { TokenBucket } from "./pacing.js";

/** Recipients per sender call: SendBulkEmail takes at most 50 destinations. */
export const SEND_CHUNK = 50;
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

/** What the calls go through: the run's sender, its pace, and the request every call shares. */
export interface Calls {
  sender: Sender;
  bucket: TokenBucket;
  request: Omit<SendRequest, "messages">;
}

/** A sender call failed outright: `uncertain` may or may not have been sent; `recorded` is what the batch knows. */
export class CallFailed extends Error {
  constructor(
    override readonly cause: unknown,
    readonly uncertain: string[],
    readonly recorded: Outcome[],
  ) {
    super("a sender call failed");
  }
}

export type Pending = {
  id: string;
  to: string;
  data: Record<string, unknown>;
  headers: OutgoingMessage["headers"];
};

/** What a batch's calls left: outcomes to record, recipients whose call's outcome is unknown, a stop. */
export interface Delivery {
  recorded: Outcome[];
  uncertain: { id: string; error: string }[];
  stop?: string | undefined;
}

/** How the run's send calls are going, across batches. */
export interface CallHealth {
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
export async function deliver(
  calls: Calls,
  batch: Pending[],
  sleep: (ms: number) => Promise<void>,
  out: Delivery,
  health: CallHealth,
): Promise<string | undefined> {
  for (let i = 0; i < batch.length; i += SEND_CHUNK) {
    const stop = await deliverChunk(calls, batch.slice(i, i + SEND_CHUNK), sleep, out, health);
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
  calls: Calls,
  chunk: Pending[],
  sleep: (ms: number) => Promise<void>,
  out: Delivery,
  health: CallHealth,
): Promise<string | undefined> {
  let remaining = chunk;
  const answers = new Map<string, number>();
  while (remaining.length > 0) {
    const call = health.probe ? remaining.slice(0, 1) : remaining;
    const results = await callSender(calls, call, out);
    const tally = tallyCall(call, results, answers, out, health);
    if (tally.stop) return tally.stop;
    const stop = judgeCall(calls, tally, health);
    if (stop) return stop;
    await waitAfterCall(tally, health, sleep);
    remaining = [...tally.again, ...remaining.slice(call.length)];
  }
  return undefined;
}

/** One paced sender call. A throttled call (429) is an answer too: every entry unsent, throttled. */
async function callSender(calls: Calls, call: Pending[], out: Delivery): Promise<EntryResult[]> {
  await calls.bucket.take(call.length);
  try {
    return await calls.sender.send({ ...calls.request, messages: call });
  } catch (e) {
    if (!(e instanceof ThrottledError)) {
      // Unknown whether anything of this call went out.
      throw new CallFailed(
        e,
        call.map((m) => m.id),
        out.recorded,
      );
    }
    return call.map(() => ({ status: "unsent", why: "throttled", error: e.message }));
  }
}

/** What one call's entries came to. */
interface CallTally {
  /** To send again: unsent, and asked to retry (up to MAX_ATTEMPTS answers). */
  again: Pending[];
  /** An entry said the account or configuration set cannot send. */
  stop?: string;
  /** An entry's call found nothing listening at the endpoint. */
  unreachable?: string;
  answered: number;
  failed: number;
  throttled: number;
  /** SES answered ACCOUNT_THROTTLED for an entry. */
  slowDown: boolean;
  /** The most answers any entry asked to retry has had. */
  retried: number;
}

/** Each entry's result: outcomes to record, uncertain recipients, and the call's tally. */
function tallyCall(
  call: Pending[],
  results: EntryResult[],
  answers: Map<string, number>,
  out: Delivery,
  health: CallHealth,
): CallTally {
  const tally: CallTally = { again: [], answered: 0, failed: 0, throttled: 0, slowDown: false, retried: 0 };
  call.forEach((m, i) => {
    const res: EntryResult = results[i] ?? { status: "unknown", error: "the sender gave no result" };
    if (res.status === "retry") tallyRetry(m, res.error, tally, answers, out);
    else tallyEntry(m, res, tally, out, health);
  });
  return tally;
}

/** An entry SES asked to retry (TRANSIENT_FAILURE): again, until its MAX_ATTEMPTS-th answer fails it. */
function tallyRetry(
  m: Pending,
  error: string,
  tally: CallTally,
  answers: Map<string, number>,
  out: Delivery,
): void {
  tally.answered++;
  if (error.startsWith("ACCOUNT_THROTTLED")) tally.slowDown = true;
  const n = (answers.get(m.id) ?? 0) + 1;
  answers.set(m.id, n);
  if (n >= MAX_ATTEMPTS)
    out.recorded.push({ id: m.id, status: "failed", error: "transient failure after retries" });
  else {
    tally.again.push(m);
    tally.retried = Math.max(tally.retried, n);
  }
}

function tallyEntry(
  m: Pending,
  res: Exclude<EntryResult, { status: "retry" }>,
  tally: CallTally,
  out: Delivery,
  health: CallHealth,
): void {
  switch (res.status) {
    case "sent":
      tally.answered++;
      out.recorded.push({ id: m.id, status: "sent", messageId: res.messageId });
      break;
    case "failed":
      tally.answered++;
      out.recorded.push({ id: m.id, status: "failed", error: res.error });
      break;
    case "stop":
      tally.stop ??= res.error; // not sent; no outcome, so a later run sends it
      break;
    case "unsent":
      tally.again.push(m);
      if (res.why === "throttled") tally.throttled++;
      else if (res.why !== "not-attempted") {
        tally.failed++;
        health.last = res.error;
        if (res.why === "unreachable") tally.unreachable ??= res.error;
      }
      break;
    case "unknown":
      tally.failed++;
      health.last = res.error;
      out.uncertain.push({ id: m.id, error: res.error });
      break;
  }
}

/**
 * What the call says of the run's calls: the failure streak, probing, the pace (AIMD); returns a
 * stop reason when SES is unreachable or the streak reached FAILED_CALLS_TO_STOP.
 */
function judgeCall(calls: Calls, tally: CallTally, health: CallHealth): string | undefined {
  const { answered, throttled } = tally;
  if (!answered && !tally.failed && !throttled) {
    // Nothing made and nothing learnt (every entry "not attempted"): a failed call all the
    // same, or the loop would never end.
    tally.failed++;
    health.last = "the sender made no call";
  }
  const { failed } = tally;
  // Nothing ever reached SES and nothing listens there: a wrong endpoint, not a flaky network.
  if (tally.unreachable && !health.answered && answered === 0) return tally.unreachable;
  if (answered) health.answered = true;
  if (failed || throttled) {
    // A call answered in the same send breaks the row: this failure starts a new one.
    health.streak = answered ? 1 : health.streak + 1;
    if (!failed) health.last = "SES throttled the call (TooManyRequestsException)";
  } else health.streak = 0;
  health.probe = failed > 0;
  if (throttled || tally.slowDown) calls.bucket.throttled();
  else if (answered) calls.bucket.succeeded();
  if (health.streak < FAILED_CALLS_TO_STOP) return undefined;
  health.failedOut = true;
  return health.answered
    ? `SES send calls failed ${health.streak} times in a row (last: ${health.last}), so the run stopped`
    : `no SES send call got through: ${health.streak} failed in a row (last: ${health.last}), so the run stopped`;
}

/** Throttling is paced by the bucket; other failures and entry retries wait here. */
async function waitAfterCall(
  tally: CallTally,
  health: CallHealth,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  if (tally.failed) await sleep(backoff(health.streak));
  else if (tally.retried) await sleep(backoff(tally.retried));
  else if (tally.throttled && health.streak > 1) {
    const ms = backoff(health.streak - 1);
    health.backoffMs += ms;
    await sleep(ms);
  }
}

/** Exponential from BACKOFF_MS, capped, with half of it jittered so parallel senders spread out. */
function backoff(attempt: number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MS * 2 ** Math.max(0, attempt - 1));
  return base / 2 + Math.random() * (base / 2);
}
