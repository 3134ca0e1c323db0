/**
 * The SES router in front of aws-ses-v2-local and moto_server, driven by the real SDK client the
 * aws adapter uses: each operation reaches the emulator that serves it, and the corrections in
 * ses-router.ts (error names and messages, timestamps, the ListConfigurationSets path, template
 * and contact list tags) and its fault injection hold.
 */
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand as ListAlarmTagsCommand,
  PutMetricAlarmCommand,
} from "@aws-sdk/client-cloudwatch";
import {
  CreateConfigurationSetCommand,
  CreateContactListCommand,
  CreateEmailIdentityCommand,
  CreateEmailTemplateCommand,
  DeleteConfigurationSetCommand,
  DeleteContactListCommand,
  DeleteEmailTemplateCommand,
  GetAccountCommand,
  GetConfigurationSetCommand,
  GetContactListCommand,
  GetEmailTemplateCommand,
  ListConfigurationSetsCommand,
  ListContactListsCommand,
  ListEmailIdentitiesCommand,
  ListTagsForResourceCommand,
  PutConfigurationSetDeliveryOptionsCommand,
  SESv2Client,
  SendBulkEmailCommand,
  SendEmailCommand,
} from "@aws-sdk/client-sesv2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_SES_ACCOUNT,
  EMULATOR_CREDENTIALS,
  EMULATOR_REGION,
  MOTO_ACCOUNT_ID,
  useEmulators,
} from "../support/emulators.js";
import { routeSesRequest } from "../support/ses-router.js";

const emulators = useEmulators({ sesRouter: true });
let ses: SESv2Client;

beforeAll(() => {
  ses = new SESv2Client({
    endpoint: emulators.sesRouter.endpoint,
    region: EMULATOR_REGION,
    credentials: EMULATOR_CREDENTIALS,
    maxAttempts: 1,
  });
});

afterAll(() => ses?.destroy());

describe("routeSesRequest", () => {
  it.each([
    ["POST", "/v2/email/templates", "CreateEmailTemplate", "ses-local"],
    ["GET", "/v2/email/templates", "ListEmailTemplates", "ses-local"],
    ["PUT", "/v2/email/templates/welcome", "UpdateEmailTemplate", "ses-local"],
    ["POST", "/v2/email/templates/welcome/render", "TestRenderEmailTemplate", "ses-local"],
    ["POST", "/v2/email/outbound-emails", "SendEmail", "ses-local"],
    ["POST", "/v2/email/outbound-bulk-emails", "SendBulkEmail", "ses-local"],
    ["GET", "/v2/email/account", "GetAccount", "ses-local"],
    ["POST", "/v2/email/configuration-sets", "CreateConfigurationSet", "moto"],
    ["POST", "/v2/email/list-configuration-sets", "ListConfigurationSets", "moto"],
    ["POST", "/v2/email/list-identities", "ListEmailIdentities", "moto"],
    ["GET", "/v2/email/contact-lists/acme", "GetContactList", "moto"],
    ["POST", "/v2/email/contact-lists/acme/contacts/list", "ListContacts", "moto"],
    ["GET", "/v2/email/tags", "ListTagsForResource", "moto"],
    [
      "PUT",
      "/v2/email/configuration-sets/marketing/delivery-options",
      "PutConfigurationSetDeliveryOptions",
      undefined,
    ],
    [
      "POST",
      "/v2/email/configuration-sets/marketing/event-destinations",
      "CreateConfigurationSetEventDestination",
      undefined,
    ],
    ["PUT", "/v2/email/contact-lists/acme", "UpdateContactList", undefined],
    ["GET", "/v2/email/suppression/addresses", "ListSuppressedDestinations", undefined],
    ["GET", "/v2/email/nothing-like-this", "GET /v2/email/nothing-like-this", undefined],
  ])("%s %s is %s on %s", (method, path, operation, target) => {
    expect(routeSesRequest(method, path)).toEqual({ operation, target });
  });
});

describe("through the router", () => {
  it("keeps templates in aws-ses-v2-local and their tags in moto, with SES error names", async () => {
    await ses.send(
      new CreateEmailTemplateCommand({
        TemplateName: "welcome",
        TemplateContent: { Subject: "Hi {{name}}", Html: "<p>Hi {{name}}</p>", Text: "Hi {{name}}" },
        Tags: [{ Key: "mailops:project", Value: "acme" }],
      }),
    );
    const got = await ses.send(new GetEmailTemplateCommand({ TemplateName: "welcome" }));
    expect(got.TemplateContent).toEqual({
      Subject: "Hi {{name}}",
      Html: "<p>Hi {{name}}</p>",
      Text: "Hi {{name}}",
    });
    const arn = `arn:aws:ses:${EMULATOR_REGION}:${MOTO_ACCOUNT_ID}:template/welcome`;
    expect((await ses.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags).toEqual([
      { Key: "mailops:project", Value: "acme" },
    ]);

    const duplicate = ses.send(
      new CreateEmailTemplateCommand({
        TemplateName: "welcome",
        TemplateContent: { Subject: "x", Text: "x" },
      }),
    );
    await expect(duplicate).rejects.toMatchObject({ name: "AlreadyExistsException" });
    await expect(ses.send(new GetEmailTemplateCommand({ TemplateName: "missing" }))).rejects.toMatchObject({
      name: "NotFoundException",
      $metadata: { httpStatusCode: 404 },
    });

    await ses.send(new DeleteEmailTemplateCommand({ TemplateName: "welcome" }));
    expect((await ses.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags).toEqual([]);
    expect(emulators.sesRouter.calls.filter((c) => c.operation === "CreateEmailTemplate")).toEqual([
      expect.objectContaining({ target: "ses-local", status: 200 }),
      expect.objectContaining({ target: "ses-local", status: 400 }),
    ]);
  });

  it("sends through aws-ses-v2-local, which records the rendered mail at /store", async () => {
    await ses.send(
      new CreateEmailTemplateCommand({
        TemplateName: "promo",
        TemplateContent: { Subject: "{{discount}}% off", Text: "Hello {{name}}" },
      }),
    );
    const single = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: "marketing@example.com",
        Destination: { ToAddresses: ["ann@example.com"] },
        ConfigurationSetName: "marketing",
        EmailTags: [{ Name: "campaign", Value: "holiday-promo" }],
        ListManagementOptions: { ContactListName: "acme", TopicName: "promotions" },
        Content: {
          Template: { TemplateName: "promo", TemplateData: JSON.stringify({ discount: 20, name: "Ann" }) },
        },
      }),
    );
    expect(single.MessageId).toEqual(expect.any(String));
    // What /store does not keep, the router's log does.
    expect(emulators.sesRouter.calls.find((c) => c.operation === "SendEmail")?.request).toMatchObject({
      ConfigurationSetName: "marketing",
      EmailTags: [{ Name: "campaign", Value: "holiday-promo" }],
      ListManagementOptions: { ContactListName: "acme", TopicName: "promotions" },
    });
    const bulk = await ses.send(
      new SendBulkEmailCommand({
        FromEmailAddress: "marketing@example.com",
        DefaultContent: {
          Template: { TemplateName: "promo", TemplateData: JSON.stringify({ discount: 20, name: "" }) },
        },
        BulkEmailEntries: [
          {
            Destination: { ToAddresses: ["bob@example.com"] },
            ReplacementEmailContent: {
              ReplacementTemplate: { ReplacementTemplateData: JSON.stringify({ name: "Bob" }) },
            },
          },
        ],
      }),
    );
    expect(bulk.BulkEmailEntryResults).toEqual([{ Status: "SUCCESS", MessageId: expect.any(String) }]);

    const store = (await (await fetch(`${emulators.sesLocal.endpoint}/store`)).json()) as {
      emails: Array<{
        messageId: string;
        subject: string;
        body: { text?: string };
        destination: { to: string[] };
      }>;
    };
    const sent = store.emails.map((e) => ({ to: e.destination.to, subject: e.subject, text: e.body.text }));
    expect(sent).toEqual([
      { to: ["ann@example.com"], subject: "20% off", text: "Hello Ann" },
      { to: ["bob@example.com"], subject: "20% off", text: "Hello Bob" },
    ]);
  });

  it("answers GetAccount from the account the harness configured", async () => {
    const account = await ses.send(new GetAccountCommand({}));
    expect(account.SendQuota).toEqual(DEFAULT_SES_ACCOUNT.SendQuota);
    expect(account.ProductionAccessEnabled).toBe(true);
  });

  it("keeps configuration sets in moto, with SendingEnabled as a boolean and the list on its current path", async () => {
    await ses.send(
      new CreateConfigurationSetCommand({
        ConfigurationSetName: "marketing",
        DeliveryOptions: { TlsPolicy: "REQUIRE" },
        ReputationOptions: { ReputationMetricsEnabled: true },
        SendingOptions: { SendingEnabled: true },
        SuppressionOptions: { SuppressedReasons: ["BOUNCE", "COMPLAINT"] },
        Tags: [{ Key: "mailops:project", Value: "acme" }],
      }),
    );
    const set = await ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: "marketing" }));
    expect(set).toMatchObject({
      ConfigurationSetName: "marketing",
      DeliveryOptions: { TlsPolicy: "REQUIRE" },
      ReputationOptions: { ReputationMetricsEnabled: true },
      SendingOptions: { SendingEnabled: true },
      SuppressionOptions: { SuppressedReasons: ["BOUNCE", "COMPLAINT"] },
      Tags: [{ Key: "mailops:project", Value: "acme" }],
    });
    expect((await ses.send(new ListConfigurationSetsCommand({}))).ConfigurationSets).toEqual(["marketing"]);
    await expect(
      ses.send(new DeleteConfigurationSetCommand({ ConfigurationSetName: "missing" })),
    ).rejects.toMatchObject({
      name: "NotFoundException",
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("lists identities from moto on the path the SDK now sends (POST /v2/email/list-identities)", async () => {
    for (const name of ["a.example.com", "b.example.com", "news@c.example.com"])
      await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: name }));
    // moto answers a 500 to PageSize (not paging): the aws target sends none.
    const first = await ses.send(new ListEmailIdentitiesCommand({}));
    expect(first.NextToken).toBeUndefined();
    expect((first.EmailIdentities ?? []).map((i) => i.IdentityName).sort()).toEqual([
      "a.example.com",
      "b.example.com",
      "news@c.example.com",
    ]);
  });

  it("keeps contact lists in moto, with timestamps the SDK can read and no invented description", async () => {
    await ses.send(
      new CreateContactListCommand({
        ContactListName: "acme",
        Topics: [{ TopicName: "promotions", DisplayName: "Offers", DefaultSubscriptionStatus: "OPT_OUT" }],
      }),
    );
    const list = await ses.send(new GetContactListCommand({ ContactListName: "acme" }));
    expect(list.CreatedTimestamp).toBeInstanceOf(Date);
    expect(Math.abs((list.CreatedTimestamp?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(list.Description).toBeUndefined();
    expect(list.Topics).toEqual([
      { TopicName: "promotions", DisplayName: "Offers", DefaultSubscriptionStatus: "OPT_OUT" },
    ]);
    const lists = await ses.send(new ListContactListsCommand({}));
    expect(lists.ContactLists?.map((l) => l.ContactListName)).toEqual(["acme"]);
  });

  it("answers a template's and a contact list's Tags, as SES does, and forgets them with the resource", async () => {
    const tags = [{ Key: "mailops:project", Value: "acme" }];
    await ses.send(
      new CreateEmailTemplateCommand({
        TemplateName: "tagged",
        TemplateContent: { Subject: "s", Text: "t" },
        Tags: tags,
      }),
    );
    expect((await ses.send(new GetEmailTemplateCommand({ TemplateName: "tagged" }))).Tags).toEqual(tags);
    await ses.send(
      new CreateEmailTemplateCommand({
        TemplateName: "untagged",
        TemplateContent: { Subject: "s", Text: "t" },
      }),
    );
    expect((await ses.send(new GetEmailTemplateCommand({ TemplateName: "untagged" }))).Tags).toEqual([]);

    await ses.send(new CreateContactListCommand({ ContactListName: "tagged-list", Tags: tags }));
    expect((await ses.send(new GetContactListCommand({ ContactListName: "tagged-list" }))).Tags).toEqual(
      tags,
    );
    await ses.send(new DeleteContactListCommand({ ContactListName: "tagged-list" }));
    await ses.send(new CreateContactListCommand({ ContactListName: "tagged-list" }));
    expect((await ses.send(new GetContactListCommand({ ContactListName: "tagged-list" }))).Tags).toEqual([]);
  });

  it("says why aws-ses-v2-local rejected a request in the message, where SES says it", async () => {
    const attempt = ses.send(
      new CreateEmailTemplateCommand({
        TemplateName: "broken",
        TemplateContent: { Subject: "s", Html: "<p>{{#if a}}unclosed</p>" },
      }),
    );
    await expect(attempt).rejects.toMatchObject({
      name: "BadRequestException",
      message: expect.stringContaining("Handlebars compilation failed"),
    });
  });

  it("injects SES errors for the next matching requests, and logs them", async () => {
    emulators.sesRouter.inject(
      "GetEmailTemplate",
      [{ status: 429, type: "TooManyRequestsException", message: "slow down" }],
      (c) => c.path.endsWith("/welcome-injected"),
    );
    await ses.send(
      new CreateEmailTemplateCommand({
        TemplateName: "welcome-injected",
        TemplateContent: { Subject: "s", Text: "t" },
      }),
    );
    const first = ses.send(new GetEmailTemplateCommand({ TemplateName: "welcome-injected" }));
    await expect(first).rejects.toMatchObject({
      name: "TooManyRequestsException",
      message: "slow down",
      $metadata: { httpStatusCode: 429 },
    });
    // Used up: the next request reaches the emulator.
    await expect(
      ses.send(new GetEmailTemplateCommand({ TemplateName: "welcome-injected" })),
    ).resolves.toMatchObject({
      TemplateName: "welcome-injected",
    });
    expect(
      emulators.sesRouter.calls
        .filter((c) => c.path === "/v2/email/templates/welcome-injected" && c.method === "GET")
        .map((c) => [c.target, c.status]),
    ).toEqual([
      ["injected", 429],
      ["ses-local", 200],
    ]);
  });

  it("fails an operation neither emulator serves, naming it", async () => {
    const attempt = ses.send(
      new PutConfigurationSetDeliveryOptionsCommand({
        ConfigurationSetName: "marketing",
        TlsPolicy: "OPTIONAL",
      }),
    );
    await expect(attempt).rejects.toMatchObject({
      name: "NotEmulatedException",
      message: expect.stringContaining("PutConfigurationSetDeliveryOptions is served by neither"),
    });
  });
});

describe("CloudWatch on moto_server", () => {
  it("stores an alarm with its tags and adds defaults of its own on read", async () => {
    const cloudwatch = new CloudWatchClient({
      endpoint: emulators.moto.endpoint,
      region: EMULATOR_REGION,
      credentials: EMULATOR_CREDENTIALS,
      maxAttempts: 1,
    });
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: "acme-bounce-rate",
        Namespace: "AWS/SES",
        MetricName: "Reputation.BounceRate",
        Statistic: "Average",
        Period: 3600,
        EvaluationPeriods: 1,
        Threshold: 0.05,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        TreatMissingData: "ignore",
        Tags: [{ Key: "mailops:project", Value: "acme" }],
      }),
    );
    const { MetricAlarms } = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: ["acme-bounce-rate"] }),
    );
    // The defaults an adapter must canonicalize away, or every plan shows a change (docs/emulators.md).
    expect(MetricAlarms?.[0]).toMatchObject({
      Threshold: 0.05,
      ActionsEnabled: true,
      OKActions: [],
      AlarmActions: [],
      InsufficientDataActions: [],
      Metrics: [],
    });
    const tags = await cloudwatch.send(
      new ListAlarmTagsCommand({ ResourceARN: MetricAlarms?.[0]?.AlarmArn }),
    );
    expect(tags.Tags).toEqual([{ Key: "mailops:project", Value: "acme" }]);
    cloudwatch.destroy();
  });
});
