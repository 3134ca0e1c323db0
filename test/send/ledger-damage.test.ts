/**
 * A damaged send ledger (ledger.ts, "A damaged ledger"): each case either reads safely (an
 * unreadable outcome: its batch is unknown, never unsent) or refuses the run with a
 * LedgerDamagedError naming the file, before anything is sent.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Ledger, LedgerDamagedError } from "../../src/send/ledger.js";
import { runCampaign } from "../../src/send/run.js";
import { LocalStore } from "../../src/store/index.js";
import type { EntryResult, Sender, SendRequest } from "../../src/targets/port.js";
import { people, runInput } from "../support/campaign-run.js";

let dir: string;
let store: LocalStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mailops-damage-"));
  store = new LocalStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const id = { campaign: "promo", sendAt: "2026-12-01T09:00:00.000Z" };
const RUN = "ledger/promo/20261201T090000Z";

/** Records every address it sends to; `stopAt` answers ACCOUNT_SENDING_PAUSED from that one on. */
class Recorder implements Sender {
  sent: string[] = [];
  constructor(private readonly stopAt?: string) {}
  async send(request: SendRequest): Promise<EntryResult[]> {
    let stopped = false;
    return request.messages.map((m) => {
      stopped ||= m.to === this.stopAt;
      if (stopped) return { status: "stop", error: "ACCOUNT_SENDING_PAUSED" };
      this.sent.push(m.to);
      return { status: "sent", messageId: `m-${m.to}` };
    });
  }
}

const run = (sender: Sender, n = 120, options: { resendUnknown?: boolean } = {}) =>
  runCampaign(runInput({ id, recipients: people(n), sender, ledger: new Ledger(store, id), options }));

/** A complete run of 120 in batches of 50: batch-1, batch-2, batch-3 intents and batch-3.done. */
async function completeRun(): Promise<void> {
  expect(await run(new Recorder())).toMatchObject({ sent: 120, complete: true });
}

const overwrite = async (key: string, body: string) => {
  await store.delete(key);
  await store.put(key, body);
};

async function refused(pattern: RegExp): Promise<LedgerDamagedError> {
  const sender = new Recorder();
  const error = await run(sender).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(LedgerDamagedError);
  expect((error as Error).message).toMatch(pattern);
  expect(sender.sent).toEqual([]);
  return error as LedgerDamagedError;
}

const BROKEN = {
  empty: "",
  truncated: '{"version":1,"batch":2,"state":"intent","at":"2026-',
  garbage: "\u0000\u0013\u00ff not json",
};

describe("an unreadable outcome file (a power cut can leave one so)", () => {
  it.each(Object.entries(BROKEN))(
    "%s: its batch is unknown, not unsent; resent only when asked",
    async (_, body) => {
      await completeRun();
      await overwrite(`${RUN}/batch-000003.done.json`, body);
      const state = await new Ledger(store, id).load();
      expect(state.unknown.size).toBe(20);
      expect(state.unreadable).toEqual([`${RUN}/batch-000003.done.json`]);

      const again = new Recorder();
      const second = await run(again);
      expect(second).toMatchObject({ sent: 0, unknown: 20, alreadyDone: 100, complete: false });
      expect(second.unreadable).toEqual([`${RUN}/batch-000003.done.json`]);
      expect(again.sent).toEqual([]);

      // Settled by a record of its own: the damaged file is never written over.
      const resent = new Recorder();
      const third = await run(resent, 120, { resendUnknown: true });
      expect(third).toMatchObject({ sent: 20, unknown: 0, complete: true });
      expect(resent.sent).toEqual(
        people(120)
          .slice(100)
          .map((p) => p.address),
      );
      expect((await store.get(`${RUN}/batch-000003.done.json`))?.body).toBe(body);
      const after = await new Ledger(store, id).load();
      expect(after).toMatchObject({ unreadable: [] });
      expect(after.unknown.size).toBe(0);
      expect(after.sent.size).toBe(120);
    },
  );

  it("a skip record cut short names nobody sent: its skips are judged again, nobody is sent twice", async () => {
    const ledger = new Ledger(store, id);
    await run(new Recorder("u60@example.com"), 120);
    // Batch 3 is a skip record written after the stop: cut short, it names nobody.
    const at = new Date("2026-12-01T09:00:00Z");
    await ledger.record(3, [{ id: "nobody-sent", status: "skipped", reason: "missing variable" }], at);
    await overwrite(`${RUN}/batch-000003.done.json`, BROKEN.truncated);
    const sender = new Recorder();
    const report = await run(sender);
    expect(report).toMatchObject({ alreadyDone: 60, sent: 60, unknown: 0, complete: true });
    expect(sender.sent).toEqual(
      people(120)
        .slice(60)
        .map((p) => p.address),
    );
  });
});

describe("a damaged ledger refuses the run and sends nothing", () => {
  it.each(Object.entries(BROKEN))("an intent file, %s", async (_, body) => {
    await run(new Recorder("u60@example.com"));
    await overwrite(`${RUN}/batch-000002.json`, body);
    const e = await refused(/batch-000002\.json is unreadable/);
    expect(e.hint).toContain("restore the state store from a backup");
  });

  it.each(Object.entries(BROKEN))("run.json, %s", async (_, body) => {
    await run(new Recorder("u60@example.com"));
    await store.put(`${RUN}/run.json`, body);
    const e = await refused(new RegExp(`the run record ${RUN}/run.json in .* is unreadable`));
    expect(e.hint).toContain("content digest and address key");
  });

  it.each([
    ["run.json that is no run record", "run.json", "[]", /run\.json in .* is not a run record/],
    [
      "an intent whose number is not its name's",
      "batch-000002.json",
      JSON.stringify({ version: 1, batch: 7, state: "intent", at: "x", ids: [] }),
      /batch-000002\.json in .* is not a ledger record: it says batch 7, its name says 2/,
    ],
    [
      "an outcome file of the wrong shape",
      "batch-000003.done.json",
      JSON.stringify({ version: 1, batch: 3, state: "done", at: "x", ids: [], outcomes: [{ id: 1 }] }),
      /batch-000003\.done\.json in .* is not a ledger record: no list of outcomes/,
    ],
    [
      "an intent that is JSON null",
      "batch-000001.json",
      "null",
      /batch-000001\.json in .* is not a ledger record/,
    ],
  ])("%s", async (_, file, body, pattern) => {
    await completeRun();
    await overwrite(`${RUN}/${file}`, body);
    await refused(pattern);
  });

  it.each([
    ["complete", () => completeRun()],
    ["partial", () => run(new Recorder("u60@example.com")).then(() => undefined)],
  ])("the run folder deleted after a %s run", async (_, first) => {
    await first();
    for (const key of await store.list(`${RUN}/`)) await store.delete(key);
    const e = await refused(
      /the ledger of campaign promo \(send_at 2026-12-01T09:00:00.000Z\) is gone: .* has no run record, but runs\/promo\/20261201T090000Z\.json shows the run started at 20/,
    );
    expect(e.hint).toContain("give it a new send_at");
    // `status` and `send --due` see the run too.
    expect(await Ledger.runs(store, "promo")).toEqual([id]);
    await expect(new Ledger(store, id).readRun()).rejects.toBeInstanceOf(LedgerDamagedError);
  });

  it("batch records without run.json (a run started before the started marker)", async () => {
    await run(new Recorder("u60@example.com"));
    await store.delete(`${RUN}/run.json`);
    await store.delete("runs/promo/20261201T090000Z.json");
    await refused(/the run record .*run\.json in .* is missing, but the run has 3 batch records/);
  });

  it("a gap in batch numbers: the missing record may have been an intent left open", async () => {
    await completeRun();
    await store.delete(`${RUN}/batch-000002.json`);
    const e = await refused(
      /batch 2 of the run ledger\/promo\/20261201T090000Z in .* is missing: records up to batch 3 exist/,
    );
    expect(e.hint).toContain("whom that batch sent to is unknown");
  });
});

describe("what a damaged ledger still proves", () => {
  it("an outcome file without its intent: its outcomes stand, and nobody is sent twice", async () => {
    await completeRun();
    // Batch 3's intent carried batch 2's outcome as `previous`: with it gone, batch 2 is unknown.
    await store.delete(`${RUN}/batch-000003.json`);
    const sender = new Recorder();
    const report = await run(sender);
    expect(report).toMatchObject({ alreadyDone: 70, unknown: 50, sent: 0 });
    expect(sender.sent).toEqual([]);
  });
});
