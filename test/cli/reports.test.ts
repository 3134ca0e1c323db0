/**
 * The reports of status, apply and preview as `--format json`, through the command-line entry
 * (src/cli.ts `main`): one JSON document on stdout with its `version` and `kind`, the facts the
 * text shows, the same exit code. The text itself is held by the tests of each command.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cli } from "../support/cli.js";
import { copyExampleRepo } from "../support/repo.js";

let repo: ReturnType<typeof copyExampleRepo>;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => {
  repo.cleanup();
  process.exitCode = undefined;
});

const json = (r: { out: string }) => JSON.parse(r.out);

describe("status --format json", () => {
  const deploy = async () => {
    const r = await cli("deploy", "--dir", repo.dir, "--target", "local", "--now", "2026-06-01T12:00:00Z");
    expect(r.code, r.err).toBe(0);
  };

  it("each run's counts, state and metrics, exit 0", async () => {
    await deploy();
    const r = await cli("status", "--dir", repo.dir, "--target", "local", "--format", "json");
    expect(r.code, r.err).toBe(0);
    const report = json(r);
    expect(report).toMatchObject({ version: 1, kind: "status", ok: true });
    expect(report.campaign).toBeUndefined();
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0]).toMatchObject({
      campaign: "welcome-new-customers",
      sendAt: "on-merge",
      status: "complete",
      sent: 2,
      failed: 0,
      unknown: 0,
      skipped: {},
      metrics: { delivered: 2, bounced: 0, complained: 0 },
    });
    expect(report.runs[0].startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("one campaign without runs: the campaign named, no runs", async () => {
    const r = await cli("status", "holiday-promo", "--dir", repo.dir, "--format", "json");
    expect(r.code, r.err).toBe(0);
    expect(json(r)).toEqual({ version: 1, kind: "status", campaign: "holiday-promo", runs: [], ok: true });
  });

  it("a damaged ledger: the run's state and why, exit 1 as in text", async () => {
    await deploy();
    rmSync(path.join(repo.dir, ".mailops/state/ledger/welcome-new-customers/on-merge"), { recursive: true });
    const r = await cli("status", "--dir", repo.dir, "--format", "json");
    expect(r.code).toBe(1);
    const report = json(r);
    expect(report.ok).toBe(false);
    expect(report.runs[0]).toMatchObject({ campaign: "welcome-new-customers", status: "damaged" });
    expect(report.runs[0].stopReason).toContain("the ledger of campaign welcome-new-customers");
  });
});
