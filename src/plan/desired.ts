/** The SES and CloudWatch resources a repository asks for, in canonical spec form. Pure. */

import type { EventDestination, Identity, Project, Settings, Template } from "../config/model.js";
import { VARIANT_TAG, variantTemplates } from "../config/variants.js";
import { ACCOUNT_PLACEHOLDER, type DesiredResource, type Json, type Spec } from "./resource.js";

const EVENT_TYPES: Record<string, string> = {
  send: "SEND",
  reject: "REJECT",
  bounce: "BOUNCE",
  complaint: "COMPLAINT",
  delivery: "DELIVERY",
  open: "OPEN",
  click: "CLICK",
  rendering_failure: "RENDERING_FAILURE",
  delivery_delay: "DELIVERY_DELAY",
  subscription: "SUBSCRIPTION",
};

const DIMENSION_SOURCES: Record<string, string> = {
  message_tag: "MESSAGE_TAG",
  email_header: "EMAIL_HEADER",
  link_tag: "LINK_TAG",
};

/** The contact list's description when `unsubscribe.description` does not give one. */
export function contactListDescription(project: string): string {
  return `Opt-outs for ${project}`;
}

/** An alarm's description when it gives none. */
export function alarmDescription(project: string, metric: string, above: number): string {
  return `${metric.replace("_", " ")} above ${above} (mailops project ${project})`;
}

/** CloudWatch alarm names are per account and region: prefix them with the project. */
export function alarmName(settings: Settings, name: string): string {
  return `${settings.project}-${name}`;
}

/** The ARN partition of a region: `aws`, or the China and GovCloud partitions. */
export function partitionOf(region: string): string {
  return region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
}

/** The ARN of a topic mailops makes, its account left to the target (ACCOUNT_PLACEHOLDER). */
export function topicArn(settings: Pick<Settings, "region">, name: string): string {
  return `arn:${partitionOf(settings.region)}:sns:${settings.region}:${ACCOUNT_PLACEHOLDER}:${name}`;
}

/** The event destination's topic ARN: as written, or the one mailops makes. */
function destinationTopicArn(settings: Settings, sns: NonNullable<EventDestination["sns"]>): string {
  return "topicArn" in sns ? sns.topicArn : topicArn(settings, sns.topic);
}

/** A template as SES holds it. */
export function templateSpec(t: Template): Spec {
  return {
    subject: t.parts.subject?.source ?? "",
    html: t.parts.html?.source ?? "",
    text: t.parts.text?.source ?? "",
  };
}

export function desiredResources(project: Project): DesiredResource[] {
  const { settings } = project;
  const out: DesiredResource[] = [];

  if (settings.unsubscribe.mode === "ses-list" && settings.unsubscribe.contactList) {
    out.push({
      kind: "contact-list",
      name: settings.unsubscribe.contactList,
      adopt: settings.unsubscribe.adopt,
      spec: {
        description: settings.unsubscribe.description ?? contactListDescription(settings.project),
        topics: Object.entries(settings.unsubscribe.topics)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([name, displayName]) => ({ name, displayName, defaultStatus: "OPT_IN" })),
      },
    });
  }

  for (const set of Object.values(settings.configurationSets)) {
    out.push({
      kind: "configuration-set",
      name: set.name,
      adopt: set.adopt,
      spec: {
        tls: set.tls,
        reputationMetrics: set.reputationMetrics,
        sendingEnabled: set.sendingEnabled,
        suppress: set.suppress.map((s) => s.toUpperCase()).sort(),
        tracking: set.tracking
          ? {
              customRedirectDomain: set.tracking.customRedirectDomain,
              httpsPolicy: set.tracking.httpsPolicy.toUpperCase(),
            }
          : null,
      },
    });
    for (const e of set.events) {
      const spec: Spec = {
        enabled: e.enabled,
        types: e.types.map((t) => EVENT_TYPES[t] ?? t.toUpperCase()).sort(),
        cloudwatch: e.cloudwatch
          ? {
              dimensions: Object.entries(e.cloudwatch.dimensions)
                .map(([name, d]) => ({
                  name,
                  source: DIMENSION_SOURCES[d.from] ?? "MESSAGE_TAG",
                  default: d.default,
                }))
                .sort((a, b) => (a.name < b.name ? -1 : 1)),
            }
          : null,
        sns: e.sns ? { topicArn: destinationTopicArn(settings, e.sns) } : null,
        eventbridge: e.eventbridge ? { eventBusArn: e.eventbridge.eventBusArn ?? null } : null,
      };
      out.push({ kind: "event-destination", name: `${set.name}/${e.name}`, adopt: set.adopt, spec });
    }
  }

  out.push(...topicResources(settings));
  for (const identity of Object.values(settings.identities)) {
    out.push({ kind: "identity", name: identity.name, adopt: identity.adopt, spec: identitySpec(identity) });
  }

  for (const t of project.templates.values()) {
    out.push({ kind: "template", name: t.name, adopt: t.adopt, spec: templateSpec(t) });
  }
  // A variant with its own subject is a template of its own, owned like any other.
  for (const t of variantTemplates(project)) {
    out.push({ kind: "template", name: t.name, adopt: false, spec: templateSpec(t) });
  }

  for (const alarm of Object.values(settings.alarms)) {
    const dimensions: Json[] = alarm.configurationSet
      ? [{ name: "ses:configuration-set", value: alarm.configurationSet }]
      : [];
    out.push({
      kind: "alarm",
      name: alarmName(settings, alarm.name),
      adopt: alarm.adopt,
      spec: {
        metric: alarm.metric === "bounce_rate" ? "Reputation.BounceRate" : "Reputation.ComplaintRate",
        statistic: "Average",
        // `above` is strictly greater: a rate exactly at the threshold does not alarm.
        comparison: "GreaterThanThreshold",
        threshold: alarm.above,
        period: alarm.periodSeconds,
        evaluationPeriods: alarm.evaluationPeriods,
        treatMissingData: "ignore",
        dimensions,
        actions: [...alarm.actions].sort(),
        description: alarm.description ?? alarmDescription(settings.project, alarm.metric, alarm.above),
      },
    });
  }

  if (settings.dashboard) {
    out.push({
      kind: "dashboard",
      name: settings.dashboard,
      adopt: settings.dashboardAdopt,
      spec: { body: (settings.dashboardBody as Spec | undefined) ?? dashboardBody(project) },
    });
  }
  return out;
}

/** An identity as SES holds it: Easy DKIM for a domain, its MAIL FROM and default configuration set. */
export function identitySpec(identity: Identity): Spec {
  return {
    type: identity.type,
    dkim:
      identity.type === "address"
        ? null
        : identity.dkim === false
          ? { signing: false }
          : {
              signing: true,
              keyLength: identity.dkim === "rsa_1024" ? "RSA_1024_BIT" : "RSA_2048_BIT",
              origin: "AWS_SES",
            },
    mailFrom: identity.mailFrom
      ? {
          domain: identity.mailFrom.domain.toLowerCase(),
          onMxFailure: identity.mailFrom.onMxFailure === "reject" ? "REJECT_MESSAGE" : "USE_DEFAULT_VALUE",
        }
      : null,
    configurationSet: identity.configurationSet ?? null,
  };
}

/**
 * One resource per topic named by an event destination (`sns: { topic }`), with the policy SES
 * needs to publish to it: only ses.amazonaws.com, only for this account's configuration sets
 * that send to it (AWS:SourceAccount and AWS:SourceArn, against the confused deputy).
 */
function topicResources(settings: Settings): DesiredResource[] {
  const byTopic = new Map<string, { sets: Set<string>; adopt: boolean }>();
  for (const set of Object.values(settings.configurationSets)) {
    for (const e of set.events) {
      if (!e.sns || !("topic" in e.sns)) continue;
      const entry = byTopic.get(e.sns.topic) ?? { sets: new Set<string>(), adopt: false };
      entry.sets.add(set.name);
      entry.adopt ||= e.sns.adopt;
      byTopic.set(e.sns.topic, entry);
    }
  }
  return [...byTopic.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, { sets, adopt }]) => ({
      kind: "sns-topic" as const,
      name,
      adopt,
      spec: { policy: topicPolicy(settings, name, [...sets]) },
    }));
}

/**
 * The policy of a topic mailops makes: SES may publish to it, only for this account's
 * configuration sets `sets` (AWS:SourceAccount and AWS:SourceArn, against the confused deputy).
 */
export function topicPolicy(settings: Pick<Settings, "region">, name: string, sets: string[]): Json {
  const ses = `arn:${partitionOf(settings.region)}:ses:${settings.region}:${ACCOUNT_PLACEHOLDER}`;
  const sources = [...sets].sort().map((s) => `${ses}:configuration-set/${s}`);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AllowSesPublish",
        Effect: "Allow",
        Principal: { Service: "ses.amazonaws.com" },
        Action: "SNS:Publish",
        Resource: topicArn(settings, name),
        Condition: {
          StringEquals: {
            "AWS:SourceAccount": ACCOUNT_PLACEHOLDER,
            "AWS:SourceArn": sources.length === 1 ? (sources[0] as string) : sources,
          },
        },
      },
    ],
  };
}

/** Whether a desired spec still waits for the account id (see ACCOUNT_PLACEHOLDER). */
export function needsAccount(desired: DesiredResource[]): boolean {
  return desired.some((r) => JSON.stringify(r.spec).includes(ACCOUNT_PLACEHOLDER));
}

/** The desired resources with the account id filled in, once the target has named it. */
export function withAccount<R extends { spec: Spec }>(resources: R[], account: string): R[] {
  return resources.map((r) => ({ ...r, spec: fillAccount(r.spec, account) as Spec }));
}

export function fillAccount(v: Json, account: string): Json {
  if (typeof v === "string") return v.split(ACCOUNT_PLACEHOLDER).join(account);
  if (Array.isArray(v)) return v.map((x) => fillAccount(x, account));
  if (v !== null && typeof v === "object") {
    const out: { [key: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) out[k] = fillAccount(x, account);
    return out;
  }
  return v;
}

const SEND_METRICS = ["Send", "Delivery", "Bounce", "Complaint", "Open", "Click"];

/** One widget per event metric, one line per campaign, plus the account's reputation rates. */
export function dashboardBody(project: Project): Spec {
  const { settings } = project;
  const campaigns = [...project.campaigns.values()].map((c) => c.tags.campaign ?? c.name).sort();
  const dimension = campaignDimension(settings);
  const widgets: Json[] = SEND_METRICS.map((metric, i) => ({
    type: "metric",
    x: (i % 3) * 8,
    y: Math.floor(i / 3) * 6,
    width: 8,
    height: 6,
    properties: {
      title: `${metric} by campaign`,
      region: settings.region,
      stat: "Sum",
      period: 3600,
      view: "timeSeries",
      metrics: dimension ? campaigns.map((c) => ["AWS/SES", metric, dimension, c]) : [["AWS/SES", metric]],
    },
  }));
  widgets.push({
    type: "metric",
    x: 0,
    y: 12,
    width: 24,
    height: 6,
    properties: {
      title: "Reputation (SES reviews at 10% bounces, 0.5% complaints)",
      region: settings.region,
      stat: "Average",
      period: 3600,
      view: "timeSeries",
      metrics: [
        ["AWS/SES", "Reputation.BounceRate"],
        ["AWS/SES", "Reputation.ComplaintRate"],
      ],
    },
  });
  return { widgets };
}

/** The CloudWatch dimension carrying the campaign tag, if an event destination publishes one. */
export function campaignDimension(settings: Settings): string | undefined {
  for (const set of Object.values(settings.configurationSets)) {
    for (const e of set.events) {
      for (const [name, d] of Object.entries(e.cloudwatch?.dimensions ?? {})) {
        // The variants' destination also carries the campaign, combined with the variant (docs/variants.md).
        if (d.from === "message_tag" && name !== VARIANT_TAG) return name;
      }
    }
  }
  return undefined;
}
