/**
 * Per-kind knowledge the generic diff needs: how to normalize a spec so API defaults and
 * formatting never show up as a change, and how to describe a resource in one line.
 * Target adapters own reading and writing; this file owns meaning.
 */
import type { Json, KindName, Spec } from "./resource.js";

export interface KindInfo {
  label: string;
  /** Apply order for creates and updates; deletes run in reverse. */
  order: number;
  /** Canonical form compared by the diff; both desired and live specs pass through it. */
  normalize(spec: Spec): Spec;
  /** The fields whose change is worth naming in a one-line message. */
  fields: string[];
}

const sortedStrings = (v: Json | undefined): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string").sort() : [];

/** Line endings and trailing whitespace are not content: editors and APIs disagree on them. */
const text = (v: Json | undefined): string =>
  typeof v === "string"
    ? v
        .replace(/\r\n?/g, "\n")
        .split("\n")
        .map((l) => l.trimEnd())
        .join("\n")
        .trimEnd()
    : "";

export const KIND_INFO: Record<KindName, KindInfo> = {
  "contact-list": {
    label: "contact list",
    order: 0,
    fields: ["topics"],
    normalize: (s) => ({
      topics: (Array.isArray(s.topics) ? s.topics : [])
        .map((t) => t as { name: string; displayName: string; defaultStatus?: string })
        .map((t) => ({
          name: t.name,
          displayName: t.displayName,
          defaultStatus: t.defaultStatus ?? "OPT_IN",
        }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
      description: typeof s.description === "string" ? s.description : "",
    }),
  },
  "configuration-set": {
    label: "configuration set",
    order: 1,
    fields: ["tls", "reputationMetrics", "sendingEnabled", "suppress", "tracking"],
    normalize: (s) => ({
      tls: s.tls === "optional" ? "optional" : "require",
      reputationMetrics: s.reputationMetrics === true,
      sendingEnabled: s.sendingEnabled !== false,
      suppress: sortedStrings(s.suppress),
      tracking: s.tracking ?? null,
    }),
  },
  "event-destination": {
    label: "event destination",
    order: 2,
    fields: ["enabled", "types", "cloudwatch", "sns", "eventbridge"],
    normalize: (s) => ({
      enabled: s.enabled !== false,
      types: sortedStrings(s.types),
      cloudwatch: s.cloudwatch
        ? {
            dimensions: ((s.cloudwatch as { dimensions?: Json[] }).dimensions ?? [])
              .map((d) => d as { name: string; source: string; default: string })
              .map((d) => ({ name: d.name, source: d.source, default: d.default }))
              .sort((a, b) => (a.name < b.name ? -1 : 1)),
          }
        : null,
      sns: s.sns ?? null,
      eventbridge: s.eventbridge ?? null,
    }),
  },
  template: {
    label: "email template",
    order: 3,
    fields: ["subject", "html", "text"],
    normalize: (s) => ({ subject: text(s.subject), html: text(s.html), text: text(s.text) }),
  },
  alarm: {
    label: "CloudWatch alarm",
    order: 4,
    fields: ["metric", "threshold", "period", "evaluationPeriods", "dimensions", "actions", "description"],
    normalize: (s) => ({
      metric: s.metric ?? "",
      statistic: s.statistic ?? "Average",
      comparison: s.comparison ?? "GreaterThanOrEqualToThreshold",
      threshold: typeof s.threshold === "number" ? Number(s.threshold.toPrecision(12)) : 0,
      period: s.period ?? 3600,
      evaluationPeriods: s.evaluationPeriods ?? 1,
      treatMissingData: s.treatMissingData ?? "ignore",
      dimensions: ((Array.isArray(s.dimensions) ? s.dimensions : []) as { name: string; value: string }[])
        .map((d) => ({ name: d.name, value: d.value }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
      actions: sortedStrings(s.actions),
      description: typeof s.description === "string" ? s.description : "",
    }),
  },
  dashboard: {
    label: "CloudWatch dashboard",
    order: 5,
    fields: ["body"],
    // The body is compared as parsed JSON: CloudWatch may re-serialize it.
    normalize: (s) => ({ body: typeof s.body === "string" ? safeParse(s.body) : (s.body ?? null) }),
  },
};

function safeParse(body: string): Json {
  try {
    return JSON.parse(body) as Json;
  } catch {
    return body;
  }
}

/** Names of the top-level fields that differ between two normalized specs. */
export function changedFields(before: Spec, after: Spec): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}
