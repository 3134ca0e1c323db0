/**
 * Identities and event topics as the plan sees them, pure: the desired specs mailops.yaml makes,
 * the DNS records each identity still needs (from what the target reports), and how the plan
 * shows them (a table and zone-file lines).
 */
import { describe, expect, it } from "vitest";
import { buildSettings } from "../../src/config/build.js";
import type { Project } from "../../src/config/model.js";
import { parseYaml } from "../../src/config/yaml.js";
import { desiredResources, needsAccount, withAccount } from "../../src/plan/desired.js";
import { identityReports, txtStrings, zoneFile } from "../../src/plan/identities.js";
import { ACCOUNT_PLACEHOLDER, type LiveResource } from "../../src/plan/resource.js";
import { identitiesMarkdown, identitiesText } from "../../src/present/plan/identities.js";

const settings = (yaml: string) => {
  const { doc } = parseYaml("mailops.yaml", `project: acme\nsender: { from: news@example.com }\n${yaml}`);
  return buildSettings("mailops.yaml", doc, true);
};
const project = (yaml: string): Project => ({
  root: ".",
  settings: settings(yaml),
  templates: new Map(),
  sources: new Map(),
  segments: new Map(),
  campaigns: new Map(),
  fileCount: 1,
});

const EXAMPLE = `
aws: { region: eu-west-1 }
identities:
  example.com:
    mail_from: { domain: mail.example.com }
    configuration_set: marketing
  news@example.com: {}
  example.org: { dkim: rsa_1024, dmarc: false }
  example.net: { dkim: false, mail_from: { domain: bounce.example.net, on_mx_failure: reject } }
`;

describe("desired identities", () => {
  it("Easy DKIM with a 2048-bit key by default; MAIL FROM, configuration set and DKIM as declared", () => {
    const specs = Object.fromEntries(
      desiredResources(project(EXAMPLE))
        .filter((r) => r.kind === "identity")
        .map((r) => [r.name, r.spec]),
    );
    expect(specs).toEqual({
      "example.com": {
        type: "domain",
        dkim: { signing: true, keyLength: "RSA_2048_BIT", origin: "AWS_SES" },
        mailFrom: { domain: "mail.example.com", onMxFailure: "USE_DEFAULT_VALUE" },
        configurationSet: "marketing",
      },
      "news@example.com": { type: "address", dkim: null, mailFrom: null, configurationSet: null },
      "example.org": {
        type: "domain",
        dkim: { signing: true, keyLength: "RSA_1024_BIT", origin: "AWS_SES" },
        mailFrom: null,
        configurationSet: null,
      },
      "example.net": {
        type: "domain",
        dkim: { signing: false },
        mailFrom: { domain: "bounce.example.net", onMxFailure: "REJECT_MESSAGE" },
        configurationSet: null,
      },
    });
  });
});

describe("desired event topics", () => {
  const topics = `
aws: { region: us-east-1 }
configuration_sets:
  marketing:
    events:
      - { name: notify, types: [bounce], sns: { topic: email-events } }
      - { name: elsewhere, types: [complaint], sns: { topic_arn: "arn:aws:sns:us-east-1:999:theirs" } }
  transactional:
    events:
      - { name: notify, types: [bounce], sns: { topic: email-events } }
`;

  it("one topic per name, whose policy lets SES publish for exactly the sets that send to it", () => {
    const desired = desiredResources(project(topics));
    const topic = desired.filter((r) => r.kind === "sns-topic");
    expect(topic.map((t) => [t.name, t.adopt])).toEqual([["email-events", false]]);
    const arn = `arn:aws:sns:us-east-1:${ACCOUNT_PLACEHOLDER}:email-events`;
    expect(topic[0]?.spec.policy).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AllowSesPublish",
          Effect: "Allow",
          Principal: { Service: "ses.amazonaws.com" },
          Action: "SNS:Publish",
          Resource: arn,
          Condition: {
            StringEquals: {
              "AWS:SourceAccount": ACCOUNT_PLACEHOLDER,
              "AWS:SourceArn": [
                `arn:aws:ses:us-east-1:${ACCOUNT_PLACEHOLDER}:configuration-set/marketing`,
                `arn:aws:ses:us-east-1:${ACCOUNT_PLACEHOLDER}:configuration-set/transactional`,
              ],
            },
          },
        },
      ],
    });
    const destinations = Object.fromEntries(
      desired.filter((r) => r.kind === "event-destination").map((r) => [r.name, r.spec.sns]),
    );
    expect(destinations).toEqual({
      "marketing/notify": { topicArn: arn },
      "marketing/elsewhere": { topicArn: "arn:aws:sns:us-east-1:999:theirs" },
      "transactional/notify": { topicArn: arn },
    });
  });

  it("the account fills in every placeholder once the target names it; a topic ARN alone needs none", () => {
    const desired = desiredResources(project(topics));
    expect(needsAccount(desired)).toBe(true);
    const filled = withAccount(desired, "123456789012");
    expect(needsAccount(filled)).toBe(false);
    expect(JSON.stringify(filled)).toContain("arn:aws:sns:us-east-1:123456789012:email-events");
    expect(JSON.stringify(filled)).toContain('"AWS:SourceAccount":"123456789012"');
    const arnOnly = desiredResources(
      project(
        `configuration_sets:\n  m:\n    events:\n      - { name: n, types: [bounce], sns: { topic_arn: "arn:aws:sns:us-east-1:1:t" } }\n`,
      ),
    );
    expect(needsAccount(arnOnly)).toBe(false);
  });

  it("China and GovCloud regions have their own partition", () => {
    const cn = desiredResources(
      project(
        `aws: { region: cn-north-1 }\nconfiguration_sets:\n  m:\n    events:\n      - { name: n, types: [bounce], sns: { topic: t } }\n`,
      ),
    );
    expect(JSON.stringify(cn)).toContain(`arn:aws-cn:sns:cn-north-1:${ACCOUNT_PLACEHOLDER}:t`);
  });
});

const liveIdentity = (
  name: string,
  spec: LiveResource["spec"],
  status: LiveResource["status"],
): LiveResource => ({
  kind: "identity",
  name,
  spec,
  tags: {},
  status,
});

describe("DNS records an identity still needs", () => {
  const s = settings(EXAMPLE);
  const pending = liveIdentity(
    "example.com",
    { type: "domain", mailFrom: { domain: "mail.example.com" } },
    {
      verification: "PENDING",
      verified: false,
      dkim: { status: "PENDING", tokens: ["tok1", "tok2", "tok3"], hostedZone: "dkim.amazonses.com" },
      mailFrom: { status: "PENDING" },
    },
  );

  it("the DKIM CNAMEs, the MAIL FROM MX and SPF TXT of the region, the recommended DMARC TXT", () => {
    const [com] = identityReports(s, [pending]);
    expect(com).toMatchObject({
      identity: "example.com",
      exists: true,
      verification: "PENDING",
      verified: false,
      dkim: { status: "PENDING" },
      mailFrom: { domain: "mail.example.com", status: "PENDING" },
      tokensPending: false,
    });
    expect(com?.records).toEqual([
      {
        type: "CNAME",
        name: "tok1._domainkey.example.com",
        value: "tok1.dkim.amazonses.com",
        purpose: "DKIM",
        state: "missing",
      },
      {
        type: "CNAME",
        name: "tok2._domainkey.example.com",
        value: "tok2.dkim.amazonses.com",
        purpose: "DKIM",
        state: "missing",
      },
      {
        type: "CNAME",
        name: "tok3._domainkey.example.com",
        value: "tok3.dkim.amazonses.com",
        purpose: "DKIM",
        state: "missing",
      },
      {
        type: "MX",
        name: "mail.example.com",
        value: "10 feedback-smtp.eu-west-1.amazonses.com",
        purpose: "MAIL FROM",
        state: "missing",
      },
      {
        type: "TXT",
        name: "mail.example.com",
        value: "v=spf1 include:amazonses.com ~all",
        purpose: "MAIL FROM",
        state: "missing",
      },
      {
        type: "TXT",
        name: "_dmarc.example.com",
        value: "v=DMARC1; p=none;",
        purpose: "DMARC",
        state: "recommended",
      },
    ]);
  });

  it("what SES found is published; a MAIL FROM domain changed in the repository is not yet found", () => {
    const found = liveIdentity(
      "example.com",
      { type: "domain", mailFrom: { domain: "old.example.com" } },
      {
        verification: "SUCCESS",
        verified: true,
        dkim: { status: "SUCCESS", tokens: ["tok1"], hostedZone: "dkim.eu-west-1.amazonses.com" },
        mailFrom: { status: "SUCCESS" },
      },
    );
    const [com] = identityReports(s, [found]);
    expect(com?.records.map((r) => [r.type, r.value, r.state])).toEqual([
      ["CNAME", "tok1.dkim.eu-west-1.amazonses.com", "published"],
      ["MX", "10 feedback-smtp.eu-west-1.amazonses.com", "missing"],
      ["TXT", "v=spf1 include:amazonses.com ~all", "missing"],
      ["TXT", "v=DMARC1; p=none;", "recommended"],
    ]);
    expect(com?.mailFrom).toEqual({ domain: "mail.example.com", status: "NOT_SET" });
  });

  it("not created: no tokens yet; an address has no records; DKIM off and DMARC off have none", () => {
    const reports = Object.fromEntries(identityReports(s, []).map((r) => [r.identity, r]));
    expect(reports["example.com"]).toMatchObject({
      exists: false,
      verification: "NOT_CREATED",
      tokensPending: true,
    });
    expect(reports["news@example.com"]).toMatchObject({ type: "address", tokensPending: false, records: [] });
    expect(reports["example.org"]?.records).toEqual([]);
    expect(reports["example.org"]?.tokensPending).toBe(true);
    expect(reports["example.net"]?.tokensPending).toBe(false);
    expect(reports["example.net"]?.records.map((r) => r.purpose)).toEqual([
      "MAIL FROM",
      "MAIL FROM",
      "DMARC",
    ]);
  });

  it("on a target that verifies at once (local), an identity to create waits for nothing", () => {
    const [com] = identityReports(s, [], { verifiesAtOnce: true });
    expect(com).toMatchObject({ exists: false, tokensPending: false, records: [] });
  });
});

describe("zone-file lines", () => {
  it("fully qualified names, CNAME and MX targets with their dot, TXT quoted", () => {
    const [com] = identityReports(settings(EXAMPLE), [
      liveIdentity(
        "example.com",
        { type: "domain", mailFrom: { domain: "mail.example.com" } },
        {
          verification: "PENDING",
          verified: false,
          dkim: { status: "PENDING", tokens: ["tok1"], hostedZone: "dkim.amazonses.com" },
        },
      ),
    ]);
    expect(zoneFile(com?.records ?? [])).toEqual([
      "tok1._domainkey.example.com. 3600 IN CNAME tok1.dkim.amazonses.com.",
      "mail.example.com. 3600 IN MX 10 feedback-smtp.eu-west-1.amazonses.com.",
      'mail.example.com. 3600 IN TXT "v=spf1 include:amazonses.com ~all"',
      '_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=none;"',
    ]);
  });

  it("TXT values escape quotes and backslashes and split at 255 bytes", () => {
    expect(txtStrings('a"b\\c')).toBe('"a\\"b\\\\c"');
    const long = `v=DMARC1; p=none; rua=mailto:${"x".repeat(300)}@example.com`;
    const parts = txtStrings(long).match(/"(?:[^"\\]|\\.)*"/g) ?? [];
    expect(parts.map((p) => p.length - 2)).toEqual([255, long.length - 255]);
    expect(parts.map((p) => p.slice(1, -1)).join("")).toBe(long);
  });
});

describe("how the plan shows identities", () => {
  const s = settings(EXAMPLE);
  const reports = identityReports(s, [
    liveIdentity(
      "example.com",
      { type: "domain", mailFrom: { domain: "mail.example.com" } },
      {
        verification: "PENDING",
        verified: false,
        dkim: { status: "PENDING", tokens: ["tok1"], hostedZone: "dkim.amazonses.com" },
        mailFrom: { status: "PENDING" },
      },
    ),
    liveIdentity(
      "example.org",
      { type: "domain" },
      {
        verification: "SUCCESS",
        verified: true,
        dkim: { status: "SUCCESS", tokens: ["t"], hostedZone: "dkim.amazonses.com" },
      },
    ),
  ]);

  it("text: a line per identity; the records still missing as a table and as zone-file lines", () => {
    const text = identitiesText(reports).join("\n");
    expect(text).toContain(
      "example.com (domain): not verified (pending); DKIM pending; MAIL FROM mail.example.com pending",
    );
    expect(text).toContain("CNAME  tok1._domainkey.example.com  tok1.dkim.amazonses.com");
    expect(text).toContain("tok1._domainkey.example.com. 3600 IN CNAME tok1.dkim.amazonses.com.");
    expect(text).toContain('_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=none;"');
    // Verified with DKIM found: one line, no records to nag about.
    expect(text).toContain("example.org (domain): verified; DKIM verified");
    expect(text).not.toContain("t._domainkey.example.org");
    expect(text).toContain("news@example.com (address): created by this plan");
  });

  it("markdown: a table and a zone block of what is missing", () => {
    const md = identitiesMarkdown(reports);
    expect(md).toContain("| CNAME | `tok1._domainkey.example.com` | `tok1.dkim.amazonses.com` | DKIM |");
    expect(md).toContain("```zone\ntok1._domainkey.example.com. 3600 IN CNAME tok1.dkim.amazonses.com.");
    expect(md).not.toContain("example.org.");
  });
});
