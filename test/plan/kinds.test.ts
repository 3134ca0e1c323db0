/**
 * Perpetual-diff guards: what SES or CloudWatch answer for a resource mailops wrote (defaults
 * filled in or left out, lists reordered, numbers and JSON re-spelled) normalizes to what mailops
 * sent, while real edits still show. Each row names the API behaviour it covers.
 */
import { describe, expect, it } from "vitest";
import { changedFields, KIND_INFO } from "../../src/plan/kinds.js";
import type { KindName, Spec } from "../../src/plan/resource.js";

const fields = (kind: KindName, a: Spec, b: Spec) =>
  changedFields(KIND_INFO[kind].normalize(a), KIND_INFO[kind].normalize(b));

/** As desired.ts builds them. */
const desired = {
  alarm: {
    metric: "Reputation.BounceRate",
    statistic: "Average",
    comparison: "GreaterThanThreshold",
    threshold: 0.05,
    period: 3600,
    evaluationPeriods: 3,
    treatMissingData: "ignore",
    dimensions: [
      { name: "ses:configuration-set", value: "marketing" },
      { name: "ses:caller-identity", value: "ci" },
    ],
    actions: ["arn:aws:sns:us-east-1:1:b", "arn:aws:sns:us-east-1:1:a"],
    description: "Bounce rate",
  },
  "configuration-set": {
    tls: "require",
    reputationMetrics: true,
    sendingEnabled: true,
    suppress: ["BOUNCE", "COMPLAINT"],
    tracking: { customRedirectDomain: "click.example.com", httpsPolicy: "REQUIRE" },
  },
  "event-destination": {
    enabled: true,
    types: ["BOUNCE", "SEND"],
    cloudwatch: {
      dimensions: [
        { name: "campaign", source: "MESSAGE_TAG", default: "none" },
        { name: "audience", source: "MESSAGE_TAG", default: "all" },
      ],
    },
    sns: null,
    eventbridge: null,
  },
  "contact-list": {
    description: "Opt-outs",
    topics: [
      { name: "promotions", displayName: "Offers", defaultStatus: "OPT_IN" },
      { name: "onboarding", displayName: "Welcome", defaultStatus: "OPT_IN" },
    ],
  },
  template: { subject: "Hi {{name}}", html: "<p>Hi {{name}}</p>\n", text: "Hi {{name}}\n" },
  dashboard: { body: { widgets: [{ type: "metric", x: 0, properties: { period: 3600, stat: "Sum" } }] } },
  identity: {
    type: "domain",
    dkim: { signing: true, keyLength: "RSA_2048_BIT", origin: "AWS_SES" },
    mailFrom: { domain: "mail.example.com", onMxFailure: "USE_DEFAULT_VALUE" },
    configurationSet: "marketing",
  },
  "sns-topic": {
    policy: {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AllowSesPublish",
          Effect: "Allow",
          Principal: { Service: "ses.amazonaws.com" },
          Action: "SNS:Publish",
          Resource: "arn:aws:sns:us-east-1:123456789012:email-events",
          Condition: {
            StringEquals: {
              "AWS:SourceAccount": "123456789012",
              "AWS:SourceArn": [
                "arn:aws:ses:us-east-1:123456789012:configuration-set/b",
                "arn:aws:ses:us-east-1:123456789012:configuration-set/a",
              ],
            },
          },
        },
      ],
    },
  },
} satisfies Record<KindName, Spec>;

/** As the aws adapter reads them back (src/targets/aws/cloudwatch.ts, ses.ts). */
const readBack = {
  alarm: {
    ...desired.alarm,
    namespace: "AWS/SES",
    datapointsToAlarm: 3,
    actionsEnabled: true,
    okActions: [],
    insufficientDataActions: [],
  },
};

describe("no change for the API's own form of the same resource", () => {
  it.each<[string, KindName, Spec]>([
    [
      "alarm: defaults CloudWatch fills in (namespace, ActionsEnabled, empty OK/insufficient lists)",
      "alarm",
      readBack.alarm,
    ],
    [
      "alarm: DatapointsToAlarm left out means all evaluation periods",
      "alarm",
      { ...readBack.alarm, datapointsToAlarm: undefined } as unknown as Spec,
    ],
    [
      "alarm: dimensions and actions in another order",
      "alarm",
      {
        ...readBack.alarm,
        dimensions: [...desired.alarm.dimensions].reverse(),
        actions: [...desired.alarm.actions].reverse(),
      },
    ],
    [
      "alarm: the threshold as a float sum, the period as a string",
      "alarm",
      { ...readBack.alarm, threshold: 0.02 + 0.03, period: "3600" },
    ],
    [
      "configuration set: tracking keys in another order, suppression reasons reordered",
      "configuration-set",
      {
        ...desired["configuration-set"],
        tracking: { httpsPolicy: "REQUIRE", customRedirectDomain: "click.example.com" },
        suppress: ["COMPLAINT", "BOUNCE"],
      },
    ],
    [
      "event destination: dimensions and types in another order",
      "event-destination",
      {
        ...desired["event-destination"],
        types: ["SEND", "BOUNCE"],
        cloudwatch: { dimensions: [...desired["event-destination"].cloudwatch.dimensions].reverse() },
      },
    ],
    [
      "contact list: topics in another order",
      "contact-list",
      { ...desired["contact-list"], topics: [...desired["contact-list"].topics].reverse() },
    ],
    [
      "template: CRLF, trailing spaces, a byte-order mark, no final newline",
      "template",
      { subject: "Hi {{name}} ", html: "\uFEFF<p>Hi {{name}}</p>  \r\n\r\n", text: "Hi {{name}}" },
    ],
    [
      "dashboard: the body as a re-serialized string with other key order and 3600.0",
      "dashboard",
      {
        body: '{\n  "widgets": [ { "properties": { "stat": "Sum", "period": 3600.0 }, "x": 0, "type": "metric" } ]\n}',
      },
    ],
    [
      "identity: a DEED replica's origin (AWS_SES_US_EAST_1) is Easy DKIM; the MAIL FROM domain in capitals",
      "identity",
      {
        ...desired.identity,
        dkim: { signing: true, keyLength: "RSA_2048_BIT", origin: "AWS_SES_US_EAST_1" },
        mailFrom: { domain: "MAIL.example.com", onMxFailure: "USE_DEFAULT_VALUE" },
      },
    ],
    [
      "identity: SES leaves out the key length and origin of Easy DKIM's defaults",
      "identity",
      { ...desired.identity, dkim: { signing: true } },
    ],
    [
      "SNS topic: the policy as SNS returns it, a string with other key order and lists re-spelled",
      "sns-topic",
      {
        policy: JSON.stringify({
          Statement: [
            {
              Condition: {
                StringEquals: {
                  "AWS:SourceArn": [
                    "arn:aws:ses:us-east-1:123456789012:configuration-set/a",
                    "arn:aws:ses:us-east-1:123456789012:configuration-set/b",
                  ],
                  "AWS:SourceAccount": "123456789012",
                },
              },
              Resource: "arn:aws:sns:us-east-1:123456789012:email-events",
              Action: ["SNS:Publish"],
              Principal: { Service: "ses.amazonaws.com" },
              Effect: "Allow",
              Sid: "AllowSesPublish",
            },
          ],
          Version: "2012-10-17",
        }),
      },
    ],
  ])("%s", (_, kind, live) => {
    expect(fields(kind, desired[kind], live)).toEqual([]);
  });
});

describe("a change for a real edit", () => {
  it.each<[string, KindName, Spec, string[]]>([
    [
      "alarm: TreatMissingData left out is CloudWatch's `missing`, not mailops' `ignore`",
      "alarm",
      { ...readBack.alarm, treatMissingData: undefined } as unknown as Spec,
      ["treatMissingData"],
    ],
    [
      "alarm: actions switched off",
      "alarm",
      { ...readBack.alarm, actionsEnabled: false },
      ["actionsEnabled"],
    ],
    [
      "alarm: an OK action added outside",
      "alarm",
      { ...readBack.alarm, okActions: ["arn:aws:sns:us-east-1:1:ok"] },
      ["okActions"],
    ],
    ["alarm: another threshold", "alarm", { ...readBack.alarm, threshold: 0.1 }, ["threshold"]],
    [
      "alarm: two of three periods must breach",
      "alarm",
      { ...readBack.alarm, datapointsToAlarm: 2 },
      ["datapointsToAlarm"],
    ],
    [
      "configuration set: TLS left out is SES's OPTIONAL",
      "configuration-set",
      { ...desired["configuration-set"], tls: undefined } as unknown as Spec,
      ["tls"],
    ],
    [
      "configuration set: tracking removed",
      "configuration-set",
      { ...desired["configuration-set"], tracking: null },
      ["tracking"],
    ],
    [
      "event destination: a dimension default changed",
      "event-destination",
      {
        ...desired["event-destination"],
        cloudwatch: {
          dimensions: [
            { name: "campaign", source: "MESSAGE_TAG", default: "x" },
            { name: "audience", source: "MESSAGE_TAG", default: "all" },
          ],
        },
      },
      ["cloudwatch"],
    ],
    [
      "contact list: a topic renamed",
      "contact-list",
      {
        ...desired["contact-list"],
        topics: [
          { name: "promotions", displayName: "Deals", defaultStatus: "OPT_IN" },
          desired["contact-list"].topics[1] as Spec,
        ],
      },
      ["topics"],
    ],
    [
      "template: whitespace inside a line",
      "template",
      { ...desired.template, html: "<p>Hi  {{name}}</p>" },
      ["html"],
    ],
    [
      "dashboard: widgets in another order",
      "dashboard",
      { body: { widgets: [{ type: "text", x: 0 }, ...desired.dashboard.body.widgets] } },
      ["body"],
    ],
    [
      "identity: DKIM signing switched off outside",
      "identity",
      { ...desired.identity, dkim: { signing: false, keyLength: "RSA_2048_BIT" } },
      ["dkim"],
    ],
    [
      "identity: a 1024-bit key",
      "identity",
      { ...desired.identity, dkim: { signing: true, keyLength: "RSA_1024_BIT", origin: "AWS_SES" } },
      ["dkim"],
    ],
    [
      "identity: BYODKIM (EXTERNAL) is not Easy DKIM",
      "identity",
      { ...desired.identity, dkim: { signing: true, keyLength: "RSA_2048_BIT", origin: "EXTERNAL" } },
      ["dkim"],
    ],
    [
      "identity: MAIL FROM rejects on MX failure; no default configuration set",
      "identity",
      {
        ...desired.identity,
        mailFrom: { domain: "mail.example.com", onMxFailure: "REJECT_MESSAGE" },
        configurationSet: null,
      },
      ["configurationSet", "mailFrom"],
    ],
    [
      "SNS topic: another account may publish",
      "sns-topic",
      {
        policy: JSON.parse(
          JSON.stringify(desired["sns-topic"].policy).replace(
            '"AWS:SourceAccount":"123456789012"',
            '"AWS:SourceAccount":"999"',
          ),
        ),
      },
      ["policy"],
    ],
  ])("%s", (_, kind, live, changed) => {
    expect(fields(kind, desired[kind], live)).toEqual(changed);
  });
});
