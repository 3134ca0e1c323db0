/**
 * The status use case: per run in the session's ledger, what it says as counts (never an address),
 * and a damaged ledger as a run of its own status that makes the report not ok.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deploy } from "../../src/commands/deploy.js";
import { openSession, type Session } from "../../src/commands/session.js";
import { collectStatus } from "../../src/commands/status.js";
import { UsageError } from "../../src/errors.js";
import { simulatedClock } from "../support/clock.js";
import { copyExampleRepo, type ExampleRepo, SENT_ON_MERGE } from "../support/repo.js";

let repo: ExampleRepo;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

const NOW = new Date("2026-06-01T12:00:00Z");
const session = (): Session =>
  openSession({ dir: repo.dir, target: "local", observe: () => {}, clock: simulatedClock(NOW) });

describe("collectStatus", () => {
  it("no runs yet: an empty report, ok", async () => {
    expect(await collectStatus(session())).toEqual({
      runs: [],
      ok: true,
      // The example declares the recipe's domain; nothing applied yet, so it does not exist.
      identities: [expect.objectContaining({ identity: "example.com", exists: false, verified: false })],
    });
  });

  it("after a deploy sent the on-merge campaign: its run, with what was sent, and no address", async () => {
    expect((await deploy(session(), {})).refused).toBeUndefined();
    const report = await collectStatus(session());
    expect(report.ok).toBe(true);
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0]).toMatchObject(SENT_ON_MERGE);
    // The runs hold counts only; the identities part is the repository's own (its DMARC mailbox).
    expect(JSON.stringify(report.runs)).not.toMatch(/@/);
    expect(report.identities?.map((i) => i.identity)).toEqual(["example.com"]);
    // Only the campaign asked about.
    expect(await collectStatus(session(), "holiday-promo")).toEqual({
      campaign: "holiday-promo",
      runs: [],
      ok: true,
      identities: [expect.objectContaining({ identity: "example.com", verified: true })],
    });
  });

  it("a campaign that does not exist is a usage error naming the ones that do", async () => {
    const error = await collectStatus(session(), "nope").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).hint).toContain("welcome-new-customers");
  });

  it("a damaged ledger: that run is `damaged`, with why, and the report is not ok", async () => {
    await deploy(session(), {});
    const s = session();
    const store = s.store();
    const [key] = (await store.list("ledger/welcome-new-customers/")).filter((k) => k.endsWith("/run.json"));
    expect(key).toBeDefined();
    await store.delete(key as string);
    await store.put(key as string, "{ not json");
    const report = await collectStatus(s);
    expect(report.ok).toBe(false);
    expect(report.runs).toEqual([
      expect.objectContaining({ campaign: "welcome-new-customers", status: "damaged" }),
    ]);
    expect(report.runs[0]?.stopReason).toBeTruthy();
  });
});
