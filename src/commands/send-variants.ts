/**
 * A campaign's A/B variants, wired for a send and its forecast: each variant's template (checked
 * on the target for a send), its message builder, the run's stage (send/variants.ts), and what the
 * report shows of it. The assignment and the winner rule are send/variants.ts.
 */
import type { Recipient } from "../audience/index.js";
import type { Campaign, Project, Template } from "../config/model.js";
import { variantCampaign, variantTemplate, type WinnerMetric } from "../config/variants.js";
import { MailopsError, UsageError } from "../errors.js";
import { campaignDimension } from "../plan/desired.js";
import { type RunStatus, sendAtKey } from "../send/due.js";
import { runKey } from "../send/ledger.js";
import { messageBuilder } from "../send/message.js";
import {
  Assigner,
  assignedOnly,
  type Decision,
  HELD,
  readStage,
  stageFor,
  VariantMessages,
  variantSender,
  winnerStageDue,
} from "../send/variants.js";
import type { Store } from "../store/index.js";
import type { CampaignMetrics, Sender, Target } from "../targets/port.js";
import type { AudienceCounts } from "./audience.js";
import { templateOnTarget } from "./campaigns.js";

/** What a send or forecast shows of a campaign's variants. */
export interface VariantSummary {
  /** `all`: no test, every recipient gets a variant; `test`: the test share only; `winner`: the rest get the winner. */
  stage: "all" | "test" | "winner";
  /** Recipients this stage sends each variant to (as counted; the rest are skipped or done). */
  counts: Record<string, number>;
  /** Recipients held for the winner stage (test stage only). */
  held: number;
  /** When the winner is picked (a campaign with `test:`). */
  decideAt?: string;
  /** The winner and why, once decided (a forecast past `decide_after`: what it would pick now). */
  decision?: Decision;
  /** What this send sent of each variant. */
  sent?: Record<string, number>;
  /** With `test:`: its share of the audience (percent) and what picks the winner. */
  test?: { share: number; by: WinnerMetric };
}

const n = (x: number) => x.toLocaleString("en-US");
const byVariant = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([v, c]) => `${v} ${n(c)}`)
    .join(", ");
const metricName = (by: WinnerMetric) => (by === "click_rate" ? "click rate" : "open rate");

/** The variants as lines of the send report and the dry run (counts only). */
export function formatVariants(v: VariantSummary): string[] {
  const lines: string[] = [];
  if (v.stage === "all") lines.push(`  variants: ${byVariant(v.counts)}`);
  else if (v.stage === "test") {
    const by = v.test ? `, picked by ${metricName(v.test.by)}` : "";
    const at = v.decideAt ? ` at ${v.decideAt} or the first send after` : " once the test has run";
    lines.push(
      `  variants, test stage (${v.test?.share ?? "?"}% of the audience): ${byVariant(v.counts)}; ${n(v.held)} held for the winner${by}${at}`,
    );
  } else {
    lines.push(
      `  variants, winner stage: ${byVariant(v.counts)} (whoever the test reached is not sent again)`,
    );
  }
  if (v.decision) lines.push(`  winner ${v.decision.winner}: ${v.decision.why}`);
  if (v.sent && Object.keys(v.sent).length) lines.push(`  sent by variant: ${byVariant(v.sent)}`);
  return lines;
}

/** A test stage sent, nothing of it left: who waits for the winner, and when it is picked. */
export function describeAwaitingWinner(campaign: string, v: VariantSummary): string {
  const who = `${n(v.held)} recipient${v.held === 1 ? "" : "s"} wait${v.held === 1 ? "s" : ""}`;
  const when = v.decideAt ? ` at ${v.decideAt} or later` : "";
  return `the test stage was sent; ${who} for the winner, picked${when} by the next \`send --due\` or \`send --campaign ${campaign}\`, which sends it to them`;
}

export interface OpenedVariants {
  messages: VariantMessages;
  recipients(all: AsyncIterable<Recipient>): AsyncIterable<Recipient>;
  sender(inner: Sender): Sender;
  /** The summary right after the count; takes the held recipients out of the count's skipped. */
  summary(counts: AudienceCounts): VariantSummary;
  /** What the sender sent of each variant. */
  sent(): Record<string, number>;
}

export interface VariantsSeen {
  store?: Store;
  target: Target;
  now: Date;
  secret: string | undefined;
  /** A send: templates must be on the target, and the stage is recorded. */
  sending: boolean;
}

/** The variants of a campaign's run `run` (its run key), or why a send refuses it. */
export async function openVariants(
  project: Project,
  campaign: Campaign,
  run: string,
  o: VariantsSeen,
): Promise<OpenedVariants | { refused: string }> {
  const list = campaign.variants?.list ?? [];
  const test = campaign.variants?.test;
  const builders = new Map();
  const templates = new Map<string, string>();
  for (const v of list) {
    const template = variantTemplate(campaign, v, project.templates);
    if (!template)
      throw new UsageError(`campaign ${campaign.name}: variant ${v.name}'s template does not exist`);
    if (o.sending) {
      const refused = await templateRefusal(template, v.name, o.target);
      if (refused) return { refused };
    }
    templates.set(v.name, template.name);
    builders.set(v.name, messageBuilder(project, variantCampaign(campaign, v), template, o.secret));
  }
  const metrics = metricsReader(project, campaign, run, o.target);
  const { stage, decideAt, record } = o.store
    ? await stageFor(o.store, campaign, run, o.now, metrics, o.sending)
    : { stage: campaign.variants?.test ? { kind: "test" as const } : { kind: "all" as const } };
  const assigner = new Assigner(campaign.name, run, list, stage, campaign.variants?.test?.share ?? 100);
  const messages = new VariantMessages(assigner, builders);
  let sent: Map<string, number> | undefined;
  return {
    messages,
    recipients: (all) => assignedOnly(all, assigner),
    sender(inner) {
      const wrapped = variantSender(inner, assigner, templates);
      sent = wrapped.sent;
      return wrapped.sender;
    },
    summary(counts) {
      const held = counts.skipped[HELD] ?? 0;
      delete counts.skipped[HELD];
      return {
        stage: stage.kind,
        counts: Object.fromEntries(list.map((v) => [v.name, messages.prepared.get(v.name) ?? 0])),
        held,
        ...(decideAt ? { decideAt } : {}),
        ...(record?.decision ? { decision: record.decision } : {}),
        ...(test ? { test: { share: test.share, by: test.by } } : {}),
      };
    },
    sent: () => Object.fromEntries(list.map((v) => [v.name, sent?.get(v.name) ?? 0])),
  };
}

async function templateRefusal(
  template: Template,
  variant: string,
  target: Target,
): Promise<string | undefined> {
  const { state } = await templateOnTarget(template, target);
  if (state === "same") return undefined;
  const what = `template ${template.name} (variant ${variant})`;
  return state === "absent"
    ? `${what} does not exist on the ${target.name} target yet; run \`mailops apply\` first (deploy does both)`
    : `${what} on the ${target.name} target differs from the repository; run \`mailops apply\` first (deploy does both)`;
}

/** One variant's metrics since the test began: local events, or CloudWatch by campaign and variant. */
function metricsReader(
  project: Project,
  campaign: Campaign,
  run: string,
  target: Target,
): (variant: string, since: Date) => Promise<CampaignMetrics | undefined> {
  const dimension = campaignDimension(project.settings);
  const value = campaign.tags.campaign ?? campaign.name;
  const sender = target.sender();
  return async (variant, since) =>
    sender.campaignMetrics?.(
      { ...(dimension ? { dimension } : {}), value, name: campaign.name, variant, run },
      since,
    );
}

/** A forecast's variants: the stage a send would find now, counted, nothing recorded. */
export async function forecastVariants(
  project: Project,
  campaign: Campaign,
  sendAt: string,
  o: Omit<VariantsSeen, "sending">,
): Promise<OpenedVariants> {
  const run = runKey({ campaign: campaign.name, sendAt });
  return (await openVariants(project, campaign, run, { ...o, sending: false })) as OpenedVariants;
}

/**
 * A forecast's view of a test run whose test stage is done: due again once `decide_after` has
 * passed (its run then is not complete), else a note of when.
 */
export async function winnerStageForecast(
  store: Store | undefined,
  campaign: Campaign,
  run: RunStatus,
  now: Date,
): Promise<{ run: RunStatus; note?: string }> {
  if (!store) return { run };
  const key = runKey({ campaign: campaign.name, sendAt: sendAtKey(campaign) });
  const wait = await winnerStageDue(store, campaign, key, run.complete, now);
  if (!wait) return { run };
  if (wait.state === "due") return { run: { ...run, complete: false } };
  return { run, note: `the test stage was sent; the winner stage is due at ${wait.at}` };
}

/** What `status` shows of a run's variants: the stage, the decision and why, each variant's metrics. */
export interface VariantStatus {
  stage: "all" | "test" | "winner";
  testStartedAt?: string;
  /** When the winner is (or was) due to be picked. */
  decideAt?: string;
  decision?: Decision;
  /** Each variant's metrics since the run started, as the target has them. */
  metrics?: Record<string, CampaignMetrics>;
}

export async function variantStatus(
  project: Project,
  campaign: Campaign,
  run: string,
  store: Store,
  target: Target,
  since: Date | undefined,
): Promise<VariantStatus> {
  const test = campaign.variants?.test;
  const record = test ? await readStage(store, campaign.name, run) : undefined;
  const stage = !test ? "all" : record?.decision ? "winner" : "test";
  const read = metricsReader(project, campaign, run, target);
  const metrics: Record<string, CampaignMetrics> = {};
  const from = record ? new Date(record.testStartedAt) : since;
  for (const v of campaign.variants?.list ?? []) {
    // Metrics are extra to the decision recorded: unreadable ones (no CloudWatch access) are left out.
    const m = from ? await read(v.name, from).catch(unlessMailops) : undefined;
    if (m) metrics[v.name] = m;
  }
  return {
    stage,
    ...(record ? { testStartedAt: record.testStartedAt } : {}),
    ...(record && test
      ? {
          decideAt: new Date(Date.parse(record.testStartedAt) + test.decideAfterSeconds * 1000).toISOString(),
        }
      : {}),
    ...(record?.decision ? { decision: record.decision } : {}),
    ...(Object.keys(metrics).length ? { metrics } : {}),
  };
}

/** `status`'s lines for a run's variants. */
export function formatVariantStatus(v: VariantStatus): string[] {
  const lines: string[] = [];
  if (v.stage === "all") lines.push("  variants: no test, every recipient got a variant by its share");
  else if (v.stage === "test")
    lines.push(
      `  variants: test stage since ${v.testStartedAt ?? "?"}; the winner is picked at ${v.decideAt ?? "?"} or the first send after`,
    );
  if (v.decision)
    lines.push(`  variants: winner ${v.decision.winner}, decided ${v.decision.decidedAt}: ${v.decision.why}`);
  for (const [name, m] of Object.entries(v.metrics ?? {}))
    lines.push(
      `    ${name}: delivered ${m.delivered}, opened ${m.opened}, clicked ${m.clicked}, bounced ${m.bounced}`,
    );
  return lines;
}

function unlessMailops(e: unknown): undefined {
  if (!(e instanceof MailopsError)) throw e;
  return undefined;
}
