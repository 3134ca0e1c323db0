/**
 * The fault proxy (test/support/fault-proxy.ts) against a small upstream that counts what reaches
 * it: each fault does what it says (and reaches upstream or not), faults are chosen per operation
 * and by a seed, not by arrival order; scripted steps go to the next matching requests, once or a
 * given number of times; and the sending SES client, through it, sees each fault as the class the
 * sender gives it (src/targets/aws/errors.ts classifySendError).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SendEmailCommand } from "@aws-sdk/client-sesv2";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { sendClient } from "../../src/targets/aws/clients.js";
import { classifySendError } from "../../src/targets/aws/errors.js";
import { type FaultKind, type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";

let upstream: http.Server;
let upstreamUrl: string;
let reached: string[] = [];
let ses: FaultProxy;
let s3: FaultProxy;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      reached.push(`${req.method} ${req.url}`);
      const body = Buffer.from(
        JSON.stringify({ MessageId: `m-${reached.length}`, padding: "x".repeat(200) }),
      );
      res.writeHead(200, { "content-type": "application/json", "content-length": String(body.length) });
      res.end(body);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  ses = await startFaultProxy(upstreamUrl, "ses");
  s3 = await startFaultProxy(upstreamUrl, "s3");
});
afterAll(async () => {
  await ses.stop();
  await s3.stop();
  await new Promise<void>((r) => upstream.close(() => r()));
});
beforeEach(() => {
  reached = [];
  ses.clear();
  s3.clear();
  ses.events.length = 0;
  s3.events.length = 0;
});

type Seen = { status: number; headers: http.IncomingHttpHeaders; body: string } | { error: string };

/** One request with a fresh connection; what the client sees. */
function request(base: string, method: string, path: string, body = ""): Promise<Seen> {
  return new Promise((resolve) => {
    const req = http.request(`${base}${path}`, { method, agent: false }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => {
        text += c.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
      res.on("aborted", () => resolve({ error: "aborted" }));
    });
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end(body);
  });
}

const sendEmail = (body = "{}") => request(ses.endpoint, "POST", "/v2/email/outbound-emails", body);

describe("the fault proxy", () => {
  it.each([
    ["reset-before", (s: Seen) => expect(s).toEqual({ error: "ECONNRESET" }), 0, 0],
    ["reset-after", (s: Seen) => expect(s).toEqual({ error: "ECONNRESET" }), 1, 0],
    ["error-before", (s: Seen) => expect(s).toMatchObject({ status: 503 }), 0, 503],
    ["error-after", (s: Seen) => expect(s).toMatchObject({ status: 500 }), 1, 500],
    [
      "throttle",
      (s: Seen) =>
        expect(s).toMatchObject({
          status: 429,
          headers: { "x-amzn-errortype": "TooManyRequestsException" },
        }),
      0,
      429,
    ],
    ["delay", (s: Seen) => expect(s).toMatchObject({ status: 200 }), 1, 200],
    [
      "truncate",
      (s: Seen) => expect("error" in s ? s.error : "a whole answer").toMatch(/aborted|ECONNRESET/),
      1,
      200,
    ],
  ] as const)(
    "%s: what the client sees, and whether upstream got it",
    async (kind, check, upstreamCalls, status) => {
      ses.set([{ operation: "SendEmail", faults: { [kind]: 1 }, delayMs: 20 }]);
      check(await sendEmail());
      expect(reached).toHaveLength(upstreamCalls);
      expect(ses.events).toEqual([
        {
          operation: "SendEmail",
          method: "POST",
          path: "/v2/email/outbound-emails",
          fault: kind,
          forwarded: upstreamCalls === 1,
          body: "{}",
          status,
        },
      ]);
    },
  );

  it("chooses faults per operation: a rule for SendEmail leaves SendBulkEmail alone", async () => {
    ses.set([{ operation: "SendEmail", faults: { "error-before": 1 } }]);
    expect(await request(ses.endpoint, "POST", "/v2/email/outbound-bulk-emails", "{}")).toMatchObject({
      status: 200,
    });
    expect(await sendEmail()).toMatchObject({ status: 503 });
    expect(ses.events.map((e) => [e.operation, e.fault])).toEqual([
      ["SendBulkEmail", undefined],
      ["SendEmail", "error-before"],
    ]);
  });

  it("an outage from the third request on: `from` lets the first ones through", async () => {
    ses.set([{ operation: "SendEmail", faults: { "reset-before": 1 }, from: 2 }]);
    for (let i = 0; i < 4; i++) await sendEmail(`{"n":${i}}`);
    expect(ses.events.map((e) => e.fault ?? "none")).toEqual([
      "none",
      "none",
      "reset-before",
      "reset-before",
    ]);
    expect(reached).toHaveLength(2);
  });

  it("S3 by method and path: throttling is 503 SlowDown in S3's XML", async () => {
    s3.set([{ operation: "PutObject", faults: { throttle: 1 } }]);
    expect(await request(s3.endpoint, "GET", "/bucket/state/run.json")).toMatchObject({ status: 200 });
    const put = await request(s3.endpoint, "PUT", "/bucket/state/run.json", "{}");
    expect(put).toMatchObject({ status: 503 });
    expect("body" in put && put.body).toContain("<Code>SlowDown</Code>");
    expect(s3.events.map((e) => e.operation)).toEqual(["GetObject", "PutObject"]);
  });

  it("a seed fixes which requests get a fault, whatever order they arrive in; a repeated request draws again", async () => {
    const bodies = Array.from({ length: 100 }, (_, i) => JSON.stringify({ to: `u${i}@example.com` }));
    const first = new Set<string>();
    ses.set([{ operation: "SendEmail", faults: { "error-before": 0.3 } }], 42);
    for (const b of bodies) {
      const s = await sendEmail(b);
      if ("status" in s && s.status === 503) first.add(b);
    }
    ses.set([{ operation: "SendEmail", faults: { "error-before": 0.3 } }], 42);
    const second = new Set<string>();
    for (const b of [...bodies].reverse()) {
      const s = await sendEmail(b);
      if ("status" in s && s.status === 503) second.add(b);
    }
    expect(second).toEqual(first);
    expect(first.size).toBeGreaterThan(15);
    expect(first.size).toBeLessThan(45);
    // The same requests again (no reset of the seed): each is a new draw.
    const third = new Set<string>();
    for (const b of bodies) {
      const s = await sendEmail(b);
      if ("status" in s && s.status === 503) third.add(b);
    }
    expect(third).not.toEqual(first);
  });
});

describe("scripted steps, by arrival order", () => {
  const put = (path: string) => request(s3.endpoint, "PUT", path, "{}");
  const summary = () => s3.events.map((e) => [e.path, e.fault ?? "none", e.forwarded, e.status]);

  it("once: the next matching request alone gets the fault; the one after it passes", async () => {
    s3.once(({ path }) => path.endsWith("/b.json"), "reset-after");
    expect(await put("/bucket/a.json")).toMatchObject({ status: 200 });
    expect(await put("/bucket/b.json")).toEqual({ error: "ECONNRESET" });
    expect(await put("/bucket/b.json")).toMatchObject({ status: 200 });
    expect(summary()).toEqual([
      ["/bucket/a.json", "none", true, 200],
      ["/bucket/b.json", "reset-after", true, 0],
      ["/bucket/b.json", "none", true, 200],
    ]);
    expect(reached).toEqual(["PUT /bucket/a.json", "PUT /bucket/b.json", "PUT /bucket/b.json"]);
  });

  it("once with an operation name, over what the rules would draw", async () => {
    s3.set([{ operation: "PutObject", faults: { "error-before": 1 } }]);
    s3.once("PutObject", "reset-before");
    expect(await put("/bucket/a.json")).toEqual({ error: "ECONNRESET" });
    expect(await put("/bucket/a.json")).toMatchObject({ status: 503 });
    expect(summary().map(([, fault]) => fault)).toEqual(["reset-before", "error-before"]);
  });

  it("once with a callback: it runs just before the next forwarded match, not before a refused one", async () => {
    const order: string[] = [];
    s3.once("PutObject", "throttle");
    s3.once("PutObject", async () => {
      order.push(`before, upstream had ${reached.length}`);
    });
    expect(await put("/bucket/a.json")).toMatchObject({ status: 503 });
    expect(order).toEqual([]);
    expect(await put("/bucket/a.json")).toMatchObject({ status: 200 });
    expect(await put("/bucket/a.json")).toMatchObject({ status: 200 });
    expect(order).toEqual(["before, upstream had 0"]);
    expect(reached).toHaveLength(2);
  });

  it("failNext: S3's XML error with the chosen status and code, for that many matching requests", async () => {
    s3.failNext(2, { status: 409, code: "OperationAborted" }, "PutObject");
    expect(await request(s3.endpoint, "GET", "/bucket/a.json")).toMatchObject({ status: 200 });
    for (let i = 0; i < 2; i++) {
      const answer = await put("/bucket/a.json");
      expect(answer).toMatchObject({ status: 409 });
      expect("body" in answer && answer.body).toContain("<Code>OperationAborted</Code>");
    }
    expect(await put("/bucket/a.json")).toMatchObject({ status: 200 });
    expect(summary().map(([, fault, forwarded, status]) => [fault, forwarded, status])).toEqual([
      ["none", true, 200],
      ["error-before", false, 409],
      ["error-before", false, 409],
      ["none", true, 200],
    ]);
  });

  it("failNext on SES: the code as x-amzn-ErrorType and the message in JSON", async () => {
    ses.failNext(1, { status: 400, code: "MessageRejected", message: "Email address is not verified." });
    expect(await sendEmail()).toMatchObject({
      status: 400,
      headers: { "x-amzn-errortype": "MessageRejected" },
      body: JSON.stringify({ message: "Email address is not verified." }),
    });
    expect(await sendEmail()).toMatchObject({ status: 200 });
    expect(reached).toHaveLength(1);
  });

  it("clear drops the steps not yet used", async () => {
    s3.once("*", "reset-before");
    s3.failNext(5, { status: 503, code: "SlowDown" });
    s3.clear();
    expect(await put("/bucket/a.json")).toMatchObject({ status: 200 });
  });
});

describe("the sending SES client through the proxy: each fault's class", () => {
  beforeEach(() => {
    vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
    vi.stubEnv("AWS_SESSION_TOKEN", undefined);
    vi.stubEnv("AWS_ENDPOINT_URL_SESV2", ses.endpoint);
  });
  afterEach(() => vi.unstubAllEnvs());

  it.each([
    ["reset-before", "ambiguous", 0],
    ["reset-after", "ambiguous", 1],
    ["error-before", "unsent", 0],
    ["error-after", "ambiguous", 1],
    ["throttle", "unsent", 0],
    ["truncate", "ambiguous", 1],
  ] as [FaultKind, string, number][])(
    "%s → %s, in one attempt (the SDK retries nothing)",
    async (kind, expected, upstreamCalls) => {
      ses.set([{ operation: "SendEmail", faults: { [kind]: 1 } }]);
      const client = sendClient({ region: "us-east-1" });
      const error = await client
        .send(
          new SendEmailCommand({
            FromEmailAddress: "a@example.com",
            Destination: { ToAddresses: ["b@example.com"] },
            Content: { Simple: { Subject: { Data: "s" }, Body: { Text: { Data: "t" } } } },
          }),
        )
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeDefined();
      expect(classifySendError(error).kind).toBe(expected);
      expect(ses.events).toHaveLength(1);
      expect(reached).toHaveLength(upstreamCalls);
      client.destroy();
    },
  );
});
