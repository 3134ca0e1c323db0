/**
 * The aws sender's requests, read straight off the SES client (no emulator, no HTTP): in link
 * mode every SendBulkEmail entry carries the recipient's own one-click List-Unsubscribe and
 * List-Unsubscribe-Post headers, and SendEmail carries a message's headers in Template.Headers.
 */
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { SESv2Client, SendBulkEmailCommandInput, SendEmailCommandInput } from "@aws-sdk/client-sesv2";
import { describe, expect, it, vi } from "vitest";
import { loadProject } from "../../src/config/load.js";
import type { PartName, Template } from "../../src/config/model.js";
import { analyzeTemplate } from "../../src/render/analyze.js";
import { messageBuilder } from "../../src/send/message.js";
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
    const builder = messageBuilder(linkProject, campaign, template, SECRET);
    const messages = ["ann@example.com", "bob@example.com"].map((address, i) => {
      const prepared = builder.prepare({ address, key: address, fields: { email: address, name: `N${i}` } });
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

/** An error as the SDK throws it: a service error with its status, or a network error with its code. */
const sdkError = (name: string, extra: Record<string, unknown>) =>
  Object.assign(new Error(`${name} injected`), { name, ...extra });
const reset = () => sdkError("TimeoutError", { code: "ECONNRESET", message: "socket hang up" });
const http = (status: number, name: string, extra: Record<string, unknown> = {}) =>
  sdkError(name, {
    $metadata: { httpStatusCode: status },
    $fault: status >= 500 ? "server" : "client",
    ...extra,
  });

/** An SES client answering each SendEmail by recipient (throwing what `fail` gives), after a tick. */
function scriptedClient(fail: (to: string) => Error | undefined) {
  const started: string[] = [];
  const client = {
    send: async (command: { input: Record<string, unknown> }) => {
      const input = command.input as unknown as SendEmailCommandInput & SendBulkEmailCommandInput;
      const to = input.Destination?.ToAddresses?.[0] ?? "bulk";
      started.push(to);
      await new Promise((r) => setTimeout(r, 1));
      const error = fail(to);
      if (error) throw error;
      if (input.BulkEmailEntries)
        return {
          BulkEmailEntryResults: input.BulkEmailEntries.map((_, i) => ({
            Status: "SUCCESS",
            MessageId: `b${i}`,
          })),
        };
      return { MessageId: `msg-${to}` };
    },
  };
  return { started, sender: new AwsSender(client as unknown as SESv2Client, {} as CloudWatchClient) };
}

const recipients = (n: number): OutgoingMessage[] =>
  Array.from({ length: n }, (_, i) => ({ id: `id${i}`, to: `u${i}@example.com`, data: {}, headers: [] }));
const sesList = { listManagement: { contactList: "acme" } };

describe("AwsSender: each recipient keeps its own call's outcome", () => {
  it("ses-list: a call lost to a reset is unknown; calls that succeeded keep their MessageIds; unstarted ones are unsent", async () => {
    const { started, sender } = scriptedClient((to) => (to === "u25@example.com" ? reset() : undefined));
    const results = await sender.send(request(recipients(50), sesList));
    expect(results[25]).toEqual({
      status: "unknown",
      error: "ECONNRESET: socket hang up (the connection broke after the request was sent)",
    });
    // Every call that was made and answered keeps its MessageId, before and after the failed one.
    started
      .filter((to) => to !== "u25@example.com")
      .forEach((to) => {
        const i = Number(to.slice(1, to.indexOf("@")));
        expect(results[i]).toEqual({ status: "sent", messageId: `msg-${to}` });
      });
    // No new call started after the failure: the rest were never attempted.
    expect(started.length).toBeLessThan(50);
    for (let i = started.length; i < 50; i++)
      expect(results[i]).toMatchObject({ status: "unsent", why: "not-attempted" });
  });

  it.each([
    ["a reset", reset(), { status: "unknown" }],
    ["a 500", http(500, "InternalFailure"), { status: "unknown" }],
    ["a 503", http(503, "ServiceUnavailable"), { status: "unsent", why: "unavailable" }],
    ["a 429", http(429, "TooManyRequestsException"), { status: "unsent", why: "throttled" }],
    [
      "LimitExceededException, which the SDK marks as throttling",
      http(400, "LimitExceededException", { $retryable: { throttling: true } }),
      { status: "stop" },
    ],
    [
      "a refused connection",
      sdkError("Error", { code: "ECONNREFUSED" }),
      { status: "unsent", why: "unreachable" },
    ],
    ["MessageRejected", http(400, "MessageRejected"), { status: "failed" }],
    ["SendingPausedException", http(400, "SendingPausedException"), { status: "stop" }],
  ])("ses-list: %s", async (_, error, expected) => {
    const { sender } = scriptedClient((to) => (to === "u0@example.com" ? error : undefined));
    const [first] = await sender.send(request(recipients(1), sesList));
    expect(first).toMatchObject(expected);
  });

  it("'cannot reach … is the server running?' only while no call was ever answered", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL_SESV2", "http://127.0.0.1:9");
    let refuse = true;
    const { sender } = scriptedClient(() =>
      refuse ? sdkError("Error", { code: "ECONNREFUSED" }) : undefined,
    );
    const [first] = await sender.send(request(recipients(1), sesList));
    expect(first).toEqual({
      status: "unsent",
      why: "unreachable",
      error:
        "cannot reach SES at http://127.0.0.1:9 (ECONNREFUSED); check AWS_ENDPOINT_URL_SESV2 / AWS_ENDPOINT_URL: is the server running and the address right?",
    });
    refuse = false;
    expect((await sender.send(request(recipients(1), sesList)))[0]?.status).toBe("sent");
    refuse = true;
    // Mid-run the same refusal is a network fault: no advice to check the settings.
    const [later] = await sender.send(request(recipients(1), sesList));
    expect(later).toEqual({
      status: "unsent",
      why: "unreachable",
      error: "cannot reach SES at http://127.0.0.1:9 (ECONNREFUSED)",
    });
    vi.unstubAllEnvs();
  });

  it.each([
    ["a reset: every entry unknown", reset(), { status: "unknown" }],
    ["a 500: every entry unknown", http(500, "InternalFailure"), { status: "unknown" }],
    [
      "a 429: every entry unsent",
      http(429, "TooManyRequestsException"),
      { status: "unsent", why: "throttled" },
    ],
    [
      "a 400: the request's fault, so the run stops (nobody recorded failed)",
      http(400, "BadRequestException"),
      { status: "stop" },
    ],
  ])("link mode, the call fails with %s", async (_, error, expected) => {
    const { sender } = scriptedClient(() => error);
    const results = await sender.send(request(recipients(3)));
    expect(results).toHaveLength(3);
    for (const r of results) expect(r).toMatchObject(expected);
  });
});

describe("campaign metrics per variant", () => {
  /** A CloudWatch client that records GetMetricData's queries and answers each with one value. */
  function recordingCloudWatch() {
    const queries: { Dimensions: { Name: string; Value: string }[] }[] = [];
    const cw = {
      send: async (command: {
        input: {
          MetricDataQueries: {
            Id: string;
            MetricStat: { Metric: { Dimensions: { Name: string; Value: string }[] } };
          }[];
        };
      }) => {
        for (const q of command.input.MetricDataQueries)
          queries.push({ Dimensions: q.MetricStat.Metric.Dimensions });
        return { MetricDataResults: command.input.MetricDataQueries.map((q) => ({ Id: q.Id, Values: [3] })) };
      },
    };
    return { queries, sender: new AwsSender({} as SESv2Client, cw as unknown as CloudWatchClient) };
  }

  it("asks for the campaign and the variant together: the variants' own destination's combination", async () => {
    const { queries, sender } = recordingCloudWatch();
    const m = await sender.campaignMetrics(
      { dimension: "campaign", value: "ab", variant: "b" },
      new Date("2026-01-05T09:00:00Z"),
    );
    expect(m).toMatchObject({ delivered: 3, clicked: 3, opened: 3 });
    expect(queries.length).toBe(5);
    for (const q of queries)
      expect(q.Dimensions).toEqual([
        { Name: "campaign", Value: "ab" },
        { Name: "variant", Value: "b" },
      ]);
  });

  it("asks by campaign alone without a variant, as status and the dashboard read it", async () => {
    const { queries, sender } = recordingCloudWatch();
    await sender.campaignMetrics({ dimension: "campaign", value: "ab" }, new Date("2026-01-05T09:00:00Z"));
    for (const q of queries) expect(q.Dimensions).toEqual([{ Name: "campaign", Value: "ab" }]);
  });
});
