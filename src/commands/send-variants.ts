/**
 * A campaign's A/B variants, wired for a send and its forecast: each variant's template (checked
 * on the target for a send), its message builder, the run's stage (send/variants.ts), and what the
 * report shows of it. The assignment and the winner rule are send/variants.ts.
 */
import type { Recipient } from "../audience/index.js";
import type { Campaign, Project, Template } from "../config/model.js";
import { variantCampaign, variantTemplate } from "../config/variants.js";
import { UsageError } from "../errors.js";
import { campaignDimension } from "../plan/desired.js";
import { messageBuilder } from "../send/message.js";
import {
  Assigner,
  assignedOnly,
  type Decision,
  HELD,
  stageFor,
  VariantMessages,
  variantSender,
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
  const metrics = metricsReader(project, campaign, o.target);
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
      };
    },
    sent: () => Object.fromEntries(sent ?? []),
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
  target: Target,
): (variant: string, since: Date) => Promise<CampaignMetrics | undefined> {
  const dimension = campaignDimension(project.settings);
  const value = campaign.tags.campaign ?? campaign.name;
  const sender = target.sender();
  return async (variant, since) =>
    sender.campaignMetrics?.(
      { ...(dimension ? { dimension } : {}), value, name: campaign.name, variant },
      since,
    );
}
