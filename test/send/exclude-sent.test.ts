/**
 * exclude_sent's reading of earlier runs (send/exclude-sent.ts, Ledger.reached): who counts as
 * reached (sent, or unknown), which runs are in the window, and matching by salted id.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Campaign } from "../../src/config/model.js";
import { sentByEarlierRuns } from "../../src/send/exclude-sent.js";
import { Ledger, LedgerDamagedError, ledgerId, type RunId } from "../../src/send/ledger.js";
import { LocalStore } from "../../src/store/index.js";
import { recordedOutcomes } from "../support/ledger-outcomes.js";

const PROJECT = "acme";
const id = (address: string) => ledgerId(PROJECT, 2, { address, key: address });

let dir: string;
let store: LocalStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mailops-exclude-sent-"));
  store = new LocalStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A run with: batch 1 a sent, b failed, e skipped; batch 2 in flight at a crash (c); batch 3 ambiguous (d). */
async function run(runId: RunId, people = { a: "a@x.test", b: "b@x.test", c: "c@x.test", d: "d@x.test" }) {
  const ledger = new Ledger(store, runId);
  const at = new Date("2027-01-04T08:00:00Z");
  await ledger.saveRun(
    {
      version: 1,
      addressKey: 2,
      campaign: runId.campaign,
      sendAt: runId.sendAt,
      contentDigest: "x",
      startedAt: at.toISOString(),
      updatedAt: at.toISOString(),
      status: "running",
    },
    undefined,
  );
  await ledger.intent(1, [id(people.a), id(people.b)], at);
  ledger.finished(
    1,
    [id(people.a), id(people.b)],
    [
      { id: id(people.a), status: "sent", messageId: "m1" },
      { id: id(people.b), status: "failed", error: "MessageRejected" },
    ],
    at,
  );
  await ledger.record(2, [{ id: id("e@x.test"), status: "skipped", reason: "missing variable" }], at);
  await ledger.intent(3, [id(people.c)], at);
  await ledger.intent(4, [id(people.d)], at, "the connection broke");
  return ledger;
}

describe("Ledger.reached", () => {
  it("is everyone sent, and everyone whose outcome is unknown; never the failed or skipped", async () => {
    const ledger = await run({ campaign: "welcome", sendAt: "2027-01-04T08:00:00.000Z" });
    const reached = new Set<string>();
    await ledger.reached((x) => reached.add(x));
    expect(reached).toEqual(new Set([id("a@x.test"), id("c@x.test"), id("d@x.test")]));
    // The same as the full load says.
    const state = await ledger.load();
    const recorded = await recordedOutcomes(ledger);
    expect(state.sent.size).toBe(recorded.sent.size);
    expect(new Set([...recorded.sent.keys(), ...state.unknown])).toEqual(reached);
  });

  it("an unreadable outcome leaves its batch unknown; a missing record refuses", async () => {
    const runId = { campaign: "welcome", sendAt: "2027-01-04T08:00:00.000Z" };
    const ledger = await run(runId);
    await ledger.flush();
    writeFileSync(path.join(dir, "ledger/welcome/20270104T080000Z/batch-000004.done.json"), "{");
    const reached = new Set<string>();
    await ledger.reached((x) => reached.add(x));
    expect(reached.has(id("d@x.test"))).toBe(true);
    rmSync(path.join(dir, "ledger/welcome/20270104T080000Z/batch-000003.json"));
    await expect(ledger.reached(() => {})).rejects.toThrow(LedgerDamagedError);
  });
});

describe("sentByEarlierRuns", () => {
  const campaign = (excludeSent: Campaign["excludeSent"]): Campaign => ({
    name: "weekly",
    file: "campaigns/weekly.yaml",
    ok: true,
    to: ["customers"],
    exclude: [],
    replyTo: [],
    data: {},
    tags: {},
    excludeSent,
  });
  const DAY = 86_400;
  const current: RunId = { campaign: "weekly", sendAt: "2027-02-01T08:00:00.000Z" };
  const at = Date.parse(current.sendAt);

  it("reads the runs in the window, never this run, and matches by the salted id of the address key", async () => {
    await run({ campaign: "weekly", sendAt: "2027-01-04T08:00:00.000Z" }); // 28 days before
    await run(
      { campaign: "weekly", sendAt: "2026-12-01T08:00:00.000Z" },
      {
        a: "old@x.test",
        b: "b@x.test",
        c: "c@x.test",
        d: "d@x.test",
      },
    ); // 62 days before
    await run(current, { a: "self@x.test", b: "b@x.test", c: "c@x.test", d: "d@x.test" });
    const within30 = await sentByEarlierRuns(
      store,
      PROJECT,
      campaign([{ campaign: "weekly", withinSeconds: 30 * DAY }]),
      current,
      at,
    );
    expect(within30?.runs).toBe(1);
    expect(within30?.has("a@x.test", "a@x.test")).toBe(true);
    expect(within30?.has("c@x.test", "c@x.test")).toBe(true);
    expect(within30?.has("b@x.test", "b@x.test")).toBe(false);
    expect(within30?.has("old@x.test", "old@x.test")).toBe(false);
    expect(within30?.has("self@x.test", "self@x.test")).toBe(false);
    const ever = await sentByEarlierRuns(store, PROJECT, campaign([{ campaign: "weekly" }]), current, at);
    expect(ever?.runs).toBe(2);
    expect(ever?.has("old@x.test", "old@x.test")).toBe(true);
    // Another project's salt matches nobody.
    const other = await sentByEarlierRuns(store, "other", campaign([{ campaign: "weekly" }]), current, at);
    expect(other?.has("a@x.test", "a@x.test")).toBe(false);
  });

  it("an on-merge run is judged at its start; one whose start cannot be read counts whatever the window", async () => {
    await run({ campaign: "signup", sendAt: "on-merge" }); // started 28 days before
    const rule = campaign([{ campaign: "signup", withinSeconds: 7 * DAY }]);
    const outside = await sentByEarlierRuns(store, PROJECT, rule, current, at);
    expect(outside?.runs).toBe(0);
    expect(outside?.has("a@x.test", "a@x.test")).toBe(false);
    writeFileSync(path.join(dir, "runs/signup/on-merge.json"), "{");
    const unreadable = await sentByEarlierRuns(store, PROJECT, rule, current, at);
    expect(unreadable?.runs).toBe(1);
    expect(unreadable?.has("a@x.test", "a@x.test")).toBe(true);
  });

  it("a later run is not an earlier one; no rule reads nothing", async () => {
    await run({ campaign: "weekly", sendAt: "2027-03-01T08:00:00.000Z" });
    const later = await sentByEarlierRuns(store, PROJECT, campaign([{ campaign: "weekly" }]), current, at);
    expect(later?.runs).toBe(0);
    expect(await sentByEarlierRuns(store, PROJECT, campaign(undefined), current, at)).toBeUndefined();
  });
});
