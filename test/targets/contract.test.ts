/**
 * One contract, two targets: the same plan/apply scenarios on `local` and on `aws`, through the
 * commands a user runs (runPlan / runApply with the production target factory).
 *
 * How `aws` reaches the emulators: exactly as it reaches AWS. The adapter takes no endpoint
 * option; the SDK reads AWS_ENDPOINT_URL_SESV2 / AWS_ENDPOINT_URL_CLOUDWATCH (stubbed by
 * resetAwsWorld, with fake credentials). SES v2 is one endpoint, served in tests by two emulators,
 * so AWS_ENDPOINT_URL_SESV2 points at the test router (test/support/ses-router.ts), which sends
 * each operation to the emulator that serves it: templates and GetAccount to aws-ses-v2-local,
 * configuration sets, contact lists, tags and identities to moto. Routing in the harness keeps
 * per-emulator knowledge out of the product. The few operations neither serves (event
 * destinations, configuration set option updates, UpdateContactList) are stood in for at the
 * client with aws-sdk-client-mock (test/support/ses-unemulated.ts), and their request shapes are
 * pinned at the end of this file.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetDashboardCommand,
  PutDashboardCommand,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
} from "@aws-sdk/client-cloudwatch";
import {
  CreateConfigurationSetEventDestinationCommand,
  CreateEmailIdentityCommand,
  CreateEmailTemplateCommand,
  GetAccountCommand,
  GetEmailIdentityCommand,
  GetEmailTemplateCommand,
  PutConfigurationSetDeliveryOptionsCommand,
  PutConfigurationSetTrackingOptionsCommand,
  SESv2Client,
  UpdateConfigurationSetEventDestinationCommand,
  UpdateContactListCommand,
  UpdateEmailTemplateCommand,
} from "@aws-sdk/client-sesv2";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { runPlan } from "../../src/cli/plan.js";
import { ApplyRefusedError } from "../../src/errors.js";
import { INVENTORY_KEY } from "../../src/plan/inventory.js";
import { KINDS } from "../../src/plan/resource.js";
import { AwsTarget } from "../../src/targets/aws/index.js";
import { LocalTarget } from "../../src/targets/local/resources.js";
import { resetAwsWorld } from "../support/aws-world.js";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, useEmulators } from "../support/emulators.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";
import { mockUnemulatedSes, type UnemulatedSes } from "../support/ses-unemulated.js";

const emulators = useEmulators({ sesRouter: true });

/** What a scenario needs to do to a target behind mailops' back, and to check independently. */
interface Harness {
  readonly name: "local" | "aws";
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  reset(): Promise<void>;
  /** Create a template without mailops (no tags, no inventory). */
  createOutside(dir: string, name: string, subject: string): Promise<void>;
  /** Change an existing template's subject without mailops. */
  editOutside(dir: string, name: string, subject: string): Promise<void>;
  /** The template's subject as stored, read without the adapter; undefined when absent. */
  subjectOf(dir: string, name: string): Promise<string | undefined>;
  /** The alarm as stored, read without the adapter. */
  alarmOf(dir: string, name: string): Promise<AlarmFacts>;
  /** Set an alarm's comparison operator without mailops (as an earlier mailops made it). */
  setAlarmComparison(dir: string, name: string, comparison: string): Promise<void>;
}

interface AlarmFacts {
  metric: unknown;
  statistic: unknown;
  comparison: unknown;
  threshold: unknown;
}

const localHarness: Harness = {
  name: "local",
  setUp: async () => {},
  tearDown: async () => {},
  reset: async () => {},
  async createOutside(dir, name, subject) {
    mkdirSync(path.dirname(localFile(dir, name)), { recursive: true });
    writeFileSync(
      localFile(dir, name),
      JSON.stringify({ spec: { subject, html: "<p>theirs</p>", text: "theirs" }, tags: {} }),
    );
  },
  async editOutside(dir, name, subject) {
    const stored = JSON.parse(readFileSync(localFile(dir, name), "utf8"));
    stored.spec.subject = subject;
    writeFileSync(localFile(dir, name), JSON.stringify(stored));
  },
  async subjectOf(dir, name) {
    try {
      return JSON.parse(readFileSync(localFile(dir, name), "utf8")).spec.subject;
    } catch {
      return undefined;
    }
  },
  async alarmOf(dir, name) {
    const { metric, statistic, comparison, threshold } = JSON.parse(
      readFileSync(localFile(dir, name, "alarm"), "utf8"),
    ).spec;
    return { metric, statistic, comparison, threshold };
  },
  async setAlarmComparison(dir, name, comparison) {
    const file = localFile(dir, name, "alarm");
    const stored = JSON.parse(readFileSync(file, "utf8"));
    stored.spec.comparison = comparison;
    writeFileSync(file, JSON.stringify(stored));
  },
};

function localFile(dir: string, name: string, kind = "template"): string {
  return path.join(dir, ".mailops/local", kind, `${name}.json`);
}

let unemulated: UnemulatedSes;
/** An SES client of someone else's: straight to the router, bypassing mailops. */
const outsider = () =>
  new SESv2Client({
    region: EMULATOR_REGION,
    endpoint: emulators.sesRouter.endpoint,
    credentials: EMULATOR_CREDENTIALS,
  });

const awsHarness: Harness = {
  name: "aws",
  async setUp() {
    unemulated = mockUnemulatedSes();
  },
  async tearDown() {
    unemulated.restore();
    vi.unstubAllEnvs();
  },
  // Emulators, stand-in and router cleared; the env (endpoints, rates raised) stubbed again.
  reset: () => resetAwsWorld(emulators, unemulated),
  async createOutside(_dir, name, subject) {
    await outsider().send(
      new CreateEmailTemplateCommand({
        TemplateName: name,
        TemplateContent: { Subject: subject, Html: "<p>theirs</p>", Text: "theirs" },
      }),
    );
  },
  async editOutside(_dir, name, subject) {
    const client = outsider();
    const got = await client.send(new GetEmailTemplateCommand({ TemplateName: name }));
    await client.send(
      new UpdateEmailTemplateCommand({
        TemplateName: name,
        TemplateContent: { ...got.TemplateContent, Subject: subject },
      }),
    );
  },
  async subjectOf(_dir, name) {
    try {
      const got = await outsider().send(new GetEmailTemplateCommand({ TemplateName: name }));
      return got.TemplateContent?.Subject;
    } catch (e) {
      if ((e as Error).name === "NotFoundException") return undefined;
      throw e;
    }
  },
  async alarmOf(_dir, name) {
    const a = await describeAlarm(name);
    // The namespace is what makes the metric SES's: asserted here, where CloudWatch has one.
    expect(a.Namespace).toBe("AWS/SES");
    return {
      metric: a.MetricName,
      statistic: a.Statistic,
      comparison: a.ComparisonOperator,
      threshold: a.Threshold,
    };
  },
  async setAlarmComparison(_dir, name, comparison) {
    const a = await describeAlarm(name);
    await outsideCloudWatch().send(
      new PutMetricAlarmCommand({
        ...(a as PutMetricAlarmCommandInput),
        AlarmName: name,
        ComparisonOperator: comparison as PutMetricAlarmCommandInput["ComparisonOperator"],
      }),
    );
  },
};

/** A CloudWatch client of someone else's, straight to moto. */
const outsideCloudWatch = () =>
  new CloudWatchClient({
    region: EMULATOR_REGION,
    endpoint: emulators.moto.endpoint,
    credentials: EMULATOR_CREDENTIALS,
  });

async function describeAlarm(name: string) {
  const got = await outsideCloudWatch().send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
  const alarm = got.MetricAlarms?.[0];
  if (!alarm) throw new Error(`no alarm ${name}`);
  return alarm;
}

/** The example repository with more of what SES and CloudWatch can default, reorder or reformat. */
const RICHER_SETTINGS = `
configuration_sets:
  marketing:
    tls: optional
    reputation_metrics: true
    sending_enabled: true
    suppress: [complaint]
    tracking: { custom_redirect_domain: click.example.com, https_policy: require }
    events:
      - name: metrics
        types: [send, delivery, bounce, complaint, open, click]
        cloudwatch:
          dimensions:
            campaign: { from: message_tag, default: none }
            audience: { from: message_tag, default: all }
            variant: { from: email_header, default: a }
      - name: feedback
        types: [complaint, bounce]
        sns: { topic_arn: "arn:aws:sns:us-east-1:123456789012:ses-feedback" }
      - name: by-variant
        types: [click, open, delivery]
        cloudwatch:
          dimensions:
            variant: { from: message_tag, default: none }
            campaign: { from: message_tag, default: none }

alarms:
  bounce-rate:
    metric: bounce_rate
    above: 0.05
    period: 1h
    evaluation_periods: 3
    configuration_set: marketing
    actions:
      - "arn:aws:sns:us-east-1:123456789012:pager"
      - "arn:aws:sns:us-east-1:123456789012:alarms"
  complaint-rate:
    metric: complaint_rate
    above: 0.001
    period: 15m
`;

function richer(dir: string): void {
  const file = path.join(dir, "mailops.yaml");
  const yaml = readFileSync(file, "utf8");
  const start = yaml.indexOf("configuration_sets:");
  const end = yaml.indexOf("dashboard:");
  writeFileSync(file, `${yaml.slice(0, start)}${RICHER_SETTINGS.trimStart()}\n${yaml.slice(end)}`);
}

function edit(dir: string, rel: string, from: string, to: string): void {
  const file = path.join(dir, rel);
  const text = readFileSync(file, "utf8");
  if (!text.includes(from)) throw new Error(`${rel} does not contain ${from}`);
  writeFileSync(file, text.replace(from, to));
}

function inventoryOf(dir: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, ".mailops/state", INVENTORY_KEY), "utf8")).resources;
  } catch {
    return undefined;
  }
}

/**
 * For the tests of the calling describe: the target set up once, reset before each test, and a
 * fresh copy of the example repository (`prepare`d, if given) that the returned `dir` names.
 */
function useTargetRepo(
  harness: Harness,
  prepare?: (dir: string) => Promise<unknown>,
): { readonly dir: string } {
  let repo: ReturnType<typeof copyExampleRepo> | undefined;
  beforeAll(() => harness.setUp());
  afterAll(() => harness.tearDown());
  beforeEach(async () => {
    await harness.reset();
    const copy = copyExampleRepo();
    repo = copy;
    await prepare?.(copy.dir);
    return () => copy.cleanup();
  });
  return {
    get dir() {
      if (!repo) throw new Error("useTargetRepo: no repository before the first test");
      return repo.dir;
    },
  };
}

describe.each([localHarness, awsHarness])("the $name target", (harness) => {
  const repo = useTargetRepo(harness);

  const plan = async (extra: { out?: string; format?: "text" | "json" } = {}) => {
    const io = captureIo();
    const code = await runPlan(
      {
        dir: repo.dir,
        target: harness.name,
        format: extra.format ?? "text",
        detailedExitcode: true,
        ...extra,
      },
      io,
    );
    return { code, text: io.outText };
  };
  const apply = async (extra: { plan?: string; force?: boolean } = {}) => {
    const io = captureIo();
    const code = await runApply({ dir: repo.dir, target: harness.name, ...extra }, io);
    return { code, text: io.outText };
  };

  it("applies the example repository, then plans no changes", async () => {
    const first = await plan();
    expect(first.code).toBe(2);
    expect(first.text).toContain("Plan: 12 to create, 0 to update, 0 to delete.");
    expect((await apply()).text).toContain("Apply complete: 12 changes applied.");
    const again = await plan();
    expect(again.text).toContain("No changes. SES and CloudWatch match the repository.");
    expect(again.code).toBe(0);
    expect(Object.keys(inventoryOf(repo.dir) ?? {}).sort()).toEqual([
      "alarm/acme-marketing-bounce-rate",
      "alarm/acme-marketing-complaint-rate",
      "configuration-set/marketing",
      "contact-list/acme",
      "dashboard/email-marketing",
      "event-destination/marketing/by-variant",
      "event-destination/marketing/metrics",
      "identity/example.com",
      "template/product-promotion",
      "template/product-promotion--deadline",
      "template/product-promotion--offer",
      "template/welcome-campaign",
    ]);
    // A re-run changes nothing.
    expect((await apply()).text).toContain("Nothing to apply.");
  });

  it("lists what exists of each kind by the names read takes, whoever made it", async () => {
    const target =
      harness.name === "aws" ? new AwsTarget({ region: EMULATOR_REGION }) : new LocalTarget(repo.dir);
    for (const kind of KINDS) expect(await target.list(kind), kind).toEqual([]);
    await apply();
    await harness.createOutside(repo.dir, "theirs", "Not ours");
    const listed = Object.fromEntries(await Promise.all(KINDS.map(async (k) => [k, await target.list(k)])));
    expect(listed).toEqual({
      "contact-list": ["acme"],
      "sns-topic": [],
      "configuration-set": ["marketing"],
      "event-destination": ["marketing/by-variant", "marketing/metrics"],
      identity: ["example.com"],
      template: [
        "product-promotion",
        "product-promotion--deadline",
        "product-promotion--offer",
        "theirs",
        "welcome-campaign",
      ],
      alarm: ["acme-marketing-bounce-rate", "acme-marketing-complaint-rate"],
      dashboard: ["email-marketing"],
    });
    const read = await target.read(
      KINDS.flatMap((kind) => listed[kind].map((name: string) => ({ kind, name }))),
    );
    expect(read.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(
      KINDS.flatMap((kind) => listed[kind].map((name: string) => `${kind}/${name}`)).sort(),
    );
  });

  it("converges with options the APIs default, reorder or drop (tracking, TLS, alarm actions, dimensions)", async () => {
    richer(repo.dir);
    expect((await apply()).text).toContain("Apply complete: 12 changes applied.");
    const again = await plan();
    expect(again.text).toContain("No changes.");
    expect(again.code).toBe(0);
  });

  it("shows an edited subject as an update with the old and new text, and applies it", async () => {
    await apply();
    edit(repo.dir, "templates/welcome-campaign.yaml", "Welcome to Our Community", "Welcome aboard");
    const p = await plan();
    expect(p.code).toBe(2);
    expect(p.text).toContain("~ update email template welcome-campaign: subject");
    expect(p.text).toContain("-Welcome to Our Community, {{name}}!");
    expect(p.text).toContain("+Welcome aboard, {{name}}!");
    expect(p.text).toContain("Plan: 0 to create, 1 to update, 0 to delete.");
    await apply();
    expect(await harness.subjectOf(repo.dir, "welcome-campaign")).toBe("Welcome aboard, {{name}}!");
    expect((await plan()).code).toBe(0);
  });

  it("shows option edits as updates of exactly the changed fields, and converges", async () => {
    await apply();
    edit(repo.dir, "mailops.yaml", "tls: require", "tls: optional");
    edit(repo.dir, "mailops.yaml", '"Offers and promotions"', '"Deals"');
    edit(repo.dir, "mailops.yaml", "types: [send, delivery,", "types: [delivery,");
    const p = await plan();
    expect(p.text).toContain("~ update contact list acme: topics");
    expect(p.text).toContain("~ update configuration set marketing: tls");
    expect(p.text).toContain('tls: "require" → "optional"');
    expect(p.text).toContain("~ update event destination marketing/metrics: types");
    expect(p.text).toContain("Plan: 0 to create, 3 to update, 0 to delete.");
    expect((await apply()).text).toContain("Apply complete: 3 changes applied.");
    expect((await plan()).text).toContain("No changes.");
  });

  it("shows a deleted template file as a delete, and applies it", async () => {
    // Without the A/B draft, whose variant templates would be deleted with it (3 of 4 templates,
    // above max_delete_percent): one template file removed is one delete.
    rmSync(path.join(repo.dir, "campaigns/spring-sale.yaml"));
    await apply();
    rmSync(path.join(repo.dir, "campaigns/holiday-promo.yaml"));
    rmSync(path.join(repo.dir, "campaigns/weekly-newsletter.yaml"));
    for (const ext of ["yaml", "html", "txt"])
      rmSync(path.join(repo.dir, `templates/product-promotion.${ext}`));
    const p = await plan();
    expect(p.text).toContain("- delete email template product-promotion (removed from the repository)");
    // The dashboard loses the two campaigns' lines.
    expect(p.text).toContain("~ update CloudWatch dashboard email-marketing: body");
    expect(p.text).toContain("Plan: 0 to create, 1 to update, 1 to delete.");
    await apply();
    expect(await harness.subjectOf(repo.dir, "product-promotion")).toBeUndefined();
    expect(inventoryOf(repo.dir)).not.toHaveProperty("template/product-promotion");
    expect((await plan()).text).toContain("No changes.");
  });

  it("reports a same-name template it does not own, refuses to apply, and leaves it untouched", async () => {
    await harness.createOutside(repo.dir, "welcome-campaign", "Theirs");
    const p = await plan();
    expect(p.text).toContain("! email template welcome-campaign exists and is not managed by mailops");
    expect(p.text).toContain("1 not managed (skipped)");
    expect(p.text).not.toContain("update email template welcome-campaign");
    await expect(apply()).rejects.toThrow(ApplyRefusedError);
    expect(await harness.subjectOf(repo.dir, "welcome-campaign")).toBe("Theirs");
    // Refused before anything was applied.
    expect(inventoryOf(repo.dir)).toBeUndefined();
  });

  it("recognizes what it tagged after the inventory is lost; what takes no tags needs adopting", async () => {
    await apply();
    rmSync(path.join(repo.dir, ".mailops/state", INVENTORY_KEY));
    const p = await plan({ format: "json" });
    const json = JSON.parse(p.text);
    expect(json.changes).toEqual([]);
    // Dashboards and event destinations take no tags in AWS: only the inventory said they were ours.
    expect(json.conflicts.map((c: { kind: string; name: string }) => `${c.kind}/${c.name}`).sort()).toEqual([
      "dashboard/email-marketing",
      "event-destination/marketing/by-variant",
      "event-destination/marketing/metrics",
    ]);
  });

  it("refuses a stale plan file and leaves the newer change alone", async () => {
    await apply();
    edit(repo.dir, "templates/welcome-campaign.yaml", "Welcome to Our Community", "Welcome aboard");
    const out = path.join(repo.dir, "plan.json");
    await plan({ out });
    await harness.editOutside(repo.dir, "welcome-campaign", "Changed elsewhere");
    const before = inventoryOf(repo.dir);
    const refused = apply({ plan: out });
    await expect(refused).rejects.toThrow(ApplyRefusedError);
    await expect(refused).rejects.toThrow("live state changed since this plan was made");
    expect(await harness.subjectOf(repo.dir, "welcome-campaign")).toBe("Changed elsewhere");
    expect(inventoryOf(repo.dir)).toEqual(before);
  });

  it("refuses a plan file when a declared resource outside the plan changed live", async () => {
    await apply();
    edit(repo.dir, "templates/welcome-campaign.yaml", "Welcome to Our Community", "Welcome aboard");
    const out = path.join(repo.dir, "plan.json");
    await plan({ out });
    // product-promotion is declared and owned, and not in the plan.
    await harness.editOutside(repo.dir, "product-promotion", "Changed elsewhere");
    const before = inventoryOf(repo.dir);
    const refused = apply({ plan: out });
    await expect(refused).rejects.toThrow(ApplyRefusedError);
    await expect(refused).rejects.toThrow("email template `product-promotion` was changed on the target");
    expect(await harness.subjectOf(repo.dir, "welcome-campaign")).toBe("Welcome to Our Community, {{name}}!");
    expect(await harness.subjectOf(repo.dir, "product-promotion")).toBe("Changed elsewhere");
    expect(inventoryOf(repo.dir)).toEqual(before);
  });

  it("applies a plan file despite a change to a resource the repository neither declares nor owns", async () => {
    await apply();
    edit(repo.dir, "templates/welcome-campaign.yaml", "Welcome to Our Community", "Welcome aboard");
    const out = path.join(repo.dir, "plan.json");
    await plan({ out });
    await harness.createOutside(repo.dir, "someone-elses", "Theirs");
    expect((await apply({ plan: out })).text).toContain("Apply complete: 1 change applied.");
    expect(await harness.subjectOf(repo.dir, "welcome-campaign")).toBe("Welcome aboard, {{name}}!");
    expect(await harness.subjectOf(repo.dir, "someone-elses")).toBe("Theirs");
  });

  it("alarms on the SES reputation rates (Average), strictly above the threshold", async () => {
    const p = await plan();
    expect(p.text).toContain("+ create CloudWatch alarm acme-marketing-bounce-rate");
    expect(p.text).toContain('comparison: "GreaterThanThreshold"');
    await apply();
    expect(await harness.alarmOf(repo.dir, "acme-marketing-bounce-rate")).toEqual({
      metric: "Reputation.BounceRate",
      statistic: "Average",
      comparison: "GreaterThanThreshold",
      threshold: 0.05,
    });
    expect(await harness.alarmOf(repo.dir, "acme-marketing-complaint-rate")).toEqual({
      metric: "Reputation.ComplaintRate",
      statistic: "Average",
      comparison: "GreaterThanThreshold",
      threshold: 0.001,
    });
  });

  it("plans an alarm made at-or-above (an earlier mailops) as an update of its operator", async () => {
    await apply();
    await harness.setAlarmComparison(repo.dir, "acme-marketing-bounce-rate", "GreaterThanOrEqualToThreshold");
    const p = await plan();
    expect(p.text).toContain("~ update CloudWatch alarm acme-marketing-bounce-rate: comparison\n");
    expect(p.text).toContain('comparison: "GreaterThanOrEqualToThreshold" → "GreaterThanThreshold"');
    expect(p.text).toContain("Plan: 0 to create, 1 to update, 0 to delete.");
    expect((await apply()).text).toContain("Apply complete: 1 change applied.");
    expect((await harness.alarmOf(repo.dir, "acme-marketing-bounce-rate")).comparison).toBe(
      "GreaterThanThreshold",
    );
    expect((await plan()).code).toBe(0);
  });

  it("applies a fresh plan file that changes one of many existing resources", async () => {
    await apply();
    edit(repo.dir, "templates/welcome-campaign.yaml", "Welcome to Our Community", "Welcome aboard");
    const out = path.join(repo.dir, "plan.json");
    await plan({ out });
    expect((await apply({ plan: out })).text).toContain("Apply complete: 1 change applied.");
    expect(await harness.subjectOf(repo.dir, "welcome-campaign")).toBe("Welcome aboard, {{name}}!");
  });
});

describe("aws: the operations no emulator serves, request shapes pinned", () => {
  const repo = useTargetRepo(awsHarness);
  const apply = () => runApply({ dir: repo.dir, target: "aws" }, captureIo());

  it("creates an event destination with exactly this input", async () => {
    await apply();
    expect(unemulated.calls(CreateConfigurationSetEventDestinationCommand)).toEqual([
      {
        ConfigurationSetName: "marketing",
        EventDestinationName: "by-variant",
        EventDestination: {
          Enabled: true,
          MatchingEventTypes: ["CLICK", "DELIVERY", "OPEN"],
          CloudWatchDestination: {
            DimensionConfigurations: [
              {
                DimensionName: "campaign",
                DimensionValueSource: "MESSAGE_TAG",
                DefaultDimensionValue: "none",
              },
              {
                DimensionName: "variant",
                DimensionValueSource: "MESSAGE_TAG",
                DefaultDimensionValue: "none",
              },
            ],
          },
        },
      },
      {
        ConfigurationSetName: "marketing",
        EventDestinationName: "metrics",
        EventDestination: {
          Enabled: true,
          MatchingEventTypes: [
            "BOUNCE",
            "CLICK",
            "COMPLAINT",
            "DELIVERY",
            "DELIVERY_DELAY",
            "OPEN",
            "REJECT",
            "RENDERING_FAILURE",
            "SEND",
          ],
          CloudWatchDestination: {
            DimensionConfigurations: [
              {
                DimensionName: "campaign",
                DimensionValueSource: "MESSAGE_TAG",
                DefaultDimensionValue: "none",
              },
            ],
          },
        },
      },
    ]);
  });

  it("updates only the option groups that changed, each with exactly its input", async () => {
    await apply();
    edit(repo.dir, "mailops.yaml", "tls: require", "tls: optional");
    edit(
      repo.dir,
      "mailops.yaml",
      "    sending_enabled: true\n",
      "    sending_enabled: true\n    tracking: { custom_redirect_domain: click.example.com }\n",
    );
    await apply();
    expect(unemulated.calls(PutConfigurationSetDeliveryOptionsCommand)).toEqual([
      { ConfigurationSetName: "marketing", TlsPolicy: "OPTIONAL" },
    ]);
    expect(unemulated.calls(PutConfigurationSetTrackingOptionsCommand)).toEqual([
      {
        ConfigurationSetName: "marketing",
        CustomRedirectDomain: "click.example.com",
        HttpsPolicy: "REQUIRE",
      },
    ]);
    // Reputation, sending and suppression did not change: not sent.
    expect(
      emulators.sesRouter.calls
        .filter((c) => /^PutConfigurationSet/.test(c.operation))
        .map((c) => c.operation),
    ).toEqual([]);
  });

  it("updates a contact list and an event destination with exactly this input", async () => {
    await apply();
    edit(repo.dir, "mailops.yaml", '"Offers and promotions"', '"Deals"');
    edit(repo.dir, "mailops.yaml", "default: none", "default: unknown");
    await apply();
    expect(unemulated.calls(UpdateContactListCommand)).toEqual([
      {
        ContactListName: "acme",
        Description: "Opt-outs for acme-marketing",
        Topics: [
          {
            TopicName: "onboarding",
            DisplayName: "Welcome and getting-started mail",
            DefaultSubscriptionStatus: "OPT_IN",
          },
          { TopicName: "promotions", DisplayName: "Deals", DefaultSubscriptionStatus: "OPT_IN" },
        ],
      },
    ]);
    expect(unemulated.calls(UpdateConfigurationSetEventDestinationCommand)).toEqual([
      {
        ConfigurationSetName: "marketing",
        EventDestinationName: "metrics",
        EventDestination: expect.objectContaining({
          CloudWatchDestination: {
            DimensionConfigurations: [
              {
                DimensionName: "campaign",
                DimensionValueSource: "MESSAGE_TAG",
                DefaultDimensionValue: "unknown",
              },
            ],
          },
        }),
      },
    ]);
  });
});

describe("aws: the APIs' own forms of the same values are not changes", () => {
  const repo = useTargetRepo(awsHarness, (dir) => runApply({ dir, target: "aws" }, captureIo()));
  const plan = async () => {
    const io = captureIo();
    const code = await runPlan({ dir: repo.dir, target: "aws", format: "text", detailedExitcode: true }, io);
    return { code, text: io.outText };
  };
  const cloudwatch = () =>
    new CloudWatchClient({
      region: EMULATOR_REGION,
      endpoint: emulators.moto.endpoint,
      credentials: EMULATOR_CREDENTIALS,
    });

  it("a dashboard body CloudWatch re-serialized (key order, spacing, 3600.0)", async () => {
    const cw = cloudwatch();
    const got = await cw.send(new GetDashboardCommand({ DashboardName: "email-marketing" }));
    const reordered = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reordered)
        : v && typeof v === "object"
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reordered(x)]),
            )
          : v;
    const body = JSON.stringify(reordered(JSON.parse(got.DashboardBody ?? "")), null, 2).replace(
      /"period": 3600/g,
      '"period": 3600.0',
    );
    expect(body).not.toBe(got.DashboardBody);
    await cw.send(new PutDashboardCommand({ DashboardName: "email-marketing", DashboardBody: body }));
    expect((await cw.send(new GetDashboardCommand({ DashboardName: "email-marketing" }))).DashboardBody).toBe(
      body,
    );
    const p = await plan();
    expect(p.text).toContain("No changes.");
    expect(p.code).toBe(0);
  });

  it("template parts with CRLF line ends and trailing whitespace", async () => {
    const client = outsider();
    const got = await client.send(new GetEmailTemplateCommand({ TemplateName: "welcome-campaign" }));
    const crlf = (s: string | undefined) => `${(s ?? "").replace(/\n/g, "  \r\n")}\r\n\r\n`;
    await client.send(
      new UpdateEmailTemplateCommand({
        TemplateName: "welcome-campaign",
        TemplateContent: {
          Subject: `${got.TemplateContent?.Subject} `,
          Html: crlf(got.TemplateContent?.Html),
          Text: crlf(got.TemplateContent?.Text),
        },
      }),
    );
    const p = await plan();
    expect(p.text).toContain("No changes.");
    // Whitespace inside a line is content: that is a change.
    await client.send(
      new UpdateEmailTemplateCommand({
        TemplateName: "welcome-campaign",
        TemplateContent: {
          ...got.TemplateContent,
          Html: got.TemplateContent?.Html?.replace("<h2>", "<h2> "),
        },
      }),
    );
    expect((await plan()).text).toContain("~ update email template welcome-campaign: html");
  });

  it("an alarm that states CloudWatch's defaults (DatapointsToAlarm = EvaluationPeriods)", async () => {
    const cw = cloudwatch();
    const [alarm] =
      (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ["acme-marketing-bounce-rate"] })))
        .MetricAlarms ?? [];
    expect(alarm?.TreatMissingData).toBe("ignore");
    await cw.send(
      new PutMetricAlarmCommand({
        ...(alarm as PutMetricAlarmCommandInput),
        AlarmName: "acme-marketing-bounce-rate",
        DatapointsToAlarm: alarm?.EvaluationPeriods,
      }),
    );
    expect((await plan()).text).toContain("No changes.");
    // Actions switched off outside mailops: a change, which apply turns back on.
    await cw.send(
      new PutMetricAlarmCommand({
        ...(alarm as PutMetricAlarmCommandInput),
        AlarmName: "acme-marketing-bounce-rate",
        ActionsEnabled: false,
      }),
    );
    const p = await plan();
    expect(p.text).toContain("~ update CloudWatch alarm acme-marketing-bounce-rate: actionsEnabled");
    await runApply({ dir: repo.dir, target: "aws" }, captureIo());
    expect((await plan()).text).toContain("No changes.");
  });
});

describe("aws: account facts become plan warnings", () => {
  // About a sender identity made outside mailops: the copy declares none under `identities:`.
  const repo = useTargetRepo(awsHarness, async (dir) => {
    const file = path.join(dir, "mailops.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/\nidentities:\n(?: {2}.*\n)+/, "\n"));
  });
  const warnings = async (): Promise<string[]> => {
    const io = captureIo();
    await runPlan({ dir: repo.dir, target: "aws", format: "json" }, io);
    return JSON.parse(io.outText).warnings;
  };
  const NOT_VERIFIED = "the sender identity example.com is not verified in SES: sending from it will fail";

  it("warns about an identity SES does not know, from the emulators' own answers", async () => {
    // aws-ses-v2-local: a production account with sending enabled; moto: no such identity (404).
    expect(await warnings()).toEqual([NOT_VERIFIED]);
  });

  it("warns about an identity that exists but is not verified for sending (moto's answer)", async () => {
    await outsider().send(new CreateEmailIdentityCommand({ EmailIdentity: "example.com" }));
    expect(await warnings()).toEqual([NOT_VERIFIED]);
    expect(emulators.sesRouter.calls.filter((c) => c.operation === "GetEmailIdentity").at(-1)).toMatchObject({
      path: "/v2/email/identities/example.com",
      target: "moto",
      status: 200,
    });
  });

  it("warns about the sandbox and paused sending; a verified identity is not mentioned", async () => {
    unemulated.account = {
      ProductionAccessEnabled: false,
      SendingEnabled: false,
      EnforcementStatus: "HEALTHY",
      SendQuota: { Max24HourSend: 200, MaxSendRate: 1, SentLast24Hours: 0 },
    };
    // Made outside mailops (moto), verified by SES (the stand-in: moto never verifies one).
    await outsider().send(new CreateEmailIdentityCommand({ EmailIdentity: "example.com" }));
    unemulated.identity = { VerifiedForSendingStatus: true, VerificationStatus: "SUCCESS" };
    expect(await warnings()).toEqual([
      "the SES account is in the sandbox: it sends only to verified addresses, at most 200 a day",
      "sending is disabled for this SES account",
    ]);
    expect(unemulated.calls(GetAccountCommand)).toEqual([{}]);
    expect(unemulated.calls(GetEmailIdentityCommand)).toEqual([{ EmailIdentity: "example.com" }]);
  });

  it("a healthy production account with a verified identity gives no warning", async () => {
    await outsider().send(new CreateEmailIdentityCommand({ EmailIdentity: "example.com" }));
    unemulated.identity = { VerifiedForSendingStatus: true };
    expect(await warnings()).toEqual([]);
  });
});
