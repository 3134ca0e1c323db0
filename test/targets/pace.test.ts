/**
 * Pacing of SES control-plane calls, on a fake clock: the Pacer alone, and the aws target's
 * SES client end to end down to the HTTP handler (replaced by an in-memory one that records
 * when each request left and answers after a fixed latency). No real time is measured.
 */
import { CreateEmailTemplateCommand, GetEmailTemplateCommand } from "@aws-sdk/client-sesv2";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Change } from "../../src/plan/plan.js";
import { sesClient } from "../../src/targets/aws/clients.js";
import { AwsTarget } from "../../src/targets/aws/index.js";
import { mapLimit, Pacer } from "../../src/targets/aws/pace.js";
import { emulatorEnv } from "../support/emulators.js";

beforeEach(() => {
  // Only timers and Date: streams and the SDK's promise plumbing keep running for real.
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  for (const [k, v] of Object.entries(emulatorEnv({ sesv2: "http://127.0.0.1:9" }))) vi.stubEnv(k, v);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

/**
 * Runs the fake timers until `p` settles. One `runAllTimersAsync` is not enough when real work
 * (the SDK's plumbing, on a busy machine) schedules the next timer only after the timers ran
 * out: between rounds, a real `setImmediate` lets that work go on.
 */
async function drive<T>(p: Promise<T>): Promise<T> {
  let settled = false;
  p.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  while (!settled) {
    await vi.runAllTimersAsync();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return p;
}

/** Resolves in order; records the fake time each resolved at, relative to the start. */
async function timesOf(n: number, pacer: Pacer): Promise<number[]> {
  const start = Date.now();
  const times: number[] = [];
  const all = Promise.all(
    Array.from({ length: n }, () => pacer.wait().then(() => times.push(Date.now() - start))),
  );
  await vi.runAllTimersAsync();
  await all;
  return times;
}

describe("Pacer", () => {
  it("lets one call a second through at 1/s, the first at once", async () => {
    expect(await timesOf(3, new Pacer(1))).toEqual([0, 1000, 2000]);
  });

  it("spreads 40 calls over a second at 40/s, never two within 25 ms", async () => {
    const times = await timesOf(40, new Pacer(40));
    expect(times[0]).toBe(0);
    expect(times.at(-1)).toBe(975);
    for (let i = 1; i < times.length; i++) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBe(25);
  });

  it("does not bank unused time: after a pause the next call waits a full interval from it", async () => {
    const pacer = new Pacer(1);
    await timesOf(1, pacer);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await timesOf(2, pacer)).toEqual([0, 1000]);
  });

  it("does not pace at rate 0 or Infinity", async () => {
    expect(await timesOf(5, new Pacer(0))).toEqual([0, 0, 0, 0, 0]);
    expect(await timesOf(5, new Pacer(Number.POSITIVE_INFINITY))).toEqual([0, 0, 0, 0, 0]);
  });
});

describe("mapLimit", () => {
  it("keeps at most `limit` in flight and the results in order", async () => {
    let inFlight = 0;
    let most = 0;
    const all = mapLimit([5, 1, 4, 2, 3, 1, 1], 3, async (ms) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, ms * 10));
      inFlight--;
      return ms * 2;
    });
    await vi.runAllTimersAsync();
    expect(await all).toEqual([10, 2, 8, 4, 6, 2, 2]);
    expect(most).toBe(3);
  });

  it("starts nothing more after a failure", async () => {
    const started: number[] = [];
    const all = mapLimit([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      if (n === 2) throw new Error("boom");
      await new Promise((r) => setTimeout(r, 10));
    });
    const settled = all.catch((e: Error) => e.message);
    await vi.runAllTimersAsync();
    expect(await settled).toBe("boom");
    expect(started).toEqual([1, 2]);
  });
});

describe("the aws target's rates", () => {
  it("defaults to 40 reads and 1 write a second", () => {
    expect(new AwsTarget({ region: "us-east-1" }).pacing).toEqual({ readsPerSecond: 40, writesPerSecond: 1 });
  });

  it("takes MAILOPS_SES_READ_RATE / MAILOPS_SES_WRITE_RATE, and options over both", () => {
    vi.stubEnv("MAILOPS_SES_READ_RATE", "500");
    vi.stubEnv("MAILOPS_SES_WRITE_RATE", "20");
    expect(new AwsTarget({ region: "us-east-1" }).pacing).toEqual({
      readsPerSecond: 500,
      writesPerSecond: 20,
    });
    expect(new AwsTarget({ region: "us-east-1", readRate: 7, writeRate: 2 }).pacing).toEqual({
      readsPerSecond: 7,
      writesPerSecond: 2,
    });
  });

  it("ignores a rate that is not a positive number", () => {
    vi.stubEnv("MAILOPS_SES_READ_RATE", "fast");
    vi.stubEnv("MAILOPS_SES_WRITE_RATE", "-1");
    expect(new AwsTarget({ region: "us-east-1" }).pacing).toEqual({ readsPerSecond: 40, writesPerSecond: 1 });
  });
});

/** Stands in for the HTTP handler of an SES client: records request times, answers after `latency` ms. */
function fakeSes(client: { config: unknown }, latency: number) {
  const sent: { at: number; method: string; path: string }[] = [];
  let inFlight = 0;
  let most = 0;
  const handler = {
    metadata: { handlerProtocol: "http/1.1" },
    async handle(request: { method: string; path: string }) {
      sent.push({ at: Date.now(), method: request.method, path: request.path });
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, latency));
      inFlight--;
      const name = decodeURIComponent(request.path.split("/").at(-1) ?? "");
      const body =
        request.method === "GET"
          ? JSON.stringify({ TemplateName: name, TemplateContent: { Subject: "s", Text: "t" }, Tags: [] })
          : "{}";
      return {
        response: {
          statusCode: 200,
          headers: { "content-type": "application/json" },
          body: new TextEncoder().encode(body),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
  (client.config as { requestHandler: unknown }).requestHandler = handler;
  return { sent, mostInFlight: () => most };
}

describe("SES calls through the aws target, on a fake clock", () => {
  it("reads 80 templates at 40/s with reads in parallel, not faster", async () => {
    const target = new AwsTarget({ region: "us-east-1" });
    // The target's own SES client, down to its HTTP handler.
    const ses = fakeSes((target as unknown as { ses: { config: unknown } }).ses, 100);
    const start = Date.now();
    const read = target.read(
      Array.from({ length: 80 }, (_, i) => ({ kind: "template" as const, name: `t${i}` })),
    );
    expect(await drive(read)).toHaveLength(80);
    // Times are taken at the handler, after the SDK's real plumbing, while the fake clock may
    // already have moved on: a request leaves at or after its slot, never before.
    const at = ses.sent.map((s) => s.at - start).sort((x, y) => x - y);
    for (let i = 0; i < at.length; i++) expect(at[i]).toBeGreaterThanOrEqual(i * 25);
    expect(at.at(-1)).toBeLessThan(79 * 25 + 200);
    // Parallel: with 100 ms latency, one at a time would allow only 10 a second.
    expect(ses.mostInFlight()).toBeGreaterThan(1);
  });

  it("writes templates one a second by default", async () => {
    const target = new AwsTarget({ region: "us-east-1" });
    const ses = fakeSes((target as unknown as { ses: { config: unknown } }).ses, 50);
    const start = Date.now();
    const change = (name: string): Change => ({
      action: "create",
      kind: "template",
      name,
      after: { subject: "s", html: "", text: "t" },
      message: "",
    });
    const applied = (async () => {
      for (const n of ["a", "b", "c"]) await target.apply(change(n), {});
    })();
    await drive(applied);
    expect(ses.sent.map((s) => [s.method, s.at - start])).toEqual([
      ["POST", 0],
      ["POST", 1000],
      ["POST", 2000],
    ]);
  });

  it("puts Get*/List* calls in the read bucket and everything else in the write bucket", async () => {
    const reads = new Pacer(1000);
    const writes = new Pacer(1000);
    const readWait = vi.spyOn(reads, "wait");
    const writeWait = vi.spyOn(writes, "wait");
    const client = sesClient({ region: "us-east-1" }, { reads, writes });
    fakeSes(client, 1);
    const get = client.send(new GetEmailTemplateCommand({ TemplateName: "a" }));
    await drive(get);
    expect([readWait.mock.calls.length, writeWait.mock.calls.length]).toEqual([1, 0]);
    const create = client.send(
      new CreateEmailTemplateCommand({ TemplateName: "a", TemplateContent: { Subject: "s", Text: "t" } }),
    );
    await drive(create);
    expect([readWait.mock.calls.length, writeWait.mock.calls.length]).toEqual([1, 1]);
  });
});
