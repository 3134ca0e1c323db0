/**
 * Per-kind knowledge the generic diff needs: how to normalize a spec so API defaults and
 * formatting never show up as a change, and how to describe a resource in one line.
 * Target adapters own reading and writing; this file owns meaning.
 */
import { canonicalJson, type Json, type KindName, type Spec } from "./resource.js";

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

const record = (v: Json | undefined): { [key: string]: Json } =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? v : {};

const str = (v: Json | undefined, fallback = ""): string => (typeof v === "string" ? v : fallback);

/** Numbers as values, not spellings: "60", 60 and 60.0 are one period; 0.1 + 0.2 is 0.3. */
const num = (v: Json | undefined, fallback: number): number => {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? Number(n.toPrecision(12)) : fallback;
};

const byName = <T extends { name: string }>(a: T, b: T): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** Line endings and trailing whitespace are not content: editors and APIs disagree on them. */
const text = (v: Json | undefined): string =>
  typeof v === "string"
    ? v
        .replace(/^\uFEFF/, "")
        .replace(/\r\n?/g, "\n")
        .split("\n")
        .map((l) => l.trimEnd())
        .join("\n")
        .trimEnd()
    : "";

/** JSON with object keys in one order at every depth; arrays keep theirs (order is meaning there). */
function sortedKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (v !== null && typeof v === "object") {
    const out: { [key: string]: Json } = {};
    for (const k of Object.keys(v).sort()) out[k] = sortedKeys(v[k] as Json);
    return out;
  }
  return v;
}

/*
 * Each normalize states every field with the API's own default for "absent", so a spec read back
 * from SES or CloudWatch (which fill in or leave out defaults) and the spec mailops sent compare
 * equal. Desired and live specs both pass through it.
 */
export const KIND_INFO: Record<KindName, KindInfo> = {
  "contact-list": {
    label: "contact list",
    order: 0,
    fields: ["topics"],
    normalize: (s) => ({
      topics: (Array.isArray(s.topics) ? s.topics : [])
        .map(record)
        .map((t) => ({
          name: str(t.name),
          displayName: str(t.displayName),
          defaultStatus: str(t.defaultStatus, "OPT_IN").toUpperCase(),
        }))
        .sort(byName),
      description: str(s.description),
    }),
  },
  "sns-topic": {
    label: "SNS topic",
    order: 1,
    fields: ["policy"],
    // A policy is compared by meaning: key order, and `"x"` against `["x"]`, are not changes.
    normalize: (s) => ({
      policy: policyForm(typeof s.policy === "string" ? safeParse(s.policy) : (s.policy ?? null)),
    }),
  },
  "configuration-set": {
    label: "configuration set",
    order: 2,
    fields: ["tls", "reputationMetrics", "sendingEnabled", "suppress", "tracking"],
    normalize: (s) => {
      const tracking = record(s.tracking);
      return {
        // SES's default TlsPolicy is OPTIONAL.
        tls: str(s.tls).toLowerCase() === "require" ? "require" : "optional",
        reputationMetrics: s.reputationMetrics === true,
        sendingEnabled: s.sendingEnabled !== false,
        suppress: sortedStrings(s.suppress).map((r) => r.toUpperCase()),
        tracking: str(tracking.customRedirectDomain)
          ? {
              customRedirectDomain: str(tracking.customRedirectDomain),
              httpsPolicy: str(tracking.httpsPolicy, "OPTIONAL").toUpperCase(),
            }
          : null,
      };
    },
  },
  "event-destination": {
    label: "event destination",
    order: 3,
    fields: ["enabled", "types", "cloudwatch", "sns", "eventbridge"],
    normalize: (s) => {
      const sns = record(s.sns);
      const eventbridge = record(s.eventbridge);
      return {
        enabled: s.enabled !== false,
        types: sortedStrings(s.types).map((t) => t.toUpperCase()),
        cloudwatch: s.cloudwatch
          ? {
              dimensions: ((record(s.cloudwatch).dimensions as Json[] | undefined) ?? [])
                .map(record)
                .map((d) => ({ name: str(d.name), source: str(d.source), default: str(d.default) }))
                .sort(byName),
            }
          : null,
        sns: str(sns.topicArn) ? { topicArn: str(sns.topicArn) } : null,
        eventbridge: s.eventbridge ? { eventBusArn: str(eventbridge.eventBusArn) || null } : null,
      };
    },
  },
  // After configuration sets: an identity names its default one.
  identity: {
    label: "email identity",
    order: 4,
    fields: ["dkim", "mailFrom", "configurationSet"],
    normalize: (s): Spec => {
      const dkim = s.dkim === null || s.dkim === undefined ? null : record(s.dkim);
      const mailFrom = record(s.mailFrom);
      return {
        type: str(s.type) === "address" ? "address" : "domain",
        // Addresses sign with their domain's DKIM: SES reports nothing of their own.
        dkim:
          dkim === null
            ? null
            : dkim.signing === false
              ? ({ signing: false } as Spec)
              : {
                  signing: true,
                  // SES's Easy DKIM default since 2023; DEED replicas (AWS_SES_<REGION>) are Easy DKIM too.
                  keyLength: str(dkim.keyLength, "RSA_2048_BIT"),
                  origin: str(dkim.origin, "AWS_SES").startsWith("AWS_SES") ? "AWS_SES" : str(dkim.origin),
                },
        mailFrom: str(mailFrom.domain)
          ? {
              domain: str(mailFrom.domain).toLowerCase(),
              onMxFailure: str(mailFrom.onMxFailure, "USE_DEFAULT_VALUE"),
            }
          : null,
        configurationSet: str(s.configurationSet) || null,
      };
    },
  },
  template: {
    label: "email template",
    order: 5,
    fields: ["subject", "html", "text"],
    normalize: (s) => ({ subject: text(s.subject), html: text(s.html), text: text(s.text) }),
  },
  alarm: {
    label: "CloudWatch alarm",
    order: 6,
    // Shown on create; an update names every field that differs.
    fields: [
      "metric",
      "statistic",
      "comparison",
      "threshold",
      "period",
      "evaluationPeriods",
      "dimensions",
      "actions",
      "description",
    ],
    normalize: (s) => {
      const evaluationPeriods = num(s.evaluationPeriods, 1);
      return {
        namespace: str(s.namespace, "AWS/SES"),
        metric: str(s.metric),
        statistic: str(s.statistic, "Average"),
        comparison: str(s.comparison, "GreaterThanOrEqualToThreshold"),
        threshold: num(s.threshold, 0),
        period: num(s.period, 3600),
        evaluationPeriods,
        // CloudWatch: without DatapointsToAlarm, all evaluation periods must breach.
        datapointsToAlarm: num(s.datapointsToAlarm, evaluationPeriods),
        // CloudWatch's default is "missing"; mailops always sends "ignore" (desired.ts).
        treatMissingData: str(s.treatMissingData, "missing"),
        actionsEnabled: s.actionsEnabled !== false,
        dimensions: (Array.isArray(s.dimensions) ? s.dimensions : [])
          .map(record)
          .map((d) => ({ name: str(d.name), value: str(d.value) }))
          .sort(byName),
        actions: sortedStrings(s.actions),
        okActions: sortedStrings(s.okActions),
        insufficientDataActions: sortedStrings(s.insufficientDataActions),
        description: str(s.description),
      };
    },
  },
  dashboard: {
    label: "CloudWatch dashboard",
    order: 7,
    fields: ["body"],
    // Compared as parsed JSON with sorted keys: CloudWatch may re-serialize the body.
    normalize: (s) => ({
      body: sortedKeys(typeof s.body === "string" ? safeParse(s.body) : (s.body ?? null)),
    }),
  },
};

function safeParse(body: string): Json {
  try {
    return JSON.parse(body) as Json;
  } catch {
    return body;
  }
}

/**
 * An IAM policy in one form: keys sorted, a one-element list as its element and lists of strings
 * sorted (IAM reads `"Action": "x"` and `["x"]` alike, and a list's order means nothing there).
 */
function policyForm(v: Json): Json {
  if (Array.isArray(v)) {
    const items = v.map(policyForm);
    if (items.length === 1) return items[0] as Json;
    return items.every((i) => typeof i === "string") ? [...(items as string[])].sort() : items;
  }
  if (v !== null && typeof v === "object") {
    const out: { [key: string]: Json } = {};
    for (const k of Object.keys(v).sort()) out[k] = policyForm(v[k] as Json);
    return out;
  }
  return v;
}

/** Names of the top-level fields that differ between two normalized specs. */
export function changedFields(before: Spec, after: Spec): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  // Key order inside a value is not a change.
  return [...keys].filter((k) => canonicalJson(before[k]) !== canonicalJson(after[k])).sort();
}
