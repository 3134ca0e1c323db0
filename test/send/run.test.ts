import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SourceChangedError } from "../../src/audience/index.js";
import { Ledger, recipientId } from "../../src/send/ledger.js";
import type { MessageBuilder, MessageRecipient } from "../../src/send/message.js";
import { TokenBucket } from "../../src/send/pacing.js";
import { ContentChangedError, type RunInput, runCampaign } from "../../src/send/run.js";
import { LocalStore, type Store } from "../../src/store/index.js";
import { type EntryResult, type Sender, type SendRequest, ThrottledError } from "../../src/targets/port.js";
import { people, runInput } from "../support/campaign-run.js";
import { recordedOutcomes } from "../support/ledger-outcomes.js";

let dir: string;
let store: LocalStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mailops-run-"));
  store = new LocalStore(path.join(dir, "state"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const messages: MessageBuilder = {
  prepare: (r) =>
    r.fields.name === "skip-me"
      ? { ok: false, reason: "missing variable name" }
      : { ok: true, data: { ...r.fields }, headers: [] },
  skipReason: (r) => (r.fields.name === "skip-me" ? "missing variable name" : undefined),
};

/** A stand-in for SES: records every address it was asked to send, answers per a script. */
class ScriptedSender implements Sender {
  sent: string[] = [];
  calls = 0;
  constructor(
    private readonly answer: (to: string, call: number) => EntryResult | "throttle" = () => ({
      status: "sent",
      messageId: "m",
    }),
  ) {}
  async send(request: SendRequest): Promise<EntryResult[]> {
    this.calls++;
    const answers = request.messages.map((m) => this.answer(m.to, this.calls));
    if (answers.includes("throttle")) throw new ThrottledError("429");
    return request.messages.map((m, i) => {
      const a = answers[i] as EntryResult;
      if (a.status === "sent") this.sent.push(m.to);
      return a;
    });
  }
}

const id = { campaign: "promo", sendAt: "2026-12-01T09:00:00.000Z" };

/** The store, with create-only writes failing with the message `fail` returns for a key. */
function failingWrites(inner: LocalStore, fail: (key: string) => string | undefined): Store {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== "putIfAbsent") return Reflect.get(target, prop, receiver);
      return async (key: string, body: string) => {
        const message = fail(key);
        if (message) throw new Error(message);
        return target.putIfAbsent(key, body);
      };
    },
  });
}

function input(
  recipients: MessageRecipient[],
  sender: Sender,
  options: Partial<RunInput["options"]> = {},
  contentDigest = "A",
): RunInput {
  return runInput({
    id,
    recipients,
    messages,
    sender,
    ledger: new Ledger(store, id),
    contentDigest,
    options,
  });
}

describe("runCampaign", () => {
  it("sends everyone once, in batches of 50, and records each outcome", async () => {
    const sender = new ScriptedSender();
    const report = await runCampaign(input(people(120), sender));
    expect(report).toMatchObject({ sent: 120, failed: 0, unknown: 0, complete: true });
    expect(sender.calls).toBe(3);
    const state = await new Ledger(store, id).load();
    expect(state.sent.size).toBe(120);
    expect(state.run?.status).toBe("complete");
  });

  it("a second run sends nobody again", async () => {
    const sender = new ScriptedSender();
    await runCampaign(input(people(60), sender));
    const again = await runCampaign(input(people(60), sender));
    expect(again).toMatchObject({ sent: 0, alreadyDone: 60 });
    expect(sender.sent).toHaveLength(60);
  });

  it("records skips with their reason and never sends them", async () => {
    const list = people(3);
    (list[1] as MessageRecipient).fields.name = "skip-me";
    const sender = new ScriptedSender();
    const report = await runCampaign(input(list, sender));
    expect(report.skipped).toEqual({ "missing variable name": 1 });
    expect(sender.sent).toEqual(["u0@example.com", "u2@example.com"]);
  });

  it("retries transient entries, records permanent failures, and does not resend what succeeded", async () => {
    const tries = new Map<string, number>();
    const sender = new ScriptedSender((to) => {
      const n = (tries.get(to) ?? 0) + 1;
      tries.set(to, n);
      if (to === "u1@example.com" && n === 1) return { status: "retry", error: "TRANSIENT_FAILURE" };
      if (to === "u2@example.com") return { status: "failed", error: "MESSAGE_REJECTED" };
      return { status: "sent", messageId: `m-${to}` };
    });
    const report = await runCampaign(input(people(4), sender));
    expect(report).toMatchObject({ sent: 3, failed: 1, failures: { MESSAGE_REJECTED: 1 } });
    expect(tries.get("u0@example.com")).toBe(1);
    expect(tries.get("u1@example.com")).toBe(2);
  });

  it("slows down on throttling and still sends everyone once", async () => {
    let throttles = 2;
    const sender = new ScriptedSender(() =>
      throttles-- > 0 ? "throttle" : { status: "sent", messageId: "m" },
    );
    const bucket = new TokenBucket(100, 50);
    const i = input(people(10), sender);
    i.bucket = bucket;
    const report = await runCampaign(i);
    expect(report.sent).toBe(10);
    expect(sender.sent).toHaveLength(10);
    expect(bucket.rate).toBeLessThan(100);
  });

  it("stops the run when the account cannot send, and a later run sends the rest", async () => {
    let paused = true;
    const sender = new ScriptedSender((to) =>
      paused && to === "u60@example.com"
        ? { status: "stop", error: "ACCOUNT_SENDING_PAUSED" }
        : { status: "sent", messageId: "m" },
    );
    const first = await runCampaign(input(people(120), sender));
    expect(first.stopped).toBe("ACCOUNT_SENDING_PAUSED");
    expect(first.complete).toBe(false);
    paused = false;
    const second = await runCampaign(input(people(120), sender));
    expect(second.complete).toBe(true);
    expect(new Set(sender.sent).size).toBe(120);
    expect(sender.sent).toHaveLength(120);
  });

  it("stops, not complete, when the audience fails mid-way; a later run sends exactly the rest", async () => {
    const sender = new ScriptedSender();
    const failing = input(people(150), sender);
    failing.recipients = async function* () {
      yield* people(120);
      throw new SourceChangedError(
        "subscriber source `s` (s.csv) changed after it was counted",
        "count again",
      );
    };
    const first = await runCampaign(failing);
    expect(first).toMatchObject({ sent: 100, complete: false });
    expect(first.stopped).toBe(
      "the audience could not be read to the end: subscriber source `s` (s.csv) changed after it was counted; count again",
    );
    // The 20 read after the last full batch wait for the next run, which reads the audience again.
    expect(sender.sent).toHaveLength(100);
    const run = (await new Ledger(store, id).load()).run;
    expect(run).toMatchObject({ status: "stopped", stopReason: first.stopped });
    const second = await runCampaign(input(people(150), sender));
    expect(second).toMatchObject({ sent: 50, alreadyDone: 100, complete: true });
    expect(new Set(sender.sent).size).toBe(150);
    expect(sender.sent).toHaveLength(150);
  });

  it("leaves a batch interrupted mid-send as unknown, and resends it only when asked", async () => {
    const crashing = new ScriptedSender((to) => {
      if (to === "u50@example.com") throw new Error("connection reset");
      return { status: "sent", messageId: "m" };
    });
    await expect(runCampaign(input(people(120), crashing))).rejects.toThrow("connection reset");
    const sender = new ScriptedSender();
    const second = await runCampaign(input(people(120), sender));
    expect(second.unknown).toBe(50);
    expect(second.complete).toBe(false);
    expect(sender.sent).toHaveLength(20);
    const third = await runCampaign(input(people(120), sender, { resendUnknown: true }));
    expect(third).toMatchObject({ sent: 50, unknown: 0, complete: true });
    expect(new Set([...crashing.sent, ...sender.sent]).size).toBe(120);
  });

  it("a run finished later drops the stop reason of its interrupted attempt", async () => {
    const crashing = new ScriptedSender((to) => {
      if (to === "u50@example.com") throw new Error("connection reset");
      return { status: "sent", messageId: "m" };
    });
    await expect(runCampaign(input(people(120), crashing))).rejects.toThrow("connection reset");
    await runCampaign(input(people(120), new ScriptedSender()));
    expect(await new Ledger(store, id).readRun()).toMatchObject({
      status: "stopped",
      stopReason: "50 recipients in an interrupted batch are unknown",
    });
    const done = await runCampaign(input(people(120), new ScriptedSender(), { resendUnknown: true }));
    expect(done.complete).toBe(true);
    const run = await new Ledger(store, id).readRun();
    expect(run?.status).toBe("complete");
    expect(run?.stopReason).toBeUndefined();
  });

  it("writes one ledger record per batch: each outcome rides on the next intent", async () => {
    const sender = new ScriptedSender();
    const i = input(people(250), sender);
    i.batchSize = 100;
    const report = await runCampaign(i);
    expect(report).toMatchObject({ sent: 250, complete: true });
    expect(sender.calls).toBe(5); // at most 50 recipients a sender call, whatever the batch size
    const keys = await store.list("ledger/promo/");
    expect(keys.map((k) => k.split("/").pop())).toEqual([
      "batch-000001.json",
      "batch-000002.json",
      "batch-000003.done.json",
      "batch-000003.json",
      "run.json",
    ]);
    const second = JSON.parse((await store.get(keys[1] as string))?.body ?? "{}");
    expect(second.previous).toMatchObject({ batch: 1 });
    expect(second.previous.outcomes).toHaveLength(100);
    expect((await new Ledger(store, id).load()).sent.size).toBe(250);
  });

  it("a finished batch whose outcome was never written reads as unknown, not as unsent", async () => {
    // The process dies after batch 1 went out, before the next record: every later write fails.
    let dead = false;
    const dying = failingWrites(store, (key) => {
      if (key.endsWith("batch-000002.json")) dead = true;
      return dead ? "killed" : undefined;
    });
    const first = new ScriptedSender();
    const i = input(people(120), first);
    i.ledger = new Ledger(dying, id);
    await expect(runCampaign(i)).rejects.toThrow("killed");
    expect(first.sent).toHaveLength(50);
    const sender = new ScriptedSender();
    const second = await runCampaign(input(people(120), sender));
    expect(second).toMatchObject({ unknown: 50, sent: 70, complete: false });
    expect(sender.sent).not.toContain("u0@example.com");
  });

  it("records what was sent before an error stops the run, so nothing of it is unknown", async () => {
    let failOnce = true;
    const flaky = failingWrites(store, (key) => {
      if (!failOnce || !key.endsWith("batch-000002.json")) return undefined;
      failOnce = false;
      return "store unreachable";
    });
    const first = new ScriptedSender();
    const i = input(people(120), first);
    i.ledger = new Ledger(flaky, id);
    await expect(runCampaign(i)).rejects.toThrow("store unreachable");
    const sender = new ScriptedSender();
    const second = await runCampaign(input(people(120), sender));
    expect(second).toMatchObject({ unknown: 0, alreadyDone: 50, sent: 70, complete: true });
    expect(new Set([...first.sent, ...sender.sent]).size).toBe(120);
    expect(first.sent.length + sender.sent.length).toBe(120);
  });

  it("a call failing mid-batch leaves only that call's recipients unknown", async () => {
    const crashing = new ScriptedSender((to) => {
      if (to === "u100@example.com") throw new Error("connection reset");
      return { status: "sent", messageId: "m" };
    });
    const first = input(people(200), crashing);
    first.batchSize = 200; // four calls: two go out, the third fails, the fourth is never tried
    await expect(runCampaign(first)).rejects.toThrow("connection reset");
    expect(crashing.sent).toHaveLength(100);
    const sender = new ScriptedSender();
    const second = await runCampaign(input(people(200), sender));
    expect(second).toMatchObject({ alreadyDone: 100, unknown: 50, sent: 50, complete: false });
    expect(sender.sent).toContain("u150@example.com");
    expect(sender.sent).not.toContain("u100@example.com");
    const third = await runCampaign(input(people(200), sender, { resendUnknown: true }));
    expect(third).toMatchObject({ sent: 50, unknown: 0, complete: true });
    const all = [...crashing.sent, ...sender.sent];
    expect(all).toHaveLength(200);
    expect(new Set(all).size).toBe(200);
  });

  it("an outcome file emptied by a power cut reads as unknown; an unreadable intent is an error", async () => {
    await runCampaign(input(people(100), new ScriptedSender()));
    const prefix = "ledger/promo/20261201T090000Z";
    await store.delete(`${prefix}/batch-000002.done.json`);
    await store.put(`${prefix}/batch-000002.done.json`, "");
    const state = await new Ledger(store, id).load();
    expect(state.sent.size).toBe(50);
    expect(state.unknown.size).toBe(50);
    expect(state.nextBatch).toBe(3);
    await store.put(`${prefix}/batch-000001.json`, "{");
    await expect(new Ledger(store, id).load()).rejects.toThrow(/batch-000001.json is unreadable/);
  });

  it("refuses to continue a run whose content changed, unless allowed", async () => {
    const sender = new ScriptedSender((to) =>
      to === "u10@example.com"
        ? { status: "stop", error: "ACCOUNT_SENDING_PAUSED" }
        : { status: "sent", messageId: "m" },
    );
    await runCampaign(input(people(20), sender, {}, "A"));
    await expect(runCampaign(input(people(20), new ScriptedSender(), {}, "B"))).rejects.toBeInstanceOf(
      ContentChangedError,
    );
    const allowed = await runCampaign(
      input(people(20), new ScriptedSender(), { allowContentChange: true }, "B"),
    );
    expect(allowed.complete).toBe(true);
  });

  it("stores salted hashes, not addresses", async () => {
    await runCampaign(input(people(2), new ScriptedSender()));
    const keys = await store.list("ledger/");
    for (const key of keys) {
      const body = (await store.get(key))?.body ?? "";
      expect(body).not.toContain("@example.com");
    }
    expect(recipientId("p", "u0@example.com")).toHaveLength(22);
    // Pinned: a different id for the same recipient would make a resumed run send to them again.
    expect(recipientId("p", "u@x.com")).toBe("77XvY8vjBlqJx_A2fgvtu5");
  });
});

describe("address key versions in the ledger", () => {
  const legacyRun = async (ledger: Ledger) =>
    ledger.saveRun(
      {
        version: 1,
        campaign: id.campaign,
        sendAt: id.sendAt,
        contentDigest: "A",
        startedAt: "2026-12-01T09:00:00.000Z",
        updatedAt: "2026-12-01T09:00:00.000Z",
        status: "stopped",
      },
      undefined,
    );
  const person = (address: string): MessageRecipient => ({
    address,
    key: address.toLowerCase(),
    fields: { name: address },
  });

  it("a new run records addressKey 2 and makes ids from the key, resumed or not", async () => {
    const sender = new ScriptedSender();
    const recipients = [person("Ann@example.com")];
    await runCampaign(runInput({ id, recipients, sender, ledger: new Ledger(store, id) }));
    const state = await new Ledger(store, id).load();
    expect(state.run?.addressKey).toBe(2);
    expect(state.sent.size).toBe(1);
    expect(state.sent.has(recipientId("p", "ann@example.com"))).toBe(true);
    expect([...(await recordedOutcomes(new Ledger(store, id))).sent.keys()]).toEqual([
      recipientId("p", "ann@example.com"),
    ]);
    const again = await runCampaign(runInput({ id, recipients, sender, ledger: new Ledger(store, id) }));
    expect(again).toMatchObject({ sent: 0, alreadyDone: 1 });
    expect(sender.sent).toEqual(["Ann@example.com"]);
  });

  it("a run started under version 1 keeps its ids; a recipient known by another spelling, sent or unknown, is not sent", async () => {
    const ledger = new Ledger(store, id);
    await legacyRun(ledger);
    const at = new Date("2026-12-01T09:00:00Z");
    // Sent as `ann@`, a later row; `Bob@` in flight at a crash, with a sender that cannot tell.
    await ledger.record(1, [{ id: recipientId("p", "ann@example.com"), status: "sent", messageId: "m" }], at);
    await ledger.intent(2, [recipientId("p", "Bob@example.com")], at);
    const sender = new ScriptedSender();
    const report = await runCampaign(
      runInput({
        id,
        recipients: [person("Ann@example.com"), person("bob@example.com"), person("Cy@example.com")],
        sender,
        ledger: new Ledger(store, id),
        otherSpellings: new Map([
          ["ann@example.com", ["ann@example.com"]],
          ["bob@example.com", ["Bob@example.com"]],
        ]),
      }),
    );
    expect(sender.sent).toEqual(["Cy@example.com"]);
    expect(report).toMatchObject({ sent: 1, alreadyDone: 1, unknown: 1 });
    const state = await new Ledger(store, id).load();
    expect(state.run?.addressKey).toBeUndefined();
    // Cy's id is made with the old key: the local part as written.
    expect(state.sent.has(recipientId("p", "Cy@example.com"))).toBe(true);
  });
});
