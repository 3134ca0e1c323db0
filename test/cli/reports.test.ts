/**
 * The reports of status, apply, preview, send (and its dry run) and deploy as `--format json`, through the command-line entry
 * (src/cli.ts `main`): one JSON document on stdout with its `version` and `kind`, the facts the
 * text shows, the same exit code. The text itself is held by the tests of each command.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { presentApply } from "../../src/cli/apply.js";
import type { ApplyReport } from "../../src/commands/apply-project.js";
import { TargetError } from "../../src/errors.js";
import { cli } from "../support/cli.js";
import { switchToLinkMode } from "../support/link-mode.js";
import { captureIo, copyExampleRepo, expectNoAddress, SENT_ON_MERGE } from "../support/repo.js";

let repo: ReturnType<typeof copyExampleRepo>;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => {
  repo.cleanup();
  process.exitCode = undefined;
});

const NOW = "2026-06-01T12:00:00Z";
const json = (r: { out: string }) => JSON.parse(r.out);
/** A command on the example's copy and the local target. */
const local = (verb: string, ...args: string[]) => cli(verb, "--dir", repo.dir, "--target", "local", ...args);
/** The command's report as JSON. */
const asJson = (verb: string, ...args: string[]) => local(verb, "--format", "json", ...args);
/** The document of a command that exited 0: the version and kind every report carries. */
function okDocument(r: { code: number; out: string; err: string }, kind: string) {
  expect(r.code, r.err).toBe(0);
  const report = json(r);
  expect(report).toMatchObject({ version: 1, kind });
  return report;
}

describe("status --format json", () => {
  const deploy = async () => {
    const r = await local("deploy", "--now", NOW);
    expect(r.code, r.err).toBe(0);
  };

  it("each run's counts, state and metrics, exit 0", async () => {
    await deploy();
    const report = okDocument(await asJson("status"), "status");
    expect(report).toMatchObject({ ok: true });
    expect(report.campaign).toBeUndefined();
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0]).toMatchObject({
      ...SENT_ON_MERGE,
      skipped: {},
      metrics: { delivered: 2, bounced: 0, complained: 0 },
    });
    expect(report.runs[0].startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("one campaign without runs: the campaign named, no runs", async () => {
    const r = await cli("status", "holiday-promo", "--dir", repo.dir, "--format", "json");
    expect(r.code, r.err).toBe(0);
    expect(json(r)).toEqual({
      version: 1,
      kind: "status",
      campaign: "holiday-promo",
      runs: [],
      ok: true,
      // The example's sender identity, before any apply: the local target makes it verified at once.
      identities: [
        {
          identity: "example.com",
          type: "domain",
          exists: false,
          verification: "NOT_CREATED",
          verified: false,
          dkim: { status: "NOT_CREATED" },
          mailFrom: { domain: "mail.example.com", status: "NOT_CREATED" },
          tokensPending: false,
          records: [],
        },
      ],
    });
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

describe("apply --format json", () => {
  const apply = (...args: string[]) => asJson("apply", ...args);

  it("the changes applied in order, each by action, kind, name and message; then nothing", async () => {
    const r = await apply();
    const report = okDocument(r, "apply");
    expect(report).toMatchObject({
      state: "applied",
      project: "acme-marketing",
      target: "local",
      notAttempted: [],
      warnings: [],
    });
    expect(report.refused).toBeUndefined();
    expect(report.failed).toBeUndefined();
    expect(report.applied).toHaveLength(12);
    expect(report.applied[0]).toEqual({
      action: "create",
      kind: expect.any(String),
      name: expect.any(String),
      message: expect.any(String),
    });
    expect(report.applied.map((c: { name: string }) => c.name)).toContain("welcome-campaign");
    // Progress stays on stderr, out of the document.
    expect(r.err).toContain("[1/12] ");
    const again = await apply();
    expect(again.code).toBe(0);
    expect(json(again)).toMatchObject({ state: "applied", applied: [] });
  });

  it("a plan file that is not the repository's plan: refused, why, what differs; exit 1, nothing written", async () => {
    const out = path.join(repo.dir, "plan.json");
    expect((await local("plan", "--out", out)).code).toBe(0);
    const plan = JSON.parse(readFileSync(out, "utf8"));
    plan.changes.find((c: { name: string }) => c.name === "welcome-campaign").after.html =
      "<p>Not reviewed</p>";
    writeFileSync(out, JSON.stringify(plan));
    const r = await apply("--plan", out);
    expect(r.code).toBe(1);
    const report = json(r);
    expect(report).toMatchObject({ kind: "apply", state: "refused", applied: [] });
    expect(report.refused.reason).toBe("plan-differs");
    expect(report.refused.message).toContain("is not the plan of the repository as it is now");
    expect(report.refused.details).toContain(
      "email template `welcome-campaign`: the plan file's html differs from the repository's",
    );
    expect(report.refused.hint).toContain("run `mailops plan --out plan.json` again");
    // The error still ends the command on stderr, as in text.
    expect(r.err).toContain("mailops: ");
    expect(existsSync(path.join(repo.dir, ".mailops/state/inventory.json"))).toBe(false);
  });

  it("deletes beyond the guardrail: refused as blocked", async () => {
    expect((await apply()).code).toBe(0);
    const file = path.join(repo.dir, "mailops.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/\nalarms:\n(?: {2}.*\n)+/, "\n"));
    const r = await apply();
    expect(r.code).toBe(1);
    const report = json(r);
    expect(report.state).toBe("refused");
    expect(report.refused.reason).toBe("blocked");
    expect(report.refused.message).toContain("2 of 2 managed CloudWatch alarms would be deleted");
    expect(report.refused.hint).toContain("mailops apply --force");
  });

  it("a lost state store: refused as state-lost, with what was found", async () => {
    expect((await apply()).code).toBe(0);
    rmSync(path.join(repo.dir, ".mailops/state"), { recursive: true });
    const r = await apply();
    expect(r.code).toBe(1);
    const report = json(r);
    expect(report.refused.reason).toBe("state-lost");
    expect(report.refused.message).toContain("the state store appears to have been lost");
    expect(report.refused.details.length).toBeGreaterThan(0);
    expect(existsSync(path.join(repo.dir, ".mailops/state/inventory.json"))).toBe(false);
  });

  it("a failed change: the report names it, what was not attempted, then the target's error", () => {
    const change = (name: string) => ({
      action: "create" as const,
      kind: "template" as const,
      name,
      message: `create ${name}`,
    });
    const report: ApplyReport = {
      state: "failed",
      project: "p",
      target: "local",
      applied: [change("a")],
      failed: { change: change("b"), error: "quota exceeded", hint: "request more" },
      notAttempted: [change("c")],
      warnings: [],
    };
    const io = captureIo();
    expect(() => presentApply(report, "json", io)).toThrow(TargetError);
    expect(JSON.parse(io.outText)).toMatchObject({
      kind: "apply",
      state: "failed",
      failed: { change: { name: "b" }, error: "quota exceeded", hint: "request more" },
      notAttempted: [{ name: "c" }],
    });
  });
});

describe("preview --format json", () => {
  const preview = (...args: string[]) => cli("preview", "--dir", repo.dir, "--format", "json", ...args);

  it("a template: the files written, the subject, the sender, the stand-in recipient", async () => {
    const r = await preview("welcome-campaign");
    const report = okDocument(r, "preview");
    expect(report).toMatchObject({
      name: "welcome-campaign",
      of: "template",
      to: "preview@example.com",
      subscriber: false,
    });
    expect(report.subject).toEqual(expect.any(String));
    expect(report.from).toContain("@");
    for (const ext of ["html", "text", "eml"] as const) expect(existsSync(report.files[ext]), ext).toBe(true);
    expect(report.files.eml).toBe(
      path.join(repo.dir, ".mailops/preview/welcome-campaign/welcome-campaign.eml"),
    );
    expect(r.err).toBe("preview of template welcome-campaign for preview@example.com\n");
  });

  it("a campaign for a subscriber in link mode: the address masked, the headers without the signed token", async () => {
    switchToLinkMode(repo.dir);
    const env = process.env.MAILOPS_UNSUBSCRIBE_SECRET;
    process.env.MAILOPS_UNSUBSCRIBE_SECRET = "x".repeat(40);
    try {
      const r = await preview(
        "welcome-new-customers",
        "--subscriber",
        "subscriber1@example.com",
        "--target",
        "local",
      );
      expect(r.code, r.err).toBe(0);
      const report = json(r);
      expect(report).toMatchObject({ of: "campaign", to: "s***@example.com", subscriber: true });
      expect(report.headers["List-Unsubscribe"]).toBe("<https://example.com/unsubscribe?t=…>");
      expect(report.headers["X-SES-Configuration-Set"]).toBe("marketing");
      // The address appears nowhere, plain or inside the token's base64url payload.
      const token = Buffer.from('{"e":"subscriber1@example.com"').toString("base64url").slice(0, 20);
      expect(r.out).not.toContain("subscriber1@");
      expect(r.out).not.toContain(token);
      // The .eml itself keeps the real link: it is the message that is sent.
      expect(readFileSync(report.files.eml, "utf8")).toContain("?t=");
    } finally {
      if (env === undefined) delete process.env.MAILOPS_UNSUBSCRIBE_SECRET;
      else process.env.MAILOPS_UNSUBSCRIBE_SECRET = env;
    }
  });
});

describe("send --format json", () => {
  const send = (...args: string[]) => asJson("send", "--now", NOW, ...args);

  it("each campaign's state, counts and run numbers; no address; exit 0", async () => {
    expect((await local("apply")).code).toBe(0);
    const r = await send("--due");
    const report = okDocument(r, "send");
    expect(report).toMatchObject({ target: "local", ok: true });
    const byName = Object.fromEntries(report.campaigns.map((c: { campaign: string }) => [c.campaign, c]));
    expect(byName["holiday-promo"]).toMatchObject({ state: "scheduled", detail: "2026-12-01T09:00:00.000Z" });
    expect(byName["spring-sale"]).toMatchObject({ state: "draft" });
    expect(byName["welcome-new-customers"]).toMatchObject({
      state: "sent",
      counts: { toSend: 2, invalidRows: { over: false } },
      report: { sent: 2, failed: 0, unknown: 0, complete: true },
    });
    expect(byName["welcome-new-customers"].outbox).toContain(".mailops/outbox/");
    expectNoAddress(r.out);
  });

  it("a refused campaign: its state and why, ok false, exit 1 as in text", async () => {
    // Nothing applied: the template is not on the target, so the send refuses.
    const r = await send("--campaign", "welcome-new-customers");
    expect(r.code).toBe(1);
    const report = json(r);
    expect(report).toMatchObject({ kind: "send", ok: false });
    expect(report.campaigns).toEqual([
      {
        campaign: "welcome-new-customers",
        state: "refused",
        detail: expect.stringContaining("does not exist on the local target yet"),
      },
    ]);
  });

  it("--dry-run: kind send-preview, each campaign's due state and counts; nothing recorded", async () => {
    const r = await send("--due", "--dry-run");
    const report = okDocument(r, "send-preview");
    expect(report).toMatchObject({ target: "local", ok: true });
    const welcome = report.campaigns.find(
      (c: { campaign: string }) => c.campaign === "welcome-new-customers",
    );
    expect(welcome).toMatchObject({
      state: "on-merge",
      sends: "now",
      to: ["new-customers"],
      counts: { toSend: 2 },
      template: { name: "welcome-campaign", source: "repository", onTarget: "absent" },
    });
    expectNoAddress(r.out);
    expect(existsSync(path.join(repo.dir, ".mailops/state/ledger"))).toBe(false);
  });
});

describe("deploy --format json", () => {
  const deploy = (...args: string[]) => asJson("deploy", "--now", NOW, ...args);

  it("the plan summed up, what was applied, each campaign sent; no address; exit 0", async () => {
    const r = await deploy();
    const report = okDocument(r, "deploy");
    expect(report).toMatchObject({
      state: "done",
      project: "acme-marketing",
      target: "local",
      validate: { errors: 0 },
      plan: { changes: { create: 12, update: 0, delete: 0 }, conflicts: 0, blocked: 0 },
      apply: { notAttempted: [] },
      ok: true,
    });
    expect(report.validate.files).toBeGreaterThan(0);
    expect(report.refused).toBeUndefined();
    expect(report.apply.applied).toHaveLength(12);
    expect(report.apply.applied[0]).toEqual({
      action: "create",
      kind: expect.any(String),
      name: expect.any(String),
      message: expect.any(String),
    });
    const welcome = report.campaigns.find(
      (c: { campaign: string }) => c.campaign === "welcome-new-customers",
    );
    expect(welcome).toMatchObject({ state: "sent", report: { sent: 2 } });
    expect(report.outboxes).toEqual([welcome.outbox]);
    expectNoAddress(r.out);
    // The plan stays progress on stderr, out of the document.
    expect(r.err).toContain("validate: checking the repository");
  });

  it("a lost state store: refused, why; nothing applied or sent; the error after the document", async () => {
    expect((await deploy()).code).toBe(0);
    rmSync(path.join(repo.dir, ".mailops/state"), { recursive: true });
    const r = await deploy();
    expect(r.code).toBe(1);
    const report = json(r);
    expect(report).toMatchObject({
      kind: "deploy",
      state: "refused",
      campaigns: [],
      outboxes: [],
      ok: false,
    });
    expect(report.apply.applied).toEqual([]);
    expect(report.refused.message).toContain("the state store appears to have been lost");
    expect(r.err).toContain("mailops: ");
  });
});

describe("plan through src/cli/plan.ts", () => {
  it("--format json is the versioned plan format, not a report; --out and --detailed-exitcode as before", async () => {
    const out = path.join(repo.dir, "plan.json");
    const r = await cli(
      "plan",
      "--dir",
      repo.dir,
      "--target",
      "local",
      "--format",
      "json",
      "--out",
      out,
      "--detailed-exitcode",
    );
    expect(r.code, r.err).toBe(2);
    const plan = json(r);
    expect(plan).toMatchObject({ version: 2, project: "acme-marketing", target: "local" });
    expect(plan.kind).toBeUndefined();
    expect(plan.changes).toHaveLength(12);
    expect(r.err).toContain(`plan written to ${out}`);
    expect(JSON.parse(readFileSync(out, "utf8")).liveChecksum).toBe(plan.liveChecksum);
    expect((await local("apply")).code).toBe(0);
    const none = await local("plan", "--detailed-exitcode");
    expect(none.code, none.err).toBe(0);
  });
});
