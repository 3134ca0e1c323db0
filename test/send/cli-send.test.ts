/**
 * `mailops send` through the command-line entry (src/cli.ts `main`), on the local target: each
 * flag's effect, and a damaged ledger read as a clear refusal (never an internal error). The aws
 * flags (--resend-unknown, --allow-partial) are in aws-send.test.ts, where SES is emulated.
 */
import { existsSync, rmSync } from "node:fs";
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

const outbox = (campaign: string) => repo.emls(campaign).length;
const send = (...args: string[]) => cli("send", "--dir", repo.dir, ...args);
const apply = async () => expect((await cli("apply", "--dir", repo.dir)).code).toBe(0);
const noInternalError = (r: { err: string }) => {
  expect(r.err).not.toContain("internal error");
  expect(r.err).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
};
const rows = (n: number, extra: (i: number) => object = () => ({})) =>
  repo.write(
    "subscribers/customers.jsonl",
    `${Array.from({ length: n }, (_, i) => JSON.stringify({ email: `u${i}@example.com`, name: "Pat", segment: "new_customers", ...extra(i) })).join("\n")}\n`,
  );

describe("mailops send: flags", () => {
  it("without --due or --campaign says what to give", async () => {
    const r = await send();
    expect(r.code).toBe(1);
    expect(r.err).toContain("mailops: say what to send: --due, or --campaign NAME");
  });

  it("--campaign refuses a campaign whose send_at has not come; --before-send-at sends it, early", async () => {
    await apply();
    const refused = await send("--campaign", "holiday-promo", "--now", "2026-11-30T09:00:00Z");
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      "campaign `holiday-promo` is scheduled for 2026-12-01T09:00:00.000Z, which has not come: nothing was sent",
    );
    expect(refused.err).toContain("pass --before-send-at to send it now");
    expect(outbox("holiday-promo")).toBe(0);
    const r = await send("--campaign", "holiday-promo", "--before-send-at", "--now", "2026-11-30T09:00:00Z");
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/^holiday-promo: sent .*, early: before its send_at 2026-12-01T09:00:00.000Z$/m);
    expect(outbox("holiday-promo")).toBe(1);
    expect(outbox("welcome-new-customers")).toBe(0);
  });

  it("--due sends what is due and says why the others wait", async () => {
    await apply();
    const r = await send("--due", "--now", "2026-11-27T12:00:00Z");
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/^welcome-new-customers: sent/m);
    expect(r.out).toContain("holiday-promo: scheduled (2026-12-01T09:00:00.000Z)");
    expect(r.out).toContain("spring-sale: draft");
    expect(outbox("welcome-new-customers")).toBe(2);
    expect(outbox("holiday-promo")).toBe(0);
  });

  it("--now is the time a campaign is judged due by: too late is missed, on time is sent", async () => {
    await apply();
    const late = await send("--due", "--now", "2026-12-03T09:05:00Z");
    expect(late.out).toContain("holiday-promo: missed (2026-12-01T09:00:00.000Z)");
    expect(outbox("holiday-promo")).toBe(0);
    const onTime = await send("--due", "--now", "2026-12-01T09:05:00Z");
    expect(onTime.code, onTime.out + onTime.err).toBe(0);
    expect(onTime.out).toMatch(/^holiday-promo: sent/m);
    expect(outbox("holiday-promo")).toBe(1);
    const bad = await send("--due", "--now", "next tuesday");
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("--now next tuesday is not a date-time");
  });

  it("--dry-run forecasts, and sends and records nothing", async () => {
    await apply();
    const r = await send("--due", "--dry-run", "--now", "2026-11-27T12:00:00Z");
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("would send 2");
    expect(outbox("welcome-new-customers")).toBe(0);
    expect(existsSync(path.join(repo.dir, ".mailops/state/ledger"))).toBe(false);
  });

  it("--allow-content-change finishes a run whose data changed, which is refused without it", async () => {
    // holiday-promo stopped by the bounce guardrail after its first 1,000 (20 of them bounce).
    rows(1020, (i) => ({
      segment: "loyal_customers",
      preferences: ["fashion"],
      ...(i < 20 ? { email: `bounce+${i}@simulator.amazonses.com` } : {}),
    }));
    const settings = repo.read("mailops.yaml");
    repo.write("mailops.yaml", settings.replace("bounce_rate: 0.05", "bounce_rate: 0.01"));
    await apply();
    const first = await send("--campaign", "holiday-promo", "--before-send-at");
    expect(first.out).toContain("holiday-promo: stopped (bounce rate");
    expect(outbox("holiday-promo")).toBe(1000);
    repo.write("mailops.yaml", settings);
    repo.write(
      "campaigns/holiday-promo.yaml",
      repo.read("campaigns/holiday-promo.yaml").replace("discount: 20", "discount: 25"),
    );
    const refused = await send("--campaign", "holiday-promo", "--before-send-at");
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(
      "holiday-promo: refused (campaign holiday-promo was partially sent with content",
    );
    expect(outbox("holiday-promo")).toBe(1000);
    const allowed = await send("--campaign", "holiday-promo", "--before-send-at", "--allow-content-change");
    expect(allowed.code, allowed.out + allowed.err).toBe(0);
    expect(outbox("holiday-promo")).toBe(1020);
  });
});

describe("mailops send and status: a damaged ledger", () => {
  const RUN = ".mailops/state/ledger/welcome-new-customers/on-merge";
  /** 120 recipients at 100/s: ledger batches of 50, so batch-000003.done.json ends the run. */
  async function completeRun() {
    repo.write("mailops.yaml", `${repo.read("mailops.yaml")}\nsending:\n  local_rate: 100\n`);
    rows(120);
    await apply();
    const r = await send("--campaign", "welcome-new-customers");
    expect(r.code, r.out + r.err).toBe(0);
    expect(outbox("welcome-new-customers")).toBe(120);
  }

  it("a truncated outcome file: named, its batch settled from the outbox, nobody sent twice", async () => {
    await completeRun();
    repo.write(`${RUN}/batch-000003.done.json`, '{"version":1,"batch":3,"sta');
    const r = await send("--campaign", "welcome-new-customers");
    noInternalError(r);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain(
      "ledger: ledger/welcome-new-customers/on-merge/batch-000003.done.json is unreadable (a write cut short, e.g. by a power loss)",
    );
    expect(outbox("welcome-new-customers")).toBe(120);
    const status = await cli("status", "--dir", repo.dir);
    expect(status.out).toContain("welcome-new-customers (send_at on-merge): complete");
    expect(status.out).toContain("sent 120, failed 0, unknown 0");
  });

  it("the run's folder deleted after it completed: refused with what to do, nothing sent", async () => {
    await completeRun();
    rmSync(path.join(repo.dir, RUN), { recursive: true });
    for (const args of [["--campaign", "welcome-new-customers"], ["--due"]]) {
      const r = await send(...args);
      noInternalError(r);
      expect(r.code).toBe(1);
      expect(r.out).toContain(
        "welcome-new-customers: refused (the ledger of campaign welcome-new-customers (send_at on-merge) is gone",
      );
      expect(r.out).toContain("to send the campaign again on purpose, give it a new send_at");
    }
    expect(outbox("welcome-new-customers")).toBe(120);
    const preview = await send("--due", "--dry-run");
    noInternalError(preview);
    expect(preview.out).toContain(
      "sending refuses this campaign: the ledger of campaign welcome-new-customers",
    );
    const status = await cli("status", "--dir", repo.dir);
    expect(status.code).toBe(1);
    expect(status.out).toContain(
      "welcome-new-customers (send_at on-merge): damaged — the ledger of campaign",
    );
  });

  it("the whole state store deleted: the outbox shows the run went out, so nothing is sent", async () => {
    await completeRun();
    // The local target's resources stay under .mailops/local: the templates still match.
    rmSync(path.join(repo.dir, ".mailops/state"), { recursive: true });
    // Refused before any run starts (test/send/state-lost.test.ts); told to go on, the outbox is
    // the second line of defence.
    const r = await send("--campaign", "welcome-new-customers", "--state-lost-ok");
    noInternalError(r);
    expect(r.err).toContain("warning: the state store appears to have been lost");
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      "welcome-new-customers: refused (50 recipients about to be sent already got this run's mail (the outbox has it), but the ledger ledger/welcome-new-customers/on-merge does not record it",
    );
    expect(outbox("welcome-new-customers")).toBe(120);
  });
});

describe("mailops status", () => {
  it("shows no stop reason beside a run that completed after an interrupted attempt", async () => {
    await apply();
    expect((await send("--campaign", "welcome-new-customers")).code).toBe(0);
    // What an earlier version left: complete, with the reason of an interrupted attempt kept.
    const file = ".mailops/state/ledger/welcome-new-customers/on-merge/run.json";
    const run = JSON.parse(repo.read(file));
    repo.write(
      file,
      JSON.stringify({ ...run, stopReason: "50 recipients in an interrupted batch are unknown" }),
    );
    const r = await cli("status", "--dir", repo.dir);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("welcome-new-customers (send_at on-merge): complete\n");
    expect(r.out).not.toContain("interrupted batch");
  });
});
