/**
 * Configuration sets and their event destinations as mailops.yaml writes them. A destination's SNS
 * topic is named by `topic` (made and owned by mailops) when its policy is exactly the one mailops
 * writes for the sets that publish to it; any other topic is named by `topic_arn`, as one made
 * elsewhere, and left alone.
 */
import { fillAccount, topicArn, topicPolicy } from "../plan/desired.js";
import { KIND_INFO } from "../plan/kinds.js";
import { canonicalJson, type Json, type LiveResource, type Spec } from "../plan/resource.js";
import type { NotImported } from "./types.js";

type Obj = Record<string, unknown>;
const rec = (v: Json | undefined): { [key: string]: Json } =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? v : {};
const strs = (v: Json | undefined): string[] => (Array.isArray(v) ? v.map(String) : []);

const EVENT_TYPES = new Set([
  "send",
  "reject",
  "bounce",
  "complaint",
  "delivery",
  "open",
  "click",
  "rendering_failure",
  "delivery_delay",
  "subscription",
]);
const DIMENSION_SOURCES = new Set(["message_tag", "email_header", "link_tag"]);

export interface EventContext {
  region: string;
  account?: string;
  /** The SNS topics event destinations name, read by name. */
  topics: Map<string, LiveResource>;
}

export function configurationSetDoc(live: LiveResource, events: Obj[]): Obj {
  const s = KIND_INFO["configuration-set"].normalize(live.spec);
  const tracking = rec(s.tracking);
  return {
    tls: s.tls,
    reputation_metrics: s.reputationMetrics,
    sending_enabled: s.sendingEnabled,
    suppress: strs(s.suppress).map((r) => r.toLowerCase()),
    ...(s.tracking
      ? {
          tracking: {
            custom_redirect_domain: tracking.customRedirectDomain,
            https_policy: String(tracking.httpsPolicy).toLowerCase(),
          },
        }
      : {}),
    adopt: true,
    ...(events.length > 0 ? { events } : {}),
  };
}

/** The ARN's parts, when it is an SNS topic's. */
function parseTopicArn(arn: string): { region: string; account: string; name: string } | undefined {
  const m = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256})$/.exec(arn);
  return m ? { region: m[1] as string, account: m[2] as string, name: m[3] as string } : undefined;
}

/**
 * The topic of an ARN when it is one mailops would make for exactly these configuration sets: in
 * this region and account, with the policy mailops writes. Undefined otherwise.
 */
export function ownTopic(arn: string, sets: string[], ctx: EventContext): LiveResource | undefined {
  const parts = parseTopicArn(arn);
  if (!parts || parts.region !== ctx.region || parts.account !== ctx.account) return undefined;
  const topic = ctx.topics.get(parts.name);
  if (!topic || fillAccount(topicArn(ctx, parts.name), ctx.account) !== arn) return undefined;
  const want = fillAccount(topicPolicy(ctx, parts.name, sets), ctx.account);
  const normalize = KIND_INFO["sns-topic"].normalize;
  return canonicalJson(normalize(topic.spec)) === canonicalJson(normalize({ policy: want }))
    ? topic
    : undefined;
}

/** What about a destination mailops.yaml cannot say; undefined when nothing. */
function unsupportedDestination(s: Spec): string | undefined {
  const targets = [s.cloudwatch, s.sns, s.eventbridge].filter((t) => t !== null).length;
  if (targets === 0)
    return "it sends to a destination mailops does not manage (Kinesis Data Firehose or Amazon Pinpoint)";
  const types = strs(s.types).map((t) => t.toLowerCase());
  const unknown = types.filter((t) => !EVENT_TYPES.has(t));
  if (types.length === 0 || unknown.length > 0)
    return `its event types ${unknown.length ? unknown.join(", ") : "(none)"} are not ones mailops knows`;
  const dims = (rec(s.cloudwatch).dimensions as Json[] | undefined) ?? [];
  if (s.cloudwatch !== null && dims.length === 0) return "its CloudWatch destination has no dimension";
  const badSource = dims.map(rec).find((d) => !DIMENSION_SOURCES.has(String(d.source).toLowerCase()));
  if (badSource)
    return `its dimension ${String(badSource.name)} takes values from ${String(badSource.source)}`;
  return undefined;
}

/** A destination as an `events:` item, or why it cannot be one. */
export function eventDestinationDoc(live: LiveResource, topicName: string | undefined): Obj | NotImported {
  const s = KIND_INFO["event-destination"].normalize(live.spec);
  const reason = unsupportedDestination(s);
  if (reason) return { kind: live.kind, name: live.name, reason };
  const name = live.name.slice(live.name.indexOf("/") + 1);
  const cloudwatch = rec(s.cloudwatch);
  const out: Obj = { name };
  if (s.enabled === false) out.enabled = false;
  out.types = strs(s.types).map((t) => t.toLowerCase());
  if (s.cloudwatch !== null) {
    const dimensions: Obj = {};
    for (const d of ((cloudwatch.dimensions as Json[]) ?? []).map(rec)) {
      dimensions[String(d.name)] = { from: String(d.source).toLowerCase(), default: d.default };
    }
    out.cloudwatch = { dimensions };
  }
  if (s.sns !== null) {
    out.sns = topicName ? { topic: topicName, adopt: true } : { topic_arn: rec(s.sns).topicArn };
  }
  if (s.eventbridge !== null) {
    const bus = rec(s.eventbridge).eventBusArn;
    out.eventbridge = typeof bus === "string" ? { event_bus_arn: bus } : {};
  }
  return out;
}
