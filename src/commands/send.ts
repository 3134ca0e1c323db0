/** `mailops send`: due campaigns (or one by name) to their audiences, exactly once per recipient. */
import { describeTooManyInvalid } from "../audience/index.js";
import type { Campaign, Project, Template } from "../config/model.js";
import { variantsContent } from "../config/variants.js";
import { MailopsError, UsageError } from "../errors.js";
import { canonicalJson, type LiveResource } from "../plan/resource.js";
import { dueState, sendAtKey } from "../send/due.js";
import { sentByEarlierRuns } from "../send/exclude-sent.js";
import { addressKeyVersion, Ledger, LedgerDamagedError, type RunId, runKey } from "../send/ledger.js";
import {
  type LocalGate,
  type LocalTimeCounts,
  localGate,
  localTimeCounts,
  localWindow,
} from "../send/local-time.js";
import { acquireLock, type Lease, LockedError, type LockHolder } from "../send/lock.js";
import { type MessageBuilder, messageBuilder } from "../send/message.js";
import { pacingFor, sendRate } from "../send/pacing.js";
import { ContentChangedError, type RunInput, type RunReport, runCampaign } from "../send/run.js";
import type { Missed, OccurrenceState } from "../send/schedule.js";
import { SECRET_ENV } from "../send/unsubscribe.js";
import { winnerStageDue } from "../send/variants.js";
import type { Store } from "../store/index.js";
import type { AccountFacts, Sender, Target } from "../targets/port.js";
import { type Clock, durationsOf } from "../util/clock.js";
import { createHash } from "../util/crypto.js";
import { type AudienceCounts, type CampaignAudience, openAudience } from "./audience.js";
import { campaignEnvelope, namedCampaign, runState, sourceFile, templateOnTarget } from "./campaigns.js";
import { lostStateBeforeSend, lostStateDetail, stateLostOkWarning } from "./lost-state.js";
import { describeMissed, recurringState, runInstant } from "./recurring.js";
import { type PreCount, type PreCounts, preCount, takePreCount } from "./send-precount.js";
import { describeAwaitingWinner, openVariants, type VariantSummary } from "./send-variants.js";
import { senderRefusal } from "./sender-check.js";
import type { Observer, Session } from "./session.js";

/** What to send, and how far to go; where, and by what time, is the session's. */
export interface SendOptions {
  campaign?: string;
  due?: boolean;
  resendUnknown?: boolean;
  allowPartial?: boolean;
  allowContentChange?: boolean;
  /** With `campaign`: send it although its send_at has not come (`--before-send-at`). */
  beforeSendAt?: boolean;
  /** Send although the state store appears lost (lost-state.ts): everyone not in the new ledger is sent again. */
  stateLostOk?: boolean;
}

export interface CampaignResult {
  campaign: string;
  /**
   * `under-way`: a run in each recipient's local time sent whom it could; others' time is to come.
   * `awaiting-winner`: an A/B run's test stage was sent and nothing was left of it to send; the rest
   * wait for the winner, picked at `variants.decideAt` or the first send after it.
   */
  state:
    | "sent"
    | "draft"
    | "scheduled"
    | "missed"
    | "complete"
    | "refused"
    | "stopped"
    | "partial"
    | "under-way"
    | "awaiting-winner";
  detail?: string;
  counts?: AudienceCounts;
  report?: RunReport;
  /** What the sender shows for the campaign (the local outbox's index.html). */
  outbox?: string;
  /** Sent by name before its send_at (this one), as asked: `--before-send-at`. */
  early?: string;
  /** A recurring campaign's run: the occurrence it sends (its run key's instant). */
  occurrence?: string;
  /** A recurring campaign's occurrences never sent since its last run (send/schedule.ts). */
  missed?: Missed;
  /** A newer occurrence that waits until this run, an earlier one's, completes. */
  waiting?: string;
  /** A recurring campaign's next occurrence after now. */
  next?: string;
  /** `scheduled`: an A/B run's winner stage, its detail the time the winner is picked. */
  winnerStage?: boolean;
  /** A campaign with variants: its stage, each variant's count, the winner once decided. */
  variants?: VariantSummary;
  /** A run in each recipient's local time: who was due, waits, was missed, at this send (send/local-time.ts). */
  localTime?: LocalTimeCounts;
}

export class SendRefusedError extends MailopsError {}

const ALREADY_COMPLETE =
  "already complete: every recipient has an outcome from an earlier run; nothing was sent";

const damaged = (campaign: string, e: LedgerDamagedError): CampaignResult => ({
  campaign,
  state: "refused",
  detail: e.withHint(),
});

/** Refused, stopped and partial runs fail the command (and the Action's job). */
export const sendFailed = (results: CampaignResult[]): boolean =>
  results.some((r) => r.state === "refused" || r.state === "stopped" || r.state === "partial");

export function assertChosen(options: SendOptions): void {
  if (!options.campaign && !options.due) throw new UsageError("say what to send: --due, or --campaign NAME");
}

export async function sendCampaigns(session: Session, options: SendOptions): Promise<CampaignResult[]> {
  assertChosen(options);
  const choice = options.campaign
    ? await chooseNamed(session, options.campaign, options)
    : await chooseDue(session);
  if (choice.chosen.length === 0) return choice.results;
  const refused = await lostStateGate(
    session,
    choice.chosen.map((x) => x.campaign),
    options,
  );
  if (refused) return [...choice.results, ...refused];
  return [...choice.results, ...(await sendUnderLock(session, choice, options))];
}

/** A run a send takes: a campaign and its run's send_at (a recurring campaign's occurrence). */
interface Chosen {
  campaign: Campaign;
  sendAt: string;
  /** Recurring: what its occurrence state said (the occurrence after it, what was missed). */
  occurrence?: Extract<OccurrenceState, { state: "due" }>;
}

/** The campaigns a send takes, and the results of those it passes over. */
interface Choice {
  chosen: Chosen[];
  results: CampaignResult[];
  /** The named campaign's send_at, when it is sent before it (`--before-send-at`). */
  early?: string;
  /** The named campaign's run was complete before this send. */
  wasComplete: boolean;
}

/** `--campaign NAME`: that one, refused before its send_at unless `--before-send-at`. */
async function chooseNamed(session: Session, name: string, options: SendOptions): Promise<Choice> {
  const c = namedCampaign(session.project, name);
  if (c.schedule) return chooseNamedRecurring(session, c, options);
  const now = session.now();
  const early = notBefore(c, now);
  if (early && c.sendAt?.kind === "local") {
    throw new SendRefusedError(
      `campaign \`${c.name}\` is sent at ${c.sendAt.local} in each recipient's time zone, which comes first at ${early}: nothing was sent`,
      `nobody is sent before their local time; to see it now, send a proof: mailops send --campaign ${c.name} --proof-to ADDRESS`,
    );
  }
  if (early && !options.beforeSendAt) {
    // Naming a campaign is how a missed one is sent late; early needs its own word.
    throw new SendRefusedError(
      `campaign \`${c.name}\` is scheduled for ${early}, which has not come: nothing was sent`,
      "wait for it (a send --due run then sends it), or pass --before-send-at to send it now",
    );
  }
  // Sending a complete run again sends nothing new: its result says so rather than "sent 0".
  const wasComplete = await runState(session.store(), c).then(
    (run) => run.complete,
    (e) => {
      if (e instanceof LedgerDamagedError) return false;
      throw e;
    },
  );
  return {
    chosen: [{ campaign: c, sendAt: sendAtKey(c) }],
    results: [],
    wasComplete,
    ...(early ? { early } : {}),
  };
}

/** The campaign's send_at when it has not come (for a local time: the first zone's), else undefined. */
function notBefore(c: Campaign, now: Date): string | undefined {
  const at = c.sendAt;
  const from = at?.kind === "at" ? at.epochMs : at?.kind === "local" ? localWindow(at).from : undefined;
  return from !== undefined && from > now.getTime() ? new Date(from).toISOString() : undefined;
}

/**
 * `--campaign NAME` of a recurring campaign: what `--due` takes of it. Its occurrences go out at
 * their time and never late, so a name sends no other: nothing due is refused, saying when next.
 */
async function chooseNamedRecurring(session: Session, c: Campaign, options: SendOptions): Promise<Choice> {
  if (options.beforeSendAt) {
    throw new SendRefusedError(
      `campaign \`${c.name}\` is recurring: each occurrence is sent at its time, never before`,
      `to see it now, send a proof: mailops send --campaign ${c.name} --proof-to ADDRESS`,
    );
  }
  const st = await recurringState(session.project, c, session.store(), session.now());
  if (st.state === "due") return { chosen: [chosenOccurrence(c, st)], results: [], wasComplete: false };
  if (st.state === "complete") return { chosen: [], results: [recurringResult(c, st)], wasComplete: true };
  const next = st.state === "missed" ? st.next : st.at;
  throw new SendRefusedError(
    st.state === "missed"
      ? `campaign \`${c.name}\`: ${describeMissed(st.missed)}; a recurring campaign never sends an occurrence late, and nothing was sent`
      : `campaign \`${c.name}\`'s next occurrence, ${st.at}, has not come: nothing was sent`,
    next ? `its next occurrence, ${next}, is sent by the send run at that time` : "its schedule has ended",
  );
}

const chosenOccurrence = (c: Campaign, st: Extract<OccurrenceState, { state: "due" }>): Chosen => ({
  campaign: c,
  sendAt: st.at,
  occurrence: st,
});

/** A recurring campaign's result when no occurrence is due: scheduled (next), missed, complete. */
function recurringResult(c: Campaign, st: Exclude<OccurrenceState, { state: "due" }>): CampaignResult {
  const missed = st.missed.count ? { missed: st.missed } : {};
  if (st.state === "complete")
    return {
      campaign: c.name,
      state: "complete",
      detail: "its schedule has ended: every occurrence ran or was missed",
      ...missed,
    };
  if (st.state === "scheduled")
    return { campaign: c.name, state: "scheduled", detail: st.at, next: st.at, ...missed };
  return {
    campaign: c.name,
    state: "missed",
    detail: st.at,
    ...(st.next ? { next: st.next } : {}),
    ...missed,
  };
}

/** `--due`: every campaign whose time has come, by name; the others say why not. */
async function chooseDue(session: Session): Promise<Choice> {
  const { project } = session;
  const now = session.now();
  const choice: Choice = { chosen: [], results: [], wasComplete: false };
  for (const c of [...project.campaigns.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    let run: Awaited<ReturnType<typeof runState>>;
    try {
      if (c.schedule) {
        const st = await recurringState(project, c, session.store(), now);
        if (st.state === "due") choice.chosen.push(chosenOccurrence(c, st));
        else if (!(st.state === "missed" && c.missedAcknowledged))
          choice.results.push(recurringResult(c, st));
        continue;
      }
      run = await runState(session.store(), c);
    } catch (e) {
      // A damaged ledger refuses its own campaign; the others go on.
      if (!(e instanceof LedgerDamagedError)) throw e;
      choice.results.push(damaged(c.name, e));
      continue;
    }
    const winner = await winnerStageDue(
      session.store(),
      c,
      runKey({ campaign: c.name, sendAt: sendAtKey(c) }),
      run.complete,
      now,
    );
    const due = winner ?? dueState(c, run, now, project.settings.guardrails.maxLatenessSeconds);
    // `missed: acknowledged`: known, and no longer reported on every run.
    if (due.state === "missed" && c.missedAcknowledged) continue;
    if (due.state === "due") choice.chosen.push({ campaign: c, sendAt: sendAtKey(c) });
    else
      choice.results.push({
        campaign: c.name,
        state: due.state,
        detail: "at" in due ? due.at : undefined,
        ...(winner ? { winnerStage: true } : {}),
      });
  }
  return choice;
}

/** Before the lock and any run: a lost store would have every recipient sent again. */
async function lostStateGate(
  session: Session,
  chosen: Campaign[],
  options: SendOptions,
): Promise<CampaignResult[] | undefined> {
  const target = await session.target();
  const lost = await lostStateBeforeSend(session.project, target, session.store(), chosen, session.now());
  if (!lost) return undefined;
  if (!options.stateLostOk) {
    const detail = lostStateDetail(lost);
    return chosen.map((c): CampaignResult => ({ campaign: c.name, state: "refused", detail }));
  }
  session.observe({ kind: "warning", text: stateLostOkWarning(lost) });
  return undefined;
}

/** One lock for all the chosen campaigns; a stopped run stops the ones after it. */
async function sendUnderLock(
  session: Session,
  choice: Choice,
  options: SendOptions,
): Promise<CampaignResult[]> {
  const { clock } = session;
  const target = await session.target();
  const store = session.store();
  const results: CampaignResult[] = [];
  const lease = await acquireLock(store, { command: "send", now: clock.now, sleep: clock.sleep });
  lease.keepAlive();
  try {
    const sender = target.sender();
    const w: Wiring = {
      target,
      sender,
      store,
      lease,
      options,
      clock,
      observe: session.observe,
      judgedAt: session.now(),
    };
    // Several campaigns over one source: one count of it for all, before the first send.
    if (choice.chosen.length > 1)
      w.preCounts = await preCount(
        session.project,
        choice.chosen.map((x) => x.campaign),
        target,
      );
    for (const before of choice.chosen) {
      const chosen = await chosenUnderLock(session, before);
      if ("state" in chosen) {
        results.push(chosen);
        continue;
      }
      results.push(...(await sendOccurrences(session.project, chosen, choice, w)));
      if (results.at(-1)?.state === "stopped") break;
    }
  } finally {
    await lease.release();
  }
  return results;
}

/**
 * A recurring campaign's occurrence, chosen again now that the lock is held: the choice was made
 * from the store before it, and another send may have run that occurrence, or started a newer
 * one, while this one waited (one occurrence in flight, none run twice). A one-off run needs no
 * second look: its ledger sends nobody twice, and a complete run sends only who joined since.
 */
async function chosenUnderLock(session: Session, chosen: Chosen): Promise<Chosen | CampaignResult> {
  const c = chosen.campaign;
  if (!c.schedule) return chosen;
  try {
    const st = await recurringState(session.project, c, session.store(), session.now());
    return st.state === "due" ? chosenOccurrence(c, st) : recurringResult(c, st);
  } catch (e) {
    if (!(e instanceof LedgerDamagedError)) throw e;
    return damaged(c.name, e);
  }
}

/**
 * A chosen run; for a recurring campaign that resumed an earlier occurrence, then the newer one
 * due after it, only once the earlier run completed (one occurrence in flight at a time).
 */
async function sendOccurrences(
  project: Project,
  chosen: Chosen,
  choice: Choice,
  w: Wiring,
): Promise<CampaignResult[]> {
  const first = withOccurrence(await sendChosen(project, chosen, choice, w), chosen);
  const newerAt = chosen.occurrence?.newer;
  if (!newerAt) return [first];
  if (first.state !== "sent" && first.state !== "complete") return [{ ...first, waiting: newerAt }];
  const newer: Chosen = { campaign: chosen.campaign, sendAt: newerAt };
  return [first, withOccurrence(await sendChosen(project, newer, choice, w), newer)];
}

/** A recurring run's result names its occurrence, and (the first) what was missed before it. */
function withOccurrence(r: CampaignResult, chosen: Chosen): CampaignResult {
  if (!chosen.campaign.schedule) return r;
  const o = chosen.occurrence;
  return {
    ...r,
    occurrence: chosen.sendAt,
    ...(o?.missed.count ? { missed: o.missed } : {}),
    ...(o?.next ? { next: o.next } : {}),
  };
}

async function sendChosen(
  project: Project,
  chosen: Chosen,
  choice: Choice,
  w: Wiring,
): Promise<CampaignResult> {
  const c = chosen.campaign;
  try {
    const result = await sendOne(project, c, chosen.sendAt, w);
    const idle = result.state === "sent" && result.report?.sent === 0 && result.report.failed === 0;
    if (choice.wasComplete && idle) return nothingNew(result);
    return choice.early && result.report ? { ...result, early: choice.early } : result;
  } catch (e) {
    if (!(e instanceof LedgerDamagedError)) throw e;
    return damaged(c.name, e);
  }
}

/**
 * A named run that had nothing left to send: complete, unless it is an A/B test stage, whose held
 * recipients still wait for the winner stage.
 */
function nothingNew(result: CampaignResult): CampaignResult {
  const v = result.variants;
  if (v?.stage === "test")
    return { ...result, state: "awaiting-winner", detail: describeAwaitingWinner(result.campaign, v) };
  return { ...result, state: "complete", detail: ALREADY_COMPLETE };
}

interface Wiring {
  target: Target;
  sender: Sender;
  store: Store;
  lease: Lease;
  options: SendOptions;
  clock: Clock;
  observe: Observer;
  /** The time the send judges by (`--now` when pinned): who is due in a local-time run. */
  judgedAt: Date;
  /** Counts of the campaigns that share a source, taken before the first send (send-precount.ts). */
  preCounts?: PreCounts;
}

async function sendOne(
  project: Project,
  campaign: Campaign,
  sendAt: string,
  w: Wiring,
): Promise<CampaignResult> {
  const onTarget = await templateGuard(project, campaign, w.target);
  if ("state" in onTarget) return onTarget;
  const { template, live } = onTarget;
  const local = localGateOf(project, campaign, w);
  const id: RunId = { campaign: campaign.name, sendAt };
  const ab = campaign.variants ? await variantsOf(project, campaign, id, w) : undefined;
  if (ab && "refused" in ab) return refusal(campaign, ab.refused);
  const messages = ab?.messages ?? messageBuilder(project, campaign, template, process.env[SECRET_ENV]);
  const at = runInstant(sendAt, new Date(w.clock.now()));
  const sent = await sentByEarlierRuns(w.store, project.settings.project, campaign, id, at);
  const audience = await openAudience(project, campaign, w.target, sent);
  const ledger = new Ledger(w.store, id, w.lease.token);
  const otherSpellings = await spellingsToCollect(ledger);
  const counted = await countGuard(
    project,
    campaign,
    audience,
    local?.counting(messages) ?? messages,
    otherSpellings,
    await takePreCount(w.preCounts, project, campaign),
  );
  if ("state" in counted) return counted;
  const { counts } = counted;
  const variants = ab?.summary(counts);
  const envelope = campaignEnvelope(project, campaign);
  const account = await w.target.account();
  const refused = await quotaGuard(project, envelope.from, account, counts, w);
  if (refused) return { campaign: campaign.name, state: "refused", counts, detail: refused };
  const result = await sendRun(project, campaign, w, {
    id,
    counts,
    ...(local ? { local } : {}),
    input: {
      project: project.settings.project,
      id,
      contentDigest: contentDigest(campaign, live.spec, envelope.from),
      recipients: () => {
        const due = local ? local.recipients(audience.recipients()) : audience.recipients();
        return ab ? ab.recipients(due) : due;
      },
      messages: local?.sending(messages) ?? messages,
      ...(local ? { waiting: local.waiting } : {}),
      // The envelope preview builds its message from too (commands/campaigns.ts).
      request: { campaign: campaign.name, run: runKey(id), template: template.name, ...envelope },
      sender: ab ? ab.sender(w.sender) : w.sender,
      ledger,
      ...(otherSpellings ? { otherSpellings } : {}),
    },
    rate: sendRate(w.target.capabilities.sendRate, account, project.settings.localRate),
  });
  return ab && variants ? { ...result, variants: { ...variants, sent: ab.sent() } } : result;
}

/**
 * A campaign's variants for this run: its stage decided and recorded (send/variants.ts), by the
 * time the send judges by, as `--due` chose it (`--now` when pinned): the test's start and its
 * `decide_after` on one clock.
 */
const variantsOf = (project: Project, campaign: Campaign, id: RunId, w: Wiring) =>
  openVariants(project, campaign, runKey(id), {
    store: w.store,
    target: w.target,
    now: w.judgedAt,
    secret: process.env[SECRET_ENV],
    sending: true,
  });

/**
 * A run in each recipient's local time (send/local-time.ts), judged at this send's time;
 * max_lateness per recipient, but not for a send by name (the deliberate late send).
 */
function localGateOf(project: Project, campaign: Campaign, w: Wiring): LocalGate | undefined {
  if (campaign.sendAt?.kind !== "local") return undefined;
  const lateness = w.options.campaign ? undefined : project.settings.guardrails.maxLatenessSeconds * 1000;
  return localGate(campaign.sendAt, w.judgedAt, lateness);
}

const refusal = (campaign: Campaign, detail: string, counts?: AudienceCounts): CampaignResult => ({
  campaign: campaign.name,
  state: "refused",
  ...(counts ? { counts } : {}),
  detail,
});

/** Sending needs the target's template to be the repository's (a forecast does not: send-forecast.ts). */
async function templateGuard(
  project: Project,
  campaign: Campaign,
  target: Target,
): Promise<CampaignResult | { template: Template; live: LiveResource }> {
  const template = project.templates.get(campaign.template ?? "");
  if (!template)
    throw new UsageError(`campaign ${campaign.name}: template ${campaign.template} does not exist`);
  const { state, live } = await templateOnTarget(template, target);
  if (state === "same" && live) return { template, live };
  return refusal(
    campaign,
    live
      ? `template ${template.name} on the ${target.name} target differs from the repository; run \`mailops apply\` first (deploy does both)`
      : `template ${template.name} does not exist on the ${target.name} target yet; run \`mailops apply\` first (deploy does both)`,
  );
}

/**
 * A run started under address key version 1 may know a person by a spelling the new key drops as
 * a duplicate: those spellings are collected on the way (ledger.ts, "Address key versions").
 */
async function spellingsToCollect(ledger: Ledger): Promise<Map<string, string[]> | undefined> {
  const started = await ledger.readRun();
  return started && addressKeyVersion(started) === 1 ? new Map<string, string[]>() : undefined;
}

/**
 * Pass 1: count, so damaged sources, invalid rows and max_recipients are checked before anything
 * is sent. A source that cannot be read refuses this campaign only. A shared count taken before
 * the first send (`shared`) stands for it, but not where the count collects spellings as it goes.
 */
async function countGuard(
  project: Project,
  campaign: Campaign,
  audience: CampaignAudience,
  messages: MessageBuilder,
  otherSpellings: Map<string, string[]> | undefined,
  shared: PreCount | undefined,
): Promise<CampaignResult | { counts: AudienceCounts }> {
  const collect = otherSpellings
    ? (address: string, key: string) => {
        const list = otherSpellings.get(key);
        if (list) list.push(address);
        else otherSpellings.set(key, [address]);
      }
    : undefined;
  let counts: AudienceCounts;
  try {
    counts = shared && !collect ? audience.adopt(shared) : await audience.count(messages, collect);
  } catch (e) {
    if (!(e instanceof MailopsError)) throw e;
    return refusal(campaign, e.withHint());
  }
  if (counts.invalidRows.over) {
    const detail = describeTooManyInvalid(
      counts.invalidRows,
      project.settings.guardrails.maxInvalidRows,
      audience.stats().invalidSamples,
      (name) => sourceFile(project, name),
      true,
    );
    return refusal(campaign, detail, counts);
  }
  if (campaign.maxRecipients !== undefined && counts.toSend > campaign.maxRecipients) {
    return refusal(
      campaign,
      `${counts.toSend} recipients exceed max_recipients ${campaign.maxRecipients}`,
      counts,
    );
  }
  return { counts };
}

/** Why the sender cannot send (identity, account), or the audience does not fit the 24-hour quota. */
async function quotaGuard(
  project: Project,
  from: string,
  account: AccountFacts,
  counts: AudienceCounts,
  w: Wiring,
): Promise<string | undefined> {
  const cannot = await senderRefusal(w.target, project, from, account);
  if (cannot) return cannot;
  const left =
    account.max24HourSend === undefined
      ? Number.POSITIVE_INFINITY
      : account.max24HourSend - account.sentLast24Hours;
  if (counts.toSend > left && !w.options.allowPartial) {
    return `${counts.toSend} recipients do not fit the ${Math.max(0, left)} left of the 24-hour sending quota; pass --allow-partial to send what fits now and the rest later`;
  }
  return undefined;
}

interface RunSetup {
  id: RunId;
  counts: AudienceCounts;
  /** The run's input but for pacing and options, which the run adds. */
  input: Omit<RunInput, "bucket" | "lease" | "options">;
  /** Messages a second. */
  rate: number;
  /** A run in each recipient's local time: its counts go into the result. */
  local?: LocalGate;
}

/** Pass 2: the run itself, paced, its progress told; its report becomes the campaign's result. */
async function sendRun(
  project: Project,
  campaign: Campaign,
  w: Wiring,
  r: RunSetup,
): Promise<CampaignResult> {
  const told = { campaign: campaign.name };
  w.observe({ kind: "send-started", ...told, total: r.counts.toSend });
  // Pacing measures durations by the clock's monotonic reading: a step of the wall clock neither
  // bursts nor stalls sending.
  const clock = durationsOf(w.clock);
  let report: RunReport;
  try {
    report = await runCampaign({
      ...r.input,
      ...pacingFor(r.rate, clock),
      lease: w.lease,
      options: {
        resendUnknown: w.options.resendUnknown ?? false,
        allowContentChange: w.options.allowContentChange ?? false,
        stopOn: project.settings.guardrails.stopOn,
        now: () => new Date(w.clock.now()),
        sleep: clock.sleep,
        progress: (done) => w.observe({ kind: "send-progress", ...told, done }),
      },
    });
  } catch (e) {
    w.observe({ kind: "send-finished", ...told });
    // One campaign's changed content must not stop the others in a --due run.
    if (e instanceof ContentChangedError) return refusal(campaign, e.withHint(), r.counts);
    throw e;
  }
  w.observe({ kind: "send-finished", ...told });
  const index = w.sender.finish?.(campaign.name);
  // Not complete only because some recipients' local time is to come: under way, not partial.
  const underWay = report.waiting && report.unknown === report.ambiguous;
  return {
    campaign: campaign.name,
    state: report.stopped ? "stopped" : report.complete ? "sent" : underWay ? "under-way" : "partial",
    counts: r.counts,
    ...(r.local && campaign.sendAt?.kind === "local"
      ? { localTime: localTimeCounts(campaign.sendAt, r.local.tally, report) }
      : {}),
    report,
    detail: report.stopped ?? (index ? `outbox: ${index}` : undefined),
    ...(index ? { outbox: index } : {}),
  };
}

/** What a run promises its recipients: template content, data, sender. A change mid-run is refused. */
function contentDigest(campaign: Campaign, template: object, from: string): string {
  return createHash("sha256")
    .update(
      canonicalJson({
        template,
        data: campaign.data,
        ...(campaign.variants ? { variants: variantsContent(campaign.variants) } : {}),
        from,
        topic: campaign.topic ?? null,
        tags: campaign.tags,
      }),
    )
    .digest("hex");
}

/** Another run holds the send lock (send/lock.ts): nothing was sent; who holds it, and since when. */
export interface HeldLock {
  message: string;
  hint?: string;
  holder?: LockHolder;
}

/** A send's report: each campaign's result, or the lock another run holds (then no results). */
export interface SendReport {
  results: CampaignResult[];
  locked?: HeldLock;
}

/** `sendCampaigns`, with a held lock as the report's state rather than an error for each caller to catch. */
export async function sendUnlessLocked(session: Session, options: SendOptions): Promise<SendReport> {
  try {
    return { results: await sendCampaigns(session, options) };
  } catch (e) {
    if (!(e instanceof LockedError)) throw e;
    return {
      results: [],
      locked: {
        message: e.message,
        ...(e.hint ? { hint: e.hint } : {}),
        ...(e.holder ? { holder: e.holder } : {}),
      },
    };
  }
}

/** A held lock as the error the command line ends with (message, hint, exit code). */
export function lockedError(lock: HeldLock): MailopsError {
  const error = new LockedError(lock.message, lock.hint);
  if (lock.holder) error.holder = lock.holder;
  return error;
}

export function parseNow(text: string): Date {
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new UsageError(`--now ${text} is not a date-time`, "write e.g. 2026-12-01T09:00:00Z");
  return new Date(t);
}
