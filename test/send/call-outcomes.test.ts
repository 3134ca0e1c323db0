/**
 * Each recipient's outcome is its own call's (src/send/run.ts, targets/port.ts EntryResult), with
 * a scripted sender and no network: a call whose outcome is unknown costs only its recipients,
 * never-attempted recipients are settled as unsent, a run survives scattered failures, a
 * sustained one stops it with what the next run will do, and a first call that reaches nothing
 * says so. Time is simulated: backoff sleeps are counted, not waited.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FAILED_CALLS_TO_STOP } from "../../src/send/calls.js";
import { Ledger, recipientId } from "../../src/send/ledger.js";
import { TokenBucket } from "../../src/send/pacing.js";
import { type RunInput, runCampaign } from "../../src/send/run.js";
import { LocalStore } from "../../src/store/index.js";
import type { EntryResult, OutgoingMessage, Sender, SendRequest } from "../../src/targets/port.js";
import { people, runInput } from "../support/campaign-run.js";
import { recordedOutcomes } from "../support/ledger-outcomes.js";

let dir: string;
let store: LocalStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mailops-outcomes-"));
  store = new LocalStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const id = { campaign: "promo", sendAt: "on-merge" };
const idOf = (address: string) => recipientId("p", address);

/**
 * A sender whose answer for each message of a call is scripted by address and call number; it
 * counts what was really delivered (sent, and the "went out anyway" half of unknown answers).
 */
class Scripted implements Sender {
  calls: string[][] = [];
  delivered = new Map<string, number>();
  constructor(
    private readonly answer: (
      to: string,
      call: number,
      index: number,
    ) => EntryResult | "lost-after" = () => ({
      status: "sent",
      messageId: "m",
    }),
  ) {}
  async send(request: SendRequest): Promise<EntryResult[]> {
    const call = this.calls.push(request.messages.map((m) => m.to));
    return request.messages.map((m: OutgoingMessage, i) => {
      const a = this.answer(m.to, call, i);
      if (a === "lost-after") {
        // Processed, then the connection broke: delivered, but the caller cannot know.
        this.deliver(m.to);
        return { status: "unknown", error: "ECONNRESET: socket hang up" };
      }
      if (a.status === "sent") this.deliver(m.to);
      return a;
    });
  }
  private deliver(to: string) {
    this.delivered.set(to, (this.delivered.get(to) ?? 0) + 1);
  }
}

function input(sender: Sender, n: number, extra: Partial<RunInput["options"]> = {}) {
  const sleeps: number[] = [];
  const i = runInput({
    id,
    recipients: people(n),
    sender,
    ledger: new Ledger(store, id),
    options: {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...extra,
    },
  });
  return { input: i, sleeps };
}

/** ses-list style: one message a call, so a call's fate is one recipient's. */
describe("a call whose outcome is unknown", () => {
  it("costs only its own recipient: the others keep their MessageIds, the never-attempted are sent", async () => {
    // The chunk's 36th call breaks after SES took it; the sender starts no new call, as the aws
    // sender does, so the last 14 come back not attempted.
    const sender = new Scripted((to, call, i) => {
      if (call === 1 && i === 35) return "lost-after";
      if (call === 1 && i > 35) return { status: "unsent", why: "not-attempted", error: "not attempted" };
      return { status: "sent", messageId: `msg-${to}` };
    });
    const { input: run } = input(sender, 120);
    const report = await runCampaign(run);
    expect(report).toMatchObject({ sent: 119, unknown: 1, ambiguous: 1, complete: true });
    expect(report.stopped).toBeUndefined();
    const state = await new Ledger(store, id).load();
    expect([...state.unknown]).toEqual([idOf("u35@example.com")]);
    expect(state.sent.size).toBe(119);
    const recorded = await recordedOutcomes(new Ledger(store, id));
    expect(recorded.sent.get(idOf("u0@example.com"))).toBe("msg-u0@example.com");
    expect(recorded.sent.get(idOf("u49@example.com"))).toBe("msg-u49@example.com");
    // Everyone delivered exactly once: the unknown one too (by its lost call), never twice.
    expect([...sender.delivered.values()].every((n) => n === 1)).toBe(true);
    expect(sender.delivered.size).toBe(120);
    // The next call after the failure is a probe of one recipient.
    expect(sender.calls[1]).toEqual(["u36@example.com"]);
    expect((await new Ledger(store, id).readRun())?.status).toBe("complete");

    // --resend-unknown sends that one again: the one duplicate a lost call can cost.
    const resent = await runCampaign(input(sender, 120, { resendUnknown: true }).input);
    expect(resent).toMatchObject({ sent: 1, unknown: 0, alreadyDone: 119, complete: true });
    expect(sender.delivered.get("u35@example.com")).toBe(2);
  });

  it("in a batch the run leaves early, recipients never attempted are settled unsent, not unknown", async () => {
    // SES goes down during the first call's 11th message (the aws sender then starts no new call
    // in that send, as in ses-list mode); every call after it fails too, until the run stops.
    let down = true;
    const sender = new Scripted((to, call, i) => {
      if (!down) return { status: "sent", messageId: `msg-${to}` };
      if (call === 1 && i < 10) return { status: "sent", messageId: `msg-${to}` };
      if (call === 1 && i > 10) return { status: "unsent", why: "not-attempted", error: "not attempted" };
      return { status: "unknown", error: "ECONNRESET: socket hang up" };
    });
    const first = await runCampaign(input(sender, 50).input);
    expect(first.stopped).toMatch(/^SES send calls failed 6 times in a row/);
    // The failed call's recipient, then a probe of one for each further failed call.
    expect(first).toMatchObject({ sent: 10, unknown: FAILED_CALLS_TO_STOP, complete: false });
    const state = await new Ledger(store, id).load();
    expect(state.unknown.size).toBe(FAILED_CALLS_TO_STOP);
    expect(state.openBatches.size).toBe(1); // the ambiguous intent; the batch itself is settled
    down = false;
    const second = await runCampaign(input(sender, 50).input);
    expect(second).toMatchObject({ sent: 50 - 10 - FAILED_CALLS_TO_STOP, alreadyDone: 10 });
    expect(second.unknown).toBe(FAILED_CALLS_TO_STOP);
    expect(sender.delivered.size).toBe(50 - FAILED_CALLS_TO_STOP);
    expect([...sender.delivered.values()].every((n) => n === 1)).toBe(true);
  });

  it("a probe that fails costs one recipient; never-attempted ones of the batch are sent by the next run", async () => {
    let down = true;
    const sender = new Scripted((to, call) =>
      down && call >= 2
        ? { status: "unknown", error: "ECONNRESET: socket hang up" }
        : { status: "sent", messageId: `msg-${to}` },
    );
    const first = await runCampaign(input(sender, 120).input);
    // Call 1: 50 sent. Call 2: 50 unknown. Then probes of one, each unknown, until the stop.
    expect(first.sent).toBe(50);
    expect(first.unknown).toBe(50 + FAILED_CALLS_TO_STOP - 1);
    const state = await new Ledger(store, id).load();
    expect(state.unknown.size).toBe(first.unknown);
    down = false;
    const second = await runCampaign(input(sender, 120).input);
    // Exactly the never-attempted: neither the sent nor the unknown.
    expect(second).toMatchObject({ sent: 120 - 50 - first.unknown, alreadyDone: 50, unknown: first.unknown });
    const twice = [...sender.delivered].filter(([, n]) => n > 1);
    expect(twice).toEqual([]);
  });

  it("if recording the unknown fails, the whole batch stays unknown: never settled without them", async () => {
    // The write of the unknown recipients' intent (batch 2) fails, as a store outage would.
    const failing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop !== "putIfAbsent") return Reflect.get(target, prop, receiver);
        return async (key: string, body: string, options?: { durable?: boolean }) => {
          if (key.endsWith("batch-000002.json")) throw new Error("store unreachable");
          return target.putIfAbsent(key, body, options);
        };
      },
    });
    const sender = new Scripted((to, call, i) =>
      call === 1 && i === 7 ? "lost-after" : { status: "sent", messageId: `msg-${to}` },
    );
    const run = input(sender, 50);
    run.input.ledger = new Ledger(failing, id);
    await expect(runCampaign(run.input)).rejects.toThrow("store unreachable");
    const state = await new Ledger(store, id).load();
    expect(state.unknown.has(idOf("u7@example.com"))).toBe(true);
    const next = await runCampaign(input(sender, 50).input);
    expect(next.sent).toBe(0);
    expect(sender.delivered.get("u7@example.com")).toBe(1);
  });
});

describe("a run through a flaky network", () => {
  it("goes on past scattered failures: unsent calls are made again after a backoff, unknown ones recorded", async () => {
    // Every 7th call fails: alternately not processed (503) and lost after processing.
    const sender = new Scripted((to, call) => {
      if (call % 14 === 7)
        return { status: "unsent", why: "unavailable", error: "ServiceUnavailable (HTTP 503)" };
      if (call % 14 === 0) return "lost-after";
      return { status: "sent", messageId: `msg-${to}` };
    });
    const i = input(sender, 150);
    i.input.batchSize = 1; // one recipient a call, like ses-list mode
    const report = await runCampaign(i.input);
    expect(report.stopped).toBeUndefined();
    expect(report.complete).toBe(true);
    expect(report.sent + report.unknown).toBe(150);
    expect(report.unknown).toBeGreaterThan(5);
    // Backoffs were slept (on simulated time), each bounded.
    expect(i.sleeps.length).toBeGreaterThan(10);
    expect(Math.max(...i.sleeps)).toBeLessThanOrEqual(10_000);
    // Nobody delivered twice; the unavailable ones were sent once, later.
    expect([...sender.delivered.values()].every((n) => n === 1)).toBe(true);
    expect(sender.delivered.size).toBe(150);
  });

  it(`stops after ${FAILED_CALLS_TO_STOP} failed calls in a row, saying how many are unknown`, async () => {
    const sender = new Scripted((to, call) =>
      call > 2
        ? { status: "unsent", why: "unavailable", error: "ServiceUnavailable (HTTP 503): injected" }
        : { status: "sent", messageId: `msg-${to}` },
    );
    const report = await runCampaign(input(sender, 300).input);
    expect(report.stopped).toBe(
      `SES send calls failed ${FAILED_CALLS_TO_STOP} times in a row (last: ServiceUnavailable (HTTP 503): injected), so the run stopped`,
    );
    expect(report).toMatchObject({ sent: 100, unknown: 0, complete: false });
    expect(sender.calls).toHaveLength(2 + FAILED_CALLS_TO_STOP);
    const run = await new Ledger(store, id).readRun();
    expect(run).toMatchObject({ status: "stopped", stopReason: report.stopped });
    // Not processed, so not unknown: the next run sends all the rest.
    expect((await new Ledger(store, id).load()).unknown.size).toBe(0);
  });

  it("the stop reason counts the unknown recipients", async () => {
    const sender = new Scripted((to, call) =>
      call > 1 ? "lost-after" : { status: "sent", messageId: `msg-${to}` },
    );
    const report = await runCampaign(input(sender, 300).input);
    expect(report.stopped).toMatch(
      new RegExp(
        `^SES send calls failed ${FAILED_CALLS_TO_STOP} times in a row \\(last: ECONNRESET: socket hang up\\), so the run stopped; ${report.unknown} recipients are unknown \\(their calls may have reached SES\\)$`,
      ),
    );
  });

  it("a sender that makes no call at all stops the run, not loops", async () => {
    const sender = new Scripted(() => ({ status: "unsent", why: "not-attempted", error: "not attempted" }));
    const report = await runCampaign(input(sender, 10).input);
    expect(report.stopped).toMatch(
      /^no SES send call got through: 6 failed in a row \(last: the sender made no call\)/,
    );
    expect(sender.calls).toHaveLength(FAILED_CALLS_TO_STOP);
  });

  it("a first call that reaches nothing stops at once, with the sender's 'cannot reach'", async () => {
    const cannot = "cannot reach SES at http://127.0.0.1:9 (ECONNREFUSED); is the server running?";
    const sender = new Scripted(() => ({ status: "unsent", why: "unreachable", error: cannot }));
    const report = await runCampaign(input(sender, 100).input);
    expect(report.stopped).toBe(cannot);
    expect(sender.calls).toHaveLength(1);
    expect(report.unknown).toBe(0);
  });

  it("mid-run, a refused connection is a failed call like any other: retried, and no 'cannot reach'", async () => {
    let refused = 2;
    const sender = new Scripted((to, call) =>
      call === 3 && refused-- > 0
        ? { status: "unsent", why: "unreachable", error: "cannot reach SES (ECONNREFUSED)" }
        : { status: "sent", messageId: `msg-${to}` },
    );
    const report = await runCampaign(input(sender, 200).input);
    expect(report).toMatchObject({ sent: 200, unknown: 0, complete: true });
    expect(report.stopped).toBeUndefined();
  });

  it("throttled calls slow the bucket, are sent again, and count as time lost", async () => {
    let t = 0;
    const clock = {
      now: () => t,
      sleep: async (ms: number) => {
        t += ms;
      },
    };
    const bucket = new TokenBucket(100, 50, clock);
    const sender = new Scripted((to, call) =>
      call % 5 === 0
        ? { status: "unsent", why: "throttled", error: "TooManyRequestsException" }
        : { status: "sent", messageId: `msg-${to}` },
    );
    const i = input(sender, 500, { sleep: clock.sleep });
    i.input.bucket = bucket;
    const report = await runCampaign(i.input);
    expect(report).toMatchObject({ sent: 500, unknown: 0, complete: true });
    expect(report.throttled.calls).toBeGreaterThan(1);
    expect(report.throttled.lostMs).toBeGreaterThan(0);
    expect([...sender.delivered.values()].every((n) => n === 1)).toBe(true);
    const run = await new Ledger(store, id).readRun();
    expect(run?.throttled?.calls).toBe(report.throttled.calls);
  });
});
