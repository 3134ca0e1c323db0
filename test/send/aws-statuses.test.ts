/**
 * The aws sender against an SES stand-in over HTTP that answers 429s and mixed per-entry
 * statuses (no emulator produces them on demand): the rate adapts, every outcome is recorded,
 * retryable entries are retried, nothing that succeeded is sent again, and an account-level
 * status stops the run with the rest left for later.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Ledger, recipientId } from "../../src/send/ledger.js";
import type { MessageRecipient } from "../../src/send/message.js";
import { TokenBucket } from "../../src/send/pacing.js";
import { runCampaign } from "../../src/send/run.js";
import { LocalStore } from "../../src/store/index.js";
import { AwsSender, entryResult } from "../../src/targets/aws/sender.js";
import { people, runInput } from "../support/campaign-run.js";
import { recordedOutcomes } from "../support/ledger-outcomes.js";

type Script = (to: string, attempt: number) => string; // a BulkEmailStatus
let script: Script;
let throttleNext = 0;
let calls: { to: string[]; status: number }[] = [];
const attempts = new Map<string, number>();
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      if (req.url?.endsWith("/outbound-emails")) {
        sendEmail(JSON.parse(body), res);
        return;
      }
      const input = JSON.parse(body) as { BulkEmailEntries: { Destination: { ToAddresses: string[] } }[] };
      const to = input.BulkEmailEntries.map((e) => e.Destination.ToAddresses[0] as string);
      if (throttleNext > 0) {
        throttleNext--;
        calls.push({ to, status: 429 });
        res.writeHead(429, {
          "content-type": "application/json",
          "x-amzn-errortype": "TooManyRequestsException",
        });
        res.end(JSON.stringify({ message: "Maximum sending rate exceeded." }));
        return;
      }
      calls.push({ to, status: 200 });
      const results = to.map((address) => {
        const n = (attempts.get(address) ?? 0) + 1;
        attempts.set(address, n);
        const Status = script(address, n);
        return Status === "SUCCESS"
          ? { Status, MessageId: `msg-${address}-${n}` }
          : { Status, Error: `${Status} for this entry` };
      });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ BulkEmailEntryResults: results }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** ses-list mode's SendEmail: answered after a short hold, so concurrent calls overlap. */
let inFlight = 0;
let maxInFlight = 0;
function sendEmail(
  input: { Destination: { ToAddresses: string[] } },
  res: import("node:http").ServerResponse,
) {
  const to = input.Destination.ToAddresses[0] as string;
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  calls.push({ to: [to], status: 200 });
  const n = (attempts.get(to) ?? 0) + 1;
  attempts.set(to, n);
  const status = script(to, n);
  setTimeout(() => {
    inFlight--;
    if (status === "SUCCESS") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ MessageId: `msg-${to}-${n}` }));
      return;
    }
    res.writeHead(400, { "content-type": "application/json", "x-amzn-errortype": status });
    res.end(JSON.stringify({ message: `${status} for this call` }));
  }, 5);
}

let dir: string;
beforeEach(() => {
  inFlight = 0;
  maxInFlight = 0;
  calls = [];
  attempts.clear();
  throttleNext = 0;
  dir = mkdtempSync(path.join(tmpdir(), "mailops-statuses-"));
  return () => rmSync(dir, { recursive: true, force: true });
});

const id = { campaign: "c", sendAt: "on-merge" };
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

async function run(
  recipients: MessageRecipient[],
  bucket = new TokenBucket(Number.POSITIVE_INFINITY, 50),
  extra: { listManagement?: { contactList: string }; batchSize?: number } = {},
) {
  const sender = new AwsSender(
    new SESv2Client({ region: "us-east-1", endpoint, credentials, maxAttempts: 1 }),
    new CloudWatchClient({ region: "us-east-1", endpoint, credentials }),
  );
  return runCampaign(
    runInput({
      id,
      recipients,
      sender,
      ledger: new Ledger(new LocalStore(dir), id),
      bucket,
      batchSize: extra.batchSize,
      request: extra.listManagement ? { listManagement: extra.listManagement } : {},
    }),
  );
}

describe("per-entry SES statuses", () => {
  it("maps every documented status", () => {
    expect(entryResult("SUCCESS", "m", undefined)).toEqual({ status: "sent", messageId: "m" });
    for (const s of ["TRANSIENT_FAILURE", "ACCOUNT_THROTTLED"])
      expect(entryResult(s, undefined, "x").status).toBe("retry");
    for (const s of [
      "ACCOUNT_SUSPENDED",
      "ACCOUNT_SENDING_PAUSED",
      "ACCOUNT_DAILY_QUOTA_EXCEEDED",
      "CONFIGURATION_SET_SENDING_PAUSED",
    ]) {
      expect(entryResult(s, undefined, "x").status).toBe("stop");
    }
    for (const s of [
      "MESSAGE_REJECTED",
      "MAIL_FROM_DOMAIN_NOT_VERIFIED",
      "CONFIGURATION_SET_NOT_FOUND",
      "TEMPLATE_NOT_FOUND",
      "INVALID_SENDING_POOL_NAME",
      "INVALID_PARAMETER",
      "FAILED",
    ]) {
      expect(entryResult(s, undefined, "x").status).toBe("failed");
    }
    // A SUCCESS without a MessageId proves nothing was sent: not recorded as sent.
    expect(entryResult("SUCCESS", undefined, undefined).status).toBe("failed");
  });

  it("retries transient entries only, records rejections, and adapts the rate on 429", async () => {
    script = (to, n) =>
      to === "u3@example.com"
        ? "MESSAGE_REJECTED"
        : to === "u7@example.com" && n === 1
          ? "TRANSIENT_FAILURE"
          : to === "u9@example.com" && n < 3
            ? "ACCOUNT_THROTTLED"
            : "SUCCESS";
    throttleNext = 2;
    const bucket = new TokenBucket(1000, 50);
    const report = await run(people(60), bucket);
    expect(report).toMatchObject({ sent: 59, failed: 1, unknown: 0, complete: true });
    expect(report.failures).toEqual({ "MESSAGE_REJECTED: MESSAGE_REJECTED for this entry": 1 });
    expect(calls.filter((c) => c.status === 429)).toHaveLength(2);
    expect(bucket.rate).toBeLessThan(1000);
    // Retried calls carry only the entries that need it.
    const retried = calls.filter((c) => c.status === 200 && c.to.length < 50 && c.to.length !== 10);
    expect(retried.map((c) => c.to.sort())).toEqual([
      ["u7@example.com", "u9@example.com"],
      ["u9@example.com"],
    ]);
    // Nothing that succeeded went out twice.
    for (const [address, n] of attempts)
      if (!["u7@example.com", "u9@example.com"].includes(address)) expect(n, address).toBe(1);
    const state = await new Ledger(new LocalStore(dir), id).load();
    expect(state.sent.size).toBe(59);
    expect(state.failed.size).toBe(1);
  });

  it("stops on quota exhaustion and sends exactly the rest next time", async () => {
    script = (to) =>
      to === "u55@example.com" || to === "u56@example.com" ? "ACCOUNT_DAILY_QUOTA_EXCEEDED" : "SUCCESS";
    const first = await run(people(120));
    expect(first.stopped).toMatch(/^ACCOUNT_DAILY_QUOTA_EXCEEDED/);
    expect(first.complete).toBe(false);
    script = () => "SUCCESS";
    const second = await run(people(120));
    expect(second.complete).toBe(true);
    expect(first.sent + second.sent).toBe(120);
    // The entries of the stopped batch that SES accepted were not sent again.
    expect(
      [...attempts.entries()].filter(([a, n]) => n > 1 && a !== "u55@example.com" && a !== "u56@example.com"),
    ).toEqual([]);
  });

  it("ses-list mode: SendEmail calls overlap, and each outcome lands on its own recipient", async () => {
    script = (to) => (to === "u4@example.com" ? "MessageRejected" : "SUCCESS");
    const list = people(120);
    const report = await run(list, undefined, { listManagement: { contactList: "acme" }, batchSize: 100 });
    expect(report).toMatchObject({ sent: 119, failed: 1, complete: true });
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(10);
    const recorded = await recordedOutcomes(new Ledger(new LocalStore(dir), id));
    for (const r of list) {
      const messageId = recorded.sent.get(recipientId("p", r.key));
      if (r.address === "u4@example.com") expect(messageId).toBeUndefined();
      else expect(messageId).toBe(`msg-${r.address}-1`);
    }
    expect(recorded.failed.get(recipientId("p", "u4@example.com"))).toMatch(/^MessageRejected/);
  });

  it("ses-list mode: a paused account stops new calls; the next run sends exactly the rest", async () => {
    let paused = true;
    script = (to) => (paused && to === "u12@example.com" ? "SendingPausedException" : "SUCCESS");
    const first = await run(people(120), undefined, { listManagement: { contactList: "acme" } });
    expect(first.stopped).toMatch(/^SendingPausedException/);
    expect(calls.length).toBeLessThan(30); // the rest of the batch was never started
    paused = false;
    const second = await run(people(120), undefined, { listManagement: { contactList: "acme" } });
    expect(second.complete).toBe(true);
    expect(first.sent + second.sent).toBe(120);
    const successes = [...attempts].filter(([a]) => a !== "u12@example.com");
    expect(successes.every(([, n]) => n === 1)).toBe(true);
    expect(attempts.get("u12@example.com")).toBe(2);
  });
});
