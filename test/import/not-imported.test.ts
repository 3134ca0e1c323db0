/**
 * What mailops.yaml cannot say is reported, with why, and is in no file: never dropped silently,
 * never written differently (which a first apply would then "fix" on the account).
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type ImportInput, importFiles, SECTIONS } from "../../src/import/index.js";
import { fillAccount, topicPolicy } from "../../src/plan/desired.js";
import { type LiveResource, OWNER_TAG, type Spec } from "../../src/plan/resource.js";

const ACCOUNT = "123456789012";
const PROJECT = "acme";

const run = (live: LiveResource[], extra: Partial<ImportInput> = {}) =>
  importFiles({
    target: "aws",
    region: "us-east-1",
    account: ACCOUNT,
    settings: { project: PROJECT, state: "s3://b/p", from: "Acme <news@example.com>" },
    sections: [...SECTIONS],
    withSettings: true,
    live,
    ...extra,
  });

const res = (
  kind: LiveResource["kind"],
  name: string,
  spec: Spec,
  tags: Record<string, string> = {},
): LiveResource => ({
  kind,
  name,
  spec,
  tags,
});

const ALARM: Spec = {
  namespace: "AWS/SES",
  metric: "Reputation.BounceRate",
  statistic: "Average",
  comparison: "GreaterThanThreshold",
  threshold: 0.05,
  period: 3600,
  evaluationPeriods: 1,
  treatMissingData: "ignore",
  dimensions: [],
  actions: [],
  description: "",
};

/** Every file's text, to check a left-out resource is in none. */
const allText = (r: ReturnType<typeof run>) => r.files.map((f) => f.text).join("\n");
const reasons = (r: ReturnType<typeof run>) =>
  Object.fromEntries(r.notImported.map((n) => [`${n.kind}/${n.name}`, n.reason]));

describe("not imported, and why", () => {
  it("alarms of another shape, named outside the project, or on metric math", () => {
    const r = run([
      res("alarm", `${PROJECT}-ok`, ALARM),
      res("alarm", `${PROJECT}-gte`, { ...ALARM, comparison: "GreaterThanOrEqualToThreshold" }),
      res("alarm", "ops-bounces", ALARM),
      res("alarm", `${PROJECT}-math`, { ...ALARM, namespace: "", metric: "" }),
      res("alarm", `${PROJECT}-count`, { ...ALARM, metric: "Bounce", statistic: "Sum", threshold: 10 }),
      res("alarm", `${PROJECT}-ok-actions`, { ...ALARM, okActions: ["arn:aws:sns:us-east-1:1:x"] }),
    ]);
    const why = reasons(r);
    expect(Object.keys(why).sort()).toEqual([
      "alarm/acme-count",
      "alarm/acme-gte",
      "alarm/acme-math",
      "alarm/acme-ok-actions",
      "alarm/ops-bounces",
    ]);
    expect(why["alarm/acme-gte"]).toBe(
      "comparison GreaterThanOrEqualToThreshold (mailops makes GreaterThanThreshold)",
    );
    expect(why["alarm/ops-bounces"]).toContain("its name does not start with `acme-`");
    expect(why["alarm/acme-math"]).toContain("(metric math)");
    expect(why["alarm/acme-count"]).toContain("threshold 10");
    expect(why["alarm/acme-count"]).toContain("statistic Sum");
    expect(why["alarm/acme-ok-actions"]).toContain("OK or insufficient-data actions");
    const text = allText(r);
    expect(text).toContain("  ok:\n");
    for (const name of ["gte", "math", "count", "ok-actions", "ops-bounces"])
      expect(text).not.toContain(`${name}:`);
  });

  it("an identity signing with its own DKIM keys, a contact list with opted-out topics, a Firehose destination", () => {
    const r = run([
      res("identity", "byo.example.com", {
        type: "domain",
        dkim: { signing: true, keyLength: "RSA_2048_BIT", origin: "EXTERNAL" },
        mailFrom: null,
        configurationSet: null,
      }),
      res("contact-list", "news", {
        description: "",
        topics: [
          { name: "weekly", displayName: "Weekly", defaultStatus: "OPT_IN" },
          { name: "offers", displayName: "Offers", defaultStatus: "OPT_OUT" },
        ],
      }),
      res("configuration-set", "marketing", { tls: "optional" }),
      res("event-destination", "marketing/firehose", {
        enabled: true,
        types: ["SEND"],
        cloudwatch: null,
        sns: null,
        eventbridge: null,
      }),
    ]);
    expect(reasons(r)).toEqual({
      "identity/byo.example.com":
        "it signs with DKIM keys of its own (origin EXTERNAL), which mailops does not manage",
      "contact-list/news": "its topics offers are opted out by default; mailops makes every topic opted in",
      "event-destination/marketing/firehose":
        "it sends to a destination mailops does not manage (Kinesis Data Firehose or Amazon Pinpoint)",
    });
    const text = allText(r);
    expect(text).not.toContain("byo.example.com");
    expect(text).not.toContain("contact_list");
    expect(text).not.toContain("firehose");
    expect(text).toContain("marketing:");
  });

  it("what another mailops project owns, by its tag", () => {
    const theirs = { [OWNER_TAG]: "other-project" };
    const r = run([
      res("template", "their-template", { subject: "s", html: "<p>h</p>", text: "t" }, theirs),
      res("template", "ours", { subject: "s", html: "<p>h</p>", text: "t" }, { [OWNER_TAG]: PROJECT }),
      res("template", "nobodys", { subject: "s", html: "<p>h</p>", text: "t" }),
      res("configuration-set", "their-set", { tls: "optional" }, theirs),
    ]);
    expect(Object.keys(reasons(r)).sort()).toEqual([
      "configuration-set/their-set",
      "template/their-template",
    ]);
    expect(reasons(r)["template/their-template"]).toContain("belongs to mailops project other-project");
    expect(
      r.files
        .map((f) => f.path)
        .filter((p) => p.startsWith("templates/"))
        .sort(),
    ).toEqual([
      "templates/nobodys.html",
      "templates/nobodys.txt",
      "templates/nobodys.yaml",
      "templates/ours.html",
      "templates/ours.txt",
      "templates/ours.yaml",
    ]);
  });

  it("a second contact list, a second SES dashboard, a dashboard of other metrics, a name no file takes", () => {
    const ses = { body: JSON.stringify({ widgets: [{ properties: { metrics: [["AWS/SES", "Send"]] } }] }) };
    const ec2 = {
      body: JSON.stringify({ widgets: [{ properties: { metrics: [["AWS/EC2", "CPUUtilization"]] } }] }),
    };
    const r = run([
      res("contact-list", "a-list", { topics: [] }),
      res("contact-list", "b-list", { topics: [] }),
      res("dashboard", "a-ses", ses),
      res("dashboard", "b-ses", ses),
      res("dashboard", "servers", ec2),
      res("template", "../escape", { subject: "s", html: "", text: "t" }),
    ]);
    expect(reasons(r)).toEqual({
      "contact-list/b-list": "mailops manages one contact list (a-list)",
      "dashboard/b-ses": "mailops manages one dashboard (a-ses)",
      "dashboard/servers": "it shows no SES metric",
      "template/../escape": "its name is not a file name mailops takes (letters, digits, - and _)",
    });
    expect(r.files.map((f) => f.path).sort()).toEqual(["dashboards/a-ses.json", "mailops.yaml"]);
  });
});

describe("event topics", () => {
  const destination = (arn: string) =>
    res("event-destination", "marketing/events", {
      enabled: true,
      types: ["BOUNCE"],
      cloudwatch: null,
      sns: { topicArn: arn },
      eventbridge: null,
    });
  const set = res("configuration-set", "marketing", { tls: "require" });
  const ours = fillAccount(topicPolicy({ region: "us-east-1" }, "events", ["marketing"]), ACCOUNT);
  const arn = `arn:aws:sns:us-east-1:${ACCOUNT}:events`;

  /** The `sns:` of the destination, as mailops.yaml writes it. */
  const snsOf = (r: ReturnType<typeof run>) =>
    parse(r.files[0]?.text ?? "").configuration_sets.marketing.events[0].sns;

  it("a topic with the policy mailops writes is named by `topic` and imported", () => {
    const r = run([set, destination(arn), res("sns-topic", "events", { policy: ours })]);
    expect(snsOf(r)).toEqual({ topic: "events", adopt: true });
    expect(r.files[0]?.resources).toContain("sns-topic/events");
  });

  it.each([
    ["another policy", arn, { policy: { Version: "2012-10-17", Statement: [] } }, undefined],
    ["another account", "arn:aws:sns:us-east-1:999999999999:events", { policy: ours }, undefined],
    ["another region", `arn:aws:sns:eu-west-1:${ACCOUNT}:events`, { policy: ours }, undefined],
    ["another project's topic", arn, { policy: ours }, { [OWNER_TAG]: "other" }],
  ])("with %s, the destination names its ARN and the topic is left alone", (_, topicArn, spec, tags) => {
    const r = run([set, destination(topicArn), res("sns-topic", "events", spec, tags)]);
    expect(snsOf(r)).toEqual({ topic_arn: topicArn });
    expect(r.files[0]?.resources).not.toContain("sns-topic/events");
    expect(r.notImported).toEqual([]);
  });
});

describe("parts", () => {
  const live = [
    res("template", "t", { subject: "s", html: "", text: "t" }),
    res("alarm", `${PROJECT}-a`, ALARM),
    res("configuration-set", "c", { tls: "require" }),
  ];

  it("--only templates: the templates, and mailops.yaml with no other part", () => {
    const r = run(live, { sections: ["templates"] });
    expect(r.files.map((f) => f.path)).toEqual(["mailops.yaml", "templates/t.yaml", "templates/t.txt"]);
    expect(r.files[0]?.text).not.toContain("alarms:");
    expect(r.files[0]?.text).not.toContain("configuration_sets:");
  });

  it("without mailops.yaml (one exists, and no part of it is asked for): the templates alone", () => {
    const r = run(live, { sections: ["templates"], withSettings: false });
    expect(r.files.map((f) => f.path)).toEqual(["templates/t.yaml", "templates/t.txt"]);
  });

  it("no contact list: link mode with the URL given, else a note", () => {
    expect(
      run([], { settings: { project: PROJECT, state: "s", from: "a@b.c", unsubscribeUrl: "https://x/u" } })
        .files[0]?.text,
    ).toContain("unsubscribe:\n  mode: link\n  url: https://x/u\n");
    const r = run([]);
    expect(r.files[0]?.text).not.toContain("unsubscribe");
    expect(r.notes.join("\n")).toContain("mailops.yaml has no `unsubscribe:`");
  });
});
