/**
 * A/B variants while sending: who gets which variant, the stage a run is in, and the winner rule.
 *
 * Assignment: two numbers in [0, 1) from SHA-256 of the campaign, the run key and the recipient's
 * address key (util/email.ts normalizeAddress). The first says whether a recipient is in the
 * test share, the second picks a variant by the shares. Nothing else enters: a resumed, repeated
 * or re-counted run assigns everyone the same way, and a recipient in the test share keeps their
 * variant in the winner stage.
 *
 * Stages (a campaign with `test:`): the first send of a run records its start
 * (`variants/<campaign>/<run>.json`) and sends the test share only; the others are held, neither
 * sent nor recorded in the ledger. Once `decide_after` has passed, the next send decides the
 * winner, records the decision once (never changed after), and sends it to the rest, in the same
 * ledger run: whoever the test reached is already recorded there and is not sent again.
 *
 * The winner rule (decideWinner): the highest rate (clicks or opens per delivered message) wins;
 * a variant whose metrics are missing (none delivered, or none readable) ranks below every
 * variant with a rate; between equals, the variant listed first wins. With no rate at all the
 * first variant listed wins. Never a random pick.
 */
import type { Campaign } from "../config/model.js";
import type { Variant, WinnerMetric } from "../config/variants.js";
import { VARIANT_TAG } from "../config/variants.js";
import type { Store } from "../store/index.js";
import type { CampaignMetrics, EntryResult, Sender, SendRequest } from "../targets/port.js";
import { createHash } from "../util/crypto.js";
import { normalizeAddress } from "../util/email.js";
import type { MessageBuilder, MessageRecipient, Prepared } from "./message.js";

export type Stage = { kind: "all" } | { kind: "test" } | { kind: "winner"; winner: string };

/** The reason a count gives recipients held back for the winner stage (never a ledger skip). */
export const HELD = "held for the winner stage";

/** Who gets which variant in one run: undefined for a recipient held for the winner stage. */
export class Assigner {
  private readonly total: number;
  constructor(
    private readonly campaign: string,
    private readonly run: string,
    private readonly variants: readonly Pick<Variant, "name" | "share">[],
    private readonly stage: Stage,
    /** Percent of the audience in the test share (with `test:`). */
    private readonly testShare = 100,
  ) {
    this.total = variants.reduce((a, v) => a + v.share, 0);
  }

  assign(key: string): string | undefined {
    const h = createHash("sha256").update(`${this.campaign}\0${this.run}\0${key}`).digest();
    const inTest = h.readUInt32BE(0) / 2 ** 32 < this.testShare / 100;
    if (this.stage.kind === "winner" && !inTest) return this.stage.winner;
    if (this.stage.kind === "test" && !inTest) return undefined;
    const u = h.readUInt32BE(4) / 2 ** 32;
    let acc = 0;
    for (const v of this.variants) {
      acc += v.share / this.total;
      if (u < acc) return v.name;
    }
    return this.variants.at(-1)?.name;
  }
}

/** Each recipient's data from their variant's builder; counts what it prepared, by variant. */
export class VariantMessages implements MessageBuilder {
  readonly prepared = new Map<string, number>();
  constructor(
    private readonly assigner: Assigner,
    private readonly builders: ReadonlyMap<string, MessageBuilder>,
  ) {}

  prepare(r: MessageRecipient): Prepared {
    const v = this.assigner.assign(r.key);
    if (v === undefined) return { ok: false, reason: HELD };
    const p = (this.builders.get(v) as MessageBuilder).prepare(r);
    if (p.ok) this.prepared.set(v, (this.prepared.get(v) ?? 0) + 1);
    return p;
  }

  /** prepare()'s verdict without the data, counted the same way (a count's render check). */
  skipReason(r: MessageRecipient): string | undefined {
    const v = this.assigner.assign(r.key);
    if (v === undefined) return HELD;
    const why = (this.builders.get(v) as MessageBuilder).skipReason(r);
    if (why === undefined) this.prepared.set(v, (this.prepared.get(v) ?? 0) + 1);
    return why;
  }
}

/** The run's recipients without those held for the winner stage: they stay unrecorded. */
export async function* assignedOnly<R extends { key: string }>(
  recipients: AsyncIterable<R>,
  assigner: Assigner,
): AsyncIterable<R> {
  for await (const r of recipients) if (assigner.assign(r.key) !== undefined) yield r;
}

/**
 * A sender that sends each message as its variant: its SES template and a `variant` message
 * tag. A call's messages are split by variant (one call each), their results put back in order.
 */
export function variantSender(
  inner: Sender,
  assigner: Assigner,
  templates: ReadonlyMap<string, string>,
): { sender: Sender; sent: Map<string, number> } {
  const sent = new Map<string, number>();
  const send = async (request: SendRequest): Promise<EntryResult[]> => {
    const groups = new Map<string, number[]>();
    request.messages.forEach((m, i) => {
      const v = assigner.assign(normalizeAddress(m.to)) as string;
      const g = groups.get(v);
      if (g) g.push(i);
      else groups.set(v, [i]);
    });
    const out: EntryResult[] = new Array(request.messages.length);
    for (const [v, idx] of groups) {
      const results = await inner.send({
        ...request,
        template: templates.get(v) as string,
        tags: { ...request.tags, [VARIANT_TAG]: v },
        messages: idx.map((i) => request.messages[i] as SendRequest["messages"][number]),
      });
      idx.forEach((i, k) => {
        out[i] = results[k] as EntryResult;
      });
      sent.set(v, (sent.get(v) ?? 0) + results.filter((r) => r.status === "sent").length);
    }
    return out;
  };
  const sender: Sender = { send };
  if (inner.wasDelivered) sender.wasDelivered = inner.wasDelivered.bind(inner);
  if (inner.rates) sender.rates = inner.rates.bind(inner);
  if (inner.campaignMetrics) sender.campaignMetrics = inner.campaignMetrics.bind(inner);
  if (inner.finish) sender.finish = inner.finish.bind(inner);
  return { sender, sent };
}

/** What a variants run records in the store: when its test started, and the decision once made. */
export interface StageRecord {
  version: 1;
  testStartedAt: string;
  decision?: Decision;
}

export interface VariantRate {
  variant: string;
  delivered: number;
  /** Clicks or opens, by the test's metric. */
  events: number;
  /** events / delivered; absent when nothing was delivered or the metrics could not be read. */
  rate?: number;
}

export interface Decision {
  winner: string;
  by: WinnerMetric;
  decidedAt: string;
  why: string;
  rates: VariantRate[];
}

const pct = (r: number) => `${(r * 100).toFixed(1)}%`;
const describeRate = (r: VariantRate, event: string) =>
  r.rate === undefined
    ? `\`${r.variant}\` no metrics`
    : `\`${r.variant}\` ${pct(r.rate)} (${r.events} ${event}s of ${r.delivered} delivered)`;

/** The winner rule (see the header): pure, and the same answer for the same metrics. */
export function decideWinner(
  order: readonly string[],
  by: WinnerMetric,
  metrics: ReadonlyMap<string, CampaignMetrics | undefined>,
  decidedAt: Date,
): Decision {
  const event = by === "click_rate" ? "click" : "open";
  const rates: VariantRate[] = order.map((variant) => {
    const m = metrics.get(variant);
    const delivered = m?.delivered ?? 0;
    const events = m ? (by === "click_rate" ? m.clicked : m.opened) : 0;
    return { variant, delivered, events, ...(m && delivered > 0 ? { rate: events / delivered } : {}) };
  });
  const rated = rates.filter((r) => r.rate !== undefined);
  const all = rates.map((r) => describeRate(r, event)).join(", ");
  const base = { by, decidedAt: decidedAt.toISOString(), rates };
  const first = order[0] as string;
  if (!rated.length)
    return {
      ...base,
      winner: first,
      why: `no ${event} rate could be read for any variant (${all}): the first variant listed, \`${first}\`, wins`,
    };
  const best = Math.max(...rated.map((r) => r.rate as number));
  const tied = rated.filter((r) => r.rate === best).map((r) => r.variant);
  const winner = tied[0] as string;
  const why =
    tied.length > 1
      ? `a tie at ${pct(best)} ${event} rate between ${tied.map((t) => `\`${t}\``).join(", ")}: the one listed first, \`${winner}\`, wins (${all})`
      : `the highest ${event} rate: ${all}`;
  return { ...base, winner, why };
}

export const stageKey = (campaign: string, run: string) => `variants/${campaign}/${run}.json`;

export async function readStage(
  store: Store,
  campaign: string,
  run: string,
): Promise<StageRecord | undefined> {
  const got = await store.get(stageKey(campaign, run));
  return got ? (JSON.parse(got.body) as StageRecord) : undefined;
}

/**
 * The stage this send of a run is in; it records the test's start and the decision as it goes
 * (under the send lock). `metrics` reads one variant's metrics since the test started.
 */
export async function stageFor(
  store: Store,
  campaign: Campaign,
  run: string,
  now: Date,
  metrics: (variant: string, since: Date) => Promise<CampaignMetrics | undefined>,
  /** False for a forecast: the stage as a send now would find it, nothing recorded. */
  write = true,
): Promise<{ stage: Stage; record?: StageRecord; decideAt?: string }> {
  const test = campaign.variants?.test;
  if (!test) return { stage: { kind: "all" } };
  const key = stageKey(campaign.name, run);
  let record = await readStage(store, campaign.name, run);
  if (!record) {
    const fresh: StageRecord = { version: 1, testStartedAt: now.toISOString() };
    if (!write) return { stage: { kind: "test" } };
    await store.putIfAbsent(key, JSON.stringify(fresh));
    record = (await readStage(store, campaign.name, run)) as StageRecord;
  }
  const started = new Date(record.testStartedAt);
  const decideAt = new Date(started.getTime() + test.decideAfterSeconds * 1000).toISOString();
  if (record.decision) return { stage: { kind: "winner", winner: record.decision.winner }, record, decideAt };
  if (now.toISOString() < decideAt) return { stage: { kind: "test" }, record, decideAt };
  const names = (campaign.variants?.list ?? []).map((v) => v.name);
  const read = new Map<string, CampaignMetrics | undefined>();
  for (const v of names) read.set(v, await metrics(v, started));
  const decided: StageRecord = { ...record, decision: decideWinner(names, test.by, read, now) };
  if (write) await store.put(key, JSON.stringify(decided));
  return { stage: { kind: "winner", winner: decided.decision?.winner as string }, record: decided, decideAt };
}

/**
 * For `send --due`: a test run whose ledger run is complete waits for its winner stage, which is
 * due once `decide_after` has passed; undefined when the campaign has no stage to wait for.
 */
export async function winnerStageDue(
  store: Store,
  campaign: Campaign,
  run: string,
  complete: boolean,
  now: Date,
): Promise<{ state: "due" } | { state: "scheduled"; at: string } | undefined> {
  const test = campaign.variants?.test;
  if (!test || !complete) return undefined;
  const record = await readStage(store, campaign.name, run);
  if (!record || record.decision) return undefined;
  const at = new Date(Date.parse(record.testStartedAt) + test.decideAfterSeconds * 1000);
  return now.getTime() >= at.getTime() ? { state: "due" } : { state: "scheduled", at: at.toISOString() };
}
