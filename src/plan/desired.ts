/** The SES and CloudWatch resources a repository asks for, in canonical spec form. Pure. */
import type { Project, Settings, Template } from "../config/model.js";
import type { DesiredResource, Json, Spec } from "./resource.js";

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

/** CloudWatch alarm names are per account and region: prefix them with the project. */
export function alarmName(settings: Settings, name: string): string {
  return `${settings.project}-${name}`;
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
      adopt: false,
      spec: {
        description: `Opt-outs for ${settings.project}`,
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
        sns: e.sns ? { topicArn: e.sns.topicArn } : null,
        eventbridge: e.eventbridge ? { eventBusArn: e.eventbridge.eventBusArn ?? null } : null,
      };
      out.push({ kind: "event-destination", name: `${set.name}/${e.name}`, adopt: set.adopt, spec });
    }
  }

  for (const t of project.templates.values()) {
    out.push({ kind: "template", name: t.name, adopt: t.adopt, spec: templateSpec(t) });
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
        description:
          alarm.description ??
          `${alarm.metric.replace("_", " ")} above ${alarm.above} (mailops project ${settings.project})`,
      },
    });
  }

  if (settings.dashboard) {
    out.push({
      kind: "dashboard",
      name: settings.dashboard,
      adopt: false,
      spec: { body: dashboardBody(project) },
    });
  }
  return out;
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
        if (d.from === "message_tag") return name;
      }
    }
  }
  return undefined;
}
