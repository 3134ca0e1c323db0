/**
 * Event topics on the aws target: an event destination names an SNS topic (`sns: { topic }`)
 * that mailops creates in moto's SNS (moto_server, through the SDK's own SNS client), tags and
 * owns, with the policy SES needs to publish; `topic_arn` still names a topic made elsewhere.
 * Event destinations themselves are served by neither emulator: the SES stand-in records their
 * input (test/support/ses-unemulated.ts).
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CreateConfigurationSetEventDestinationCommand } from "@aws-sdk/client-sesv2";
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  ListTagsForResourceCommand,
  ListTopicsCommand,
  SetTopicAttributesCommand,
  SNSClient,
} from "@aws-sdk/client-sns";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { runPlan } from "../../src/cli/plan.js";
import { ApplyRefusedError } from "../../src/errors.js";
import { ACCOUNT_PLACEHOLDER } from "../../src/plan/resource.js";
import { PRODUCTION_ACCOUNT, useAwsWorld } from "../support/aws-world.js";
import {
  EMULATOR_CREDENTIALS,
  EMULATOR_REGION,
  MOTO_ACCOUNT_ID,
  useEmulators,
} from "../support/emulators.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

const emulators = useEmulators({ sesRouter: true });
const unemulated = useAwsWorld(emulators, { account: PRODUCTION_ACCOUNT });
let repo: ReturnType<typeof copyExampleRepo>;
beforeEach(() => {
  repo = copyExampleRepo();
  // The example's commented event destination, switched on.
  edit(
    "      # - name: notifications\n      #   types: [bounce, complaint, delivery]\n      #   sns: { topic: email-events }",
    [
      "      - name: notifications",
      "        types: [bounce, complaint, delivery]",
      "        sns: { topic: email-events }",
    ].join("\n"),
  );
});
afterEach(() => {
  repo.cleanup();
  vi.restoreAllMocks();
});

/** The inputs of the SNS writes mailops makes (the test's own client only reads). */
function snsWrites() {
  const spy = vi.spyOn(SNSClient.prototype, "send");
  return () =>
    spy.mock.calls
      .map(([command]) => command)
      .filter((c) => c instanceof CreateTopicCommand || c instanceof SetTopicAttributesCommand)
      .map((c) => ({ [c.constructor.name]: c.input }));
}

function edit(from: string | RegExp, to: string): void {
  const file = path.join(repo.dir, "mailops.yaml");
  const before = readFileSync(file, "utf8");
  const after = before.replace(from, to);
  expect(after, `${String(from)} not found`).not.toBe(before);
  writeFileSync(file, after);
}
const plan = async (format: "text" | "json" = "text") => {
  const io = captureIo();
  const code = await runPlan({ dir: repo.dir, target: "aws", format, detailedExitcode: true }, io);
  return { code, text: io.outText };
};
const apply = async () => {
  const io = captureIo();
  const code = await runApply({ dir: repo.dir, target: "aws" }, io);
  return { code, text: io.outText };
};
/** SNS as someone else sees it: moto, straight. */
const sns = () =>
  new SNSClient({
    region: EMULATOR_REGION,
    endpoint: emulators.moto.endpoint,
    credentials: EMULATOR_CREDENTIALS,
  });
const ARN = `arn:aws:sns:${EMULATOR_REGION}:${MOTO_ACCOUNT_ID}:email-events`;
const topicArns = async () =>
  ((await sns().send(new ListTopicsCommand({}))).Topics ?? []).map((t) => t.TopicArn);
const policyOf = async (arn: string) =>
  JSON.parse(
    (await sns().send(new GetTopicAttributesCommand({ TopicArn: arn }))).Attributes?.Policy ?? "null",
  );

const SES_PUBLISH = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "AllowSesPublish",
      Effect: "Allow",
      Principal: { Service: "ses.amazonaws.com" },
      Action: "SNS:Publish",
      Resource: ARN,
      Condition: {
        StringEquals: {
          "AWS:SourceAccount": MOTO_ACCOUNT_ID,
          "AWS:SourceArn": `arn:aws:ses:${EMULATOR_REGION}:${MOTO_ACCOUNT_ID}:configuration-set/marketing`,
        },
      },
    },
  ],
};

describe("event topics on the aws target", () => {
  it("creates the topic tagged, with the policy that lets SES publish, and the destination with its ARN", async () => {
    // No topic in the region yet: the account is not known until CreateTopic names it.
    const first = await plan();
    expect(first.text).toContain("+ create SNS topic email-events");
    expect(first.text).toContain(`arn:aws:sns:us-east-1:${ACCOUNT_PLACEHOLDER}:email-events`);
    const writes = snsWrites();
    expect((await apply()).code).toBe(0);
    // Created without the policy, which names the account CreateTopic's answer gives.
    expect(writes()).toEqual([
      {
        CreateTopicCommand: {
          Name: "email-events",
          Tags: [{ Key: "mailops:project", Value: "acme-marketing" }],
        },
      },
      {
        SetTopicAttributesCommand: {
          TopicArn: ARN,
          AttributeName: "Policy",
          AttributeValue: JSON.stringify(SES_PUBLISH),
        },
      },
    ]);
    expect(await topicArns()).toEqual([ARN]);
    expect(await policyOf(ARN)).toEqual(SES_PUBLISH);
    const tags = await sns().send(new ListTagsForResourceCommand({ ResourceArn: ARN }));
    expect(tags.Tags).toEqual([{ Key: "mailops:project", Value: "acme-marketing" }]);
    expect(
      unemulated
        .calls(CreateConfigurationSetEventDestinationCommand)
        .find((c) => c.EventDestinationName === "notifications"),
    ).toEqual({
      ConfigurationSetName: "marketing",
      EventDestinationName: "notifications",
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: ["BOUNCE", "COMPLAINT", "DELIVERY"],
        SnsDestination: { TopicArn: ARN },
      },
    });
    const again = await plan();
    expect(again.text).toContain("No changes.");
    expect(again.code).toBe(0);
  });

  it("with a topic already in the region, the plan names the account and CreateTopic carries the policy", async () => {
    await sns().send(new CreateTopicCommand({ Name: "someone-elses" }));
    const p = await plan();
    expect(p.text).toContain(ARN);
    expect(p.text).not.toContain(ACCOUNT_PLACEHOLDER);
    const writes = snsWrites();
    await apply();
    expect(writes()).toEqual([
      {
        CreateTopicCommand: {
          Name: "email-events",
          Tags: [{ Key: "mailops:project", Value: "acme-marketing" }],
          Attributes: { Policy: JSON.stringify(SES_PUBLISH) },
        },
      },
    ]);
    expect(await policyOf(ARN)).toEqual(SES_PUBLISH);
    expect((await plan()).code).toBe(0);
  });

  it("a same-name topic made outside mailops is left alone until `adopt`, which puts the SES policy on it", async () => {
    await sns().send(new CreateTopicCommand({ Name: "email-events" }));
    const p = await plan();
    expect(p.text).toContain("! SNS topic email-events exists and is not managed by mailops");
    await expect(apply()).rejects.toThrow(ApplyRefusedError);
    edit("sns: { topic: email-events }", "sns: { topic: email-events, adopt: true }");
    expect((await plan()).text).toContain("~ update SNS topic email-events: policy (adopting it)");
    await apply();
    expect(await policyOf(ARN)).toEqual(SES_PUBLISH);
    expect((await plan()).code).toBe(0);
  });

  it("a topic removed from the repository is deleted; a topic_arn names one made elsewhere and makes none", async () => {
    await apply();
    await sns().send(new CreateTopicCommand({ Name: "theirs" }));
    const theirs = `arn:aws:sns:${EMULATOR_REGION}:${MOTO_ACCOUNT_ID}:theirs`;
    edit("sns: { topic: email-events }", `sns: { topic_arn: "${theirs}" }`);
    const p = await plan();
    expect(p.text).toContain("- delete SNS topic email-events (removed from the repository)");
    expect(p.text).toContain("~ update event destination marketing/notifications: sns");
    await apply();
    expect(await topicArns()).toEqual([theirs]);
    expect((await plan()).code).toBe(0);
  });
});
