/**
 * The aws sender's requests, read straight off the SES client (no emulator, no HTTP): in link
 * mode every SendBulkEmail entry carries the recipient's own one-click List-Unsubscribe and
 * List-Unsubscribe-Post headers, and SendEmail carries a message's headers in Template.Headers.
 */
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { SESv2Client, SendBulkEmailCommandInput, SendEmailCommandInput } from "@aws-sdk/client-sesv2";
import { describe, expect, it } from "vitest";
import { loadProject } from "../../src/config/load.js";
import type { PartName, Template } from "../../src/config/model.js";
import { analyzeTemplate } from "../../src/render/analyze.js";
import { messagePlan } from "../../src/send/message.js";
import { verifyUnsubscribeToken } from "../../src/send/unsubscribe.js";
import { AwsSender } from "../../src/targets/aws/sender.js";
import type { OutgoingMessage, SendRequest } from "../../src/targets/port.js";

/** A signing secret of the length link mode requires (32 bytes or more). */
const SECRET = "aws-sender-test-secret-of-32-bytes-or-more";

/** An SES client that records each command's input and answers success. */
function recordingClient() {
  const inputs: { command: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      inputs.push({ command: command.constructor.name, input: command.input });
      if (command.constructor.name === "SendBulkEmailCommand") {
        const entries = (command.input as unknown as SendBulkEmailCommandInput).BulkEmailEntries ?? [];
        return { BulkEmailEntryResults: entries.map((_, i) => ({ Status: "SUCCESS", MessageId: `m${i}` })) };
      }
      return { MessageId: "m" };
    },
  };
  return { inputs, sender: new AwsSender(client as unknown as SESv2Client, {} as CloudWatchClient) };
}

const example = loadProject(process.cwd()).value;
const campaign = example.campaigns.get("holiday-promo");
if (!campaign) throw new Error("the example repository changed");
/** A link-mode template: the body links to {{unsubscribe_url}}. */
const template: Template = {
  name: "product-promotion",
  file: "templates/product-promotion.yaml",
  ok: true,
  adopt: false,
  parts: Object.fromEntries(
    Object.entries({ subject: "Hi {{name}}", html: '<a href="{{unsubscribe_url}}">Unsubscribe</a>' }).map(
      ([part, source]) => [
        part,
        {
          part: part as PartName,
          source,
          file: "templates/product-promotion.yaml",
          locate: (line: number, col: number) => ({ line, col }),
          analysis: analyzeTemplate(source, "auto", part as PartName),
        },
      ],
    ),
  ),
};
const linkProject = {
  ...example,
  settings: {
    ...example.settings,
    unsubscribe: { ...example.settings.unsubscribe, mode: "link" as const, url: "https://example.com/unsub" },
  },
};

const request = (messages: OutgoingMessage[], extra: Partial<SendRequest> = {}): SendRequest => ({
  campaign: "holiday-promo",
  run: "20261201T090000Z",
  template: "product-promotion",
  from: "Acme <marketing@example.com>",
  replyTo: [],
  tags: { campaign: "holiday-promo" },
  messages,
  ...extra,
});

describe("AwsSender requests", () => {
  it("link mode: each SendBulkEmail entry has its recipient's List-Unsubscribe and List-Unsubscribe-Post", async () => {
    const plan = messagePlan(linkProject, campaign, template, SECRET);
    const messages = ["ann@example.com", "bob@example.com"].map((address, i) => {
      const prepared = plan.prepare({ address, key: address, fields: { email: address, name: `N${i}` } });
      if (!prepared.ok) throw new Error(prepared.reason);
      return { id: `id${i}`, to: address, data: prepared.data, headers: prepared.headers };
    });
    const { inputs, sender } = recordingClient();
    expect(await sender.send(request(messages))).toEqual([
      { status: "sent", messageId: "m0" },
      { status: "sent", messageId: "m1" },
    ]);
    expect(inputs.map((c) => c.command)).toEqual(["SendBulkEmailCommand"]);
    const entries =
      (inputs[0]?.input as unknown as SendBulkEmailCommandInput | undefined)?.BulkEmailEntries ?? [];
    expect(entries).toHaveLength(2);
    entries.forEach((entry, i) => {
      const headers = entry.ReplacementHeaders ?? [];
      expect(headers.map((h) => h.Name)).toEqual(["List-Unsubscribe", "List-Unsubscribe-Post"]);
      expect(headers[1]?.Value).toBe("List-Unsubscribe=One-Click");
      const url = /^<(https:\/\/example\.com\/unsub\?t=[^>]+)>$/.exec(headers[0]?.Value ?? "")?.[1];
      expect(url).toBeDefined();
      // The header's link is this recipient's, and the same one the body links to.
      const claim = verifyUnsubscribeToken(new URL(url as string).searchParams.get("t") ?? "", SECRET);
      expect(claim).toMatchObject({ email: messages[i]?.to, campaign: "holiday-promo" });
      const data = JSON.parse(
        entry.ReplacementEmailContent?.ReplacementTemplate?.ReplacementTemplateData ?? "{}",
      );
      expect(data.unsubscribe_url).toBe(url);
      expect(entry.Destination?.ToAddresses).toEqual([messages[i]?.to]);
    });
  });

  it("SendEmail (ses-list mode) carries a message's headers in Template.Headers", async () => {
    const { inputs, sender } = recordingClient();
    const headers = [{ name: "X-Campaign-Note", value: "hello" }];
    await sender.send(
      request([{ id: "a", to: "ann@example.com", data: { name: "Ann" }, headers }], {
        listManagement: { contactList: "acme", topic: "promotions" },
      }),
    );
    expect(inputs.map((c) => c.command)).toEqual(["SendEmailCommand"]);
    const input = inputs[0]?.input as unknown as SendEmailCommandInput;
    expect(input.Content?.Template?.Headers).toEqual([{ Name: "X-Campaign-Note", Value: "hello" }]);
    expect(input.ListManagementOptions).toEqual({ ContactListName: "acme", TopicName: "promotions" });
  });
});
