/**
 * `mailops import` on the aws target, through the AWS SDK against the emulators: aws-ses-v2-local
 * serves the templates (ListEmailTemplates, GetEmailTemplate); moto serves configuration sets,
 * contact lists, identities (their List calls too), SNS, CloudWatch (DescribeAlarms, ListDashboards)
 * and the S3 state store. Event destinations and the attribute updates of identities and
 * configuration sets are served by neither: the stand-in (test/support/ses-unemulated.ts) answers
 * them, and later reads show what was written, as SES's would.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CloudWatchClient, PutDashboardCommand, PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import {
  CreateConfigurationSetCommand,
  CreateContactListCommand,
  CreateEmailIdentityCommand,
  CreateEmailTemplateCommand,
  SESv2Client,
} from "@aws-sdk/client-sesv2";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runApply } from "../../src/cli/apply.js";
import { runImport } from "../../src/cli/import.js";
import { runPlan } from "../../src/cli/plan.js";
import { runValidate } from "../../src/cli/validate.js";
import { PRODUCTION_ACCOUNT, useAwsWorld } from "../support/aws-world.js";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, motoS3, useEmulators } from "../support/emulators.js";
import { captureIo, copyExampleRepo, type ExampleRepo } from "../support/repo.js";

const emulators = useEmulators({ sesRouter: true });
useAwsWorld(emulators, { account: PRODUCTION_ACCOUNT });

const STATE = "s3://mailops-import-state/acme";
let example: ExampleRepo;
let dir: string;
beforeEach(async () => {
  const s3 = motoS3(emulators.moto.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: "mailops-import-state" }));
  s3.destroy();
  example = copyExampleRepo();
  // The recipe's event topic, made and owned by mailops; the state in S3, as a team on aws keeps it.
  const settings = example.read("mailops.yaml");
  example.write(
    "mailops.yaml",
    settings
      .replace(/^state: .*$/m, `state: ${STATE}`)
      .replace(
        "      # - name: notifications\n      #   types: [bounce, complaint, delivery]\n      #   sns: { topic: email-events }\n",
        "      - name: notifications\n        types: [bounce, complaint, delivery]\n        sns: { topic: email-events }\n",
      ),
  );
  expect(example.read("mailops.yaml")).toContain("sns: { topic: email-events }\n");
  dir = mkdtempSync(path.join(tmpdir(), "mailops-import-aws-"));
});
afterEach(() => {
  example.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const read = (root: string, rel: string) => readFileSync(path.join(root, rel), "utf8");
const importAws = async (options: Record<string, unknown>) => {
  const io = captureIo();
  const code = await runImport({ dir, target: "aws", region: EMULATOR_REGION, ...options }, io);
  return { code, text: io.outText };
};
const plan = async (root: string) => {
  const io = captureIo();
  const code = await runPlan({ dir: root, target: "aws", format: "text", detailedExitcode: true }, io);
  return { code, text: io.outText };
};

describe("import on aws", () => {
  it("the example, applied to a fresh account, imported into an empty folder: validates and plans no changes", async () => {
    expect(await runApply({ dir: example.dir, target: "aws" }, captureIo())).toBe(0);
    emulators.sesRouter.calls.length = 0;

    const { code, text } = await importAws({
      project: "acme-marketing",
      state: STATE,
      sender: "Acme Marketing <marketing@example.com>",
    });
    expect(code).toBe(0);
    expect(text).toContain("Imported from SES in us-east-1 (the aws target)");
    expect(text).not.toContain("Not imported");
    // What each emulator served: the lists through the SDK, as against SES.
    const operations = new Set(emulators.sesRouter.calls.map((c) => `${c.operation} ${c.target}`));
    for (const op of [
      "ListEmailTemplates ses-local",
      "ListConfigurationSets moto",
      "ListContactLists moto",
      "ListEmailIdentities moto",
    ])
      expect(operations, op).toContain(op);

    expect(runValidate({ dir, format: "text" }, () => {})).toBe(0);
    const planned = await plan(dir);
    expect(planned.text).toContain("No changes. SES and CloudWatch match the repository.");
    expect(planned.code).toBe(0);

    for (const name of ["welcome-campaign", "product-promotion"]) {
      for (const ext of ["html", "txt"])
        expect(read(dir, `templates/${name}.${ext}`), `${name}.${ext}`).toBe(
          read(example.dir, `templates/${name}.${ext}`),
        );
      expect(parse(read(dir, `templates/${name}.yaml`)).subject).toBe(
        parse(read(example.dir, `templates/${name}.yaml`)).subject,
      );
    }
    const settings = parse(read(dir, "mailops.yaml"));
    expect(settings.state).toBe(STATE);
    expect(settings.target).toBe("aws");
    // The topic mailops made (its policy is mailops' own) is named, not pointed at by ARN.
    expect(
      settings.configuration_sets.marketing.events.find((e: { name: string }) => e.name === "notifications")
        .sns,
    ).toEqual({
      topic: "email-events",
      adopt: true,
    });
  });

  it("an account mailops never touched: what fits is imported and adopted, the rest reported; apply adopts, then no changes", async () => {
    const ses = new SESv2Client({
      region: EMULATOR_REGION,
      endpoint: emulators.sesRouter.endpoint,
      credentials: EMULATOR_CREDENTIALS,
    });
    const cw = new CloudWatchClient({
      region: EMULATOR_REGION,
      endpoint: emulators.moto.endpoint,
      credentials: EMULATOR_CREDENTIALS,
    });
    const html = '<p>Hi {{name}}</p>\r\n<a href="{{amazonSESUnsubscribeUrl}}">Unsubscribe</a>\n';
    await ses.send(
      new CreateEmailTemplateCommand({
        TemplateName: "monthly-news",
        TemplateContent: {
          Subject: "News for {{name}}: #42",
          Html: html,
          Text: "Hi {{name}}. {{amazonSESUnsubscribeUrl}}",
        },
      }),
    );
    await ses.send(
      new CreateConfigurationSetCommand({
        ConfigurationSetName: "newsletters",
        DeliveryOptions: { TlsPolicy: "REQUIRE" },
      }),
    );
    await ses.send(
      new CreateContactListCommand({
        ContactListName: "newco",
        Description: "Newsletter opt-outs",
        Topics: [{ TopicName: "news", DisplayName: "Monthly news", DefaultSubscriptionStatus: "OPT_IN" }],
      }),
    );
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: "newco.example" }));
    const alarm = {
      Namespace: "AWS/SES",
      Statistic: "Average" as const,
      Period: 3600,
      EvaluationPeriods: 1,
      TreatMissingData: "ignore",
    };
    await cw.send(
      new PutMetricAlarmCommand({
        ...alarm,
        AlarmName: "newco-complaints",
        MetricName: "Reputation.ComplaintRate",
        Threshold: 0.001,
        ComparisonOperator: "GreaterThanThreshold",
        AlarmDescription: "Complaints",
      }),
    );
    await cw.send(
      new PutMetricAlarmCommand({
        ...alarm,
        AlarmName: "newco-bounces",
        MetricName: "Reputation.BounceRate",
        Threshold: 0.05,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
      }),
    );
    // Not on SES metrics: never listed.
    await cw.send(
      new PutMetricAlarmCommand({
        ...alarm,
        Namespace: "AWS/EC2",
        AlarmName: "newco-cpu",
        MetricName: "CPUUtilization",
        Threshold: 90,
        ComparisonOperator: "GreaterThanThreshold",
      }),
    );
    const body = {
      widgets: [
        {
          type: "metric",
          x: 0,
          y: 0,
          width: 12,
          height: 6,
          properties: { metrics: [["AWS/SES", "Send"]], region: EMULATOR_REGION },
        },
      ],
    };
    await cw.send(
      new PutDashboardCommand({ DashboardName: "newco-mail", DashboardBody: JSON.stringify(body) }),
    );

    const { text } = await importAws({
      project: "newco",
      state: ".mailops/state",
      sender: "Newco <news@newco.example>",
    });
    expect(text).toContain(
      "Not imported:\n  alarm newco-bounces: comparison GreaterThanOrEqualToThreshold (mailops makes GreaterThanThreshold)\n",
    );
    expect(text).not.toContain("newco-cpu");
    expect(read(dir, "templates/monthly-news.html")).toBe(html);
    const settings = parse(read(dir, "mailops.yaml"));
    expect(settings.unsubscribe).toEqual({
      mode: "ses-list",
      contact_list: "newco",
      topics: { news: "Monthly news" },
      description: "Newsletter opt-outs",
      adopt: true,
    });
    expect(Object.keys(settings.alarms)).toEqual(["complaints"]);
    expect(settings.dashboard).toEqual({
      name: "newco-mail",
      body: "dashboards/newco-mail.json",
      adopt: true,
    });
    expect(JSON.parse(read(dir, "dashboards/newco-mail.json"))).toEqual(body);
    expect(runValidate({ dir, format: "text" }, () => {})).toBe(0);

    // Nothing to change: only taking over what mailops did not create.
    const first = await plan(dir);
    expect(first.code).toBe(2);
    const changes = first.text.split("\n").filter((l) => /^\s*[~+-] /.test(l));
    expect(changes.length).toBeGreaterThan(0);
    for (const line of changes) expect(line, line).toMatch(/^\s*~ adopt /);
    expect(await runApply({ dir, target: "aws" }, captureIo())).toBe(0);
    const again = await plan(dir);
    expect(again.text).toContain("No changes. SES and CloudWatch match the repository.");
    expect(again.code).toBe(0);
  });
});
