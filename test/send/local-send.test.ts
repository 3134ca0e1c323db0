/** send, deploy, preview and status on the local target, end to end on a copy of the example repo. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { runDeploy } from "../../src/cli/deploy.js";
import { runPreview } from "../../src/cli/preview.js";
import { runSend } from "../../src/cli/send.js";
import { runStatus } from "../../src/cli/status.js";
import { TargetError } from "../../src/errors.js";
import { LocalTarget } from "../../src/targets/local/resources.js";
import type { Target } from "../../src/targets/port.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

let repo: ReturnType<typeof copyExampleRepo>;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

const emlTo = (campaign: string) =>
  repo
    .emls(campaign)
    .map(
      (f) =>
        /^To: (.*)$/m.exec(readFileSync(path.join(repo.dir, ".mailops/outbox", campaign, f), "utf8"))?.[1],
    )
    .sort();

async function send(args: Record<string, unknown>) {
  const io = captureIo();
  const code = await runSend({ dir: repo.dir, target: "local", ...args }, io);
  return { code, out: io.outText, err: io.errText };
}
const apply = () => runApply({ dir: repo.dir, target: "local" }, captureIo());

const row = (email: string, extra: object = {}) => ({
  email,
  name: "Pat",
  segment: "new_customers",
  preferences: [],
  ...extra,
});

describe("send on the local target", () => {
  it("deploy applies, sends the on-merge campaign and leaves the scheduled and draft ones", async () => {
    const io = captureIo();
    const code = await runDeploy({ dir: repo.dir, target: "local", now: "2026-11-27T12:00:00Z" }, io);
    expect(code).toBe(0);
    expect(io.outText).toContain("Apply complete: 12 changes applied.");
    expect(io.outText).toContain("welcome-new-customers: sent");
    expect(io.outText).toContain("holiday-promo: scheduled (2026-12-01T09:00:00.000Z)");
    expect(io.outText).toContain("spring-sale: draft");
    expect(emlTo("welcome-new-customers")).toEqual(["subscriber1@example.com", "subscriber3@example.com"]);
    expect(existsSync(path.join(repo.dir, ".mailops/outbox/welcome-new-customers/index.html"))).toBe(true);
    // Output never carries an address.
    expect(io.outText + io.errText).not.toContain("subscriber1@");
  });

  it("sends a scheduled campaign once its time has come, and reports a long-missed one instead of sending", async () => {
    await apply();
    const due = await send({ due: true, now: "2026-12-01T10:00:00Z" });
    expect(due.out).toContain("holiday-promo: sent");
    expect(emlTo("holiday-promo")).toEqual(["subscriber2@example.com"]);
    const fresh = copyExampleRepo();
    try {
      await runApply({ dir: fresh.dir, target: "local" }, captureIo());
      const io = captureIo();
      await runSend({ dir: fresh.dir, target: "local", due: true, now: "2026-12-03T10:00:00Z" }, io);
      expect(io.outText).toContain("holiday-promo: missed (2026-12-01T09:00:00.000Z)");
      expect(existsSync(path.join(fresh.dir, ".mailops/outbox/holiday-promo"))).toBe(false);
    } finally {
      fresh.cleanup();
    }
  });

  it("dedupes addresses, skips bad rows, suppressed, markup and missing variables, and says how many of each", async () => {
    repo.subscribers([
      row("a@example.com"),
      row(" a@EXAMPLE.com "),
      row("not-an-email"),
      row("b@example.com", { name: "<script>x</script>" }),
      row("c@example.com"),
      row("suppressionlist@simulator.amazonses.com"),
      row("d@example.com"),
    ]);
    await apply();
    writeFileSync(path.join(repo.dir, ".mailops/local/suppressed"), "# opted out by hand\nd@example.com\n");
    const dry = await send({ campaign: "welcome-new-customers", dryRun: true });
    expect(dry.out).toContain("duplicates 1");
    expect(dry.out).toContain("invalid rows 1");
    expect(dry.out).toContain("suppressed 2");
    expect(dry.out).toContain("skipped: 1 unsafe value in field name (html text)");
    expect(dry.out).toContain("would send 2");
    expect(repo.emls("welcome-new-customers")).toEqual([]);
    const real = await send({ campaign: "welcome-new-customers" });
    expect(real.out).toContain("sent 2, failed 0");
    expect(emlTo("welcome-new-customers")).toEqual(["a@example.com", "c@example.com"]);
  });

  it("dry-run forecasts every campaign with the repository's templates before they are applied; sending refuses", async () => {
    const dry = await send({ due: true, dryRun: true, now: "2026-11-27T12:00:00Z" });
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(
      "holiday-promo: scheduled (2026-12-01T09:00:00.000Z)\n  audience 1, excluded 0, suppressed 0, duplicates 0, invalid rows 0\n  would send 1 once send_at comes\n",
    );
    expect(dry.out).toContain("spring-sale: draft\n");
    expect(dry.out).toContain(
      "welcome-new-customers: on-merge\n  audience 2, excluded 0, suppressed 0, duplicates 0, invalid rows 0\n  would send 2\n  render check: the repository's template welcome-campaign, not on the local target yet: a send refuses until `mailops apply`",
    );
    expect(dry.out).not.toContain("@example.com");
    expect(existsSync(path.join(repo.dir, ".mailops/state/ledger"))).toBe(false);
    expect(repo.emls("welcome-new-customers")).toEqual([]);
    const real = await send({ campaign: "welcome-new-customers" });
    expect(real.code).toBe(1);
    expect(real.out).toContain("does not exist on the local target yet; run `mailops apply` first");
    expect(repo.emls("welcome-new-customers")).toEqual([]);
  });

  it("skips a recipient whose data lacks a variable (SES would drop it silently)", async () => {
    repo.write(
      "subscribers/customers.yaml",
      repo
        .read("subscribers/customers.yaml")
        .replace("name: { type: string, required: true }", "name: { type: string }"),
    );
    repo.subscribers([row("a@example.com"), { email: "b@example.com", segment: "new_customers" }]);
    await apply();
    const r = await send({ campaign: "welcome-new-customers" });
    expect(r.out).toContain("skipped: 1 missing variable name");
    expect(emlTo("welcome-new-customers")).toEqual(["a@example.com"]);
  });

  it("refuses a campaign over max_recipients", async () => {
    repo.subscribers(Array.from({ length: 5 }, (_, i) => row(`u${i}@example.com`)));
    repo.write(
      "campaigns/welcome-new-customers.yaml",
      `${repo.read("campaigns/welcome-new-customers.yaml")}max_recipients: 3\n`,
    );
    await apply();
    const r = await send({ campaign: "welcome-new-customers" });
    expect(r.code).toBe(1);
    expect(r.out).toContain("5 recipients exceed max_recipients 3");
    expect(repo.emls("welcome-new-customers")).toEqual([]);
  });

  it("refuses to send with a template that differs from the applied one", async () => {
    await apply();
    repo.write(
      "templates/welcome-campaign.yaml",
      repo.read("templates/welcome-campaign.yaml").replace("Welcome to Our", "Welcome to the"),
    );
    const r = await send({ campaign: "welcome-new-customers" });
    expect(r.code).toBe(1);
    expect(r.out).toContain("differs from the repository; run `mailops apply` first");
  });

  it("refuses to continue a partly sent run whose content changed, unless allowed", async () => {
    repo.subscribers(Array.from({ length: 120 }, (_, i) => row(`u${i}@example.com`)));
    await apply();
    // Stop the run part-way: the bounce guardrail trips on simulator bounces after 100 sends.
    const settings = repo
      .read("mailops.yaml")
      .replace("bounce_rate: 0.05\n    complaint_rate", "bounce_rate: 0.01\n    complaint_rate");
    repo.write("mailops.yaml", settings);
    repo.subscribers([
      ...Array.from({ length: 100 }, (_, i) => row(`u${i}@example.com`)),
      ...Array.from({ length: 20 }, (_, i) => row(`bounce+${i}@simulator.amazonses.com`)),
      ...Array.from({ length: 2000 }, (_, i) => row(`v${i}@example.com`)),
    ]);
    const first = await send({ campaign: "welcome-new-customers" });
    expect(first.out).toMatch(/stopped \(bounce rate .* reached guardrails.stop_on.bounce_rate 1.00%\)/);
    const sentFirst = repo.emls("welcome-new-customers").length;
    expect(sentFirst).toBeGreaterThan(100);
    expect(sentFirst).toBeLessThan(2120);
    repo.write(
      "templates/welcome-campaign.yaml",
      repo.read("templates/welcome-campaign.yaml").replace("Welcome to Our", "Welcome to the"),
    );
    await apply();
    repo.write(
      "mailops.yaml",
      settings.replace("bounce_rate: 0.01\n    complaint_rate", "bounce_rate: 0.5\n    complaint_rate"),
    );
    const changed = await send({ campaign: "welcome-new-customers" });
    expect(changed.code).toBe(1);
    expect(changed.out).toMatch(
      /refused \(campaign welcome-new-customers was partially sent with content \w+, and its content is now \w+/,
    );
    expect(repo.emls("welcome-new-customers")).toHaveLength(sentFirst);
    const allowed = await send({ campaign: "welcome-new-customers", allowContentChange: true });
    expect(allowed.code).toBe(0);
    expect(repo.emls("welcome-new-customers")).toHaveLength(2120);
  });

  it("status reports each run's counts; preview renders a campaign for one subscriber", async () => {
    await runDeploy({ dir: repo.dir, target: "local", now: "2026-11-27T12:00:00Z" }, captureIo());
    const io = captureIo();
    await runStatus({ dir: repo.dir, target: "local" }, io);
    expect(io.outText).toContain("welcome-new-customers (send_at on-merge): complete");
    expect(io.outText).toContain("sent 2, failed 0, unknown 0");
    expect(io.outText).toContain("delivered 2, bounced 0, complained 0");
    // Metrics that cannot be read (no credentials on aws) leave the ledger's counts standing.
    const blind = captureIo();
    const code = await runStatus({ dir: repo.dir, target: "local" }, blind, async () => {
      const target: Target = Object.create(new LocalTarget(repo.dir));
      const sender = new LocalTarget(repo.dir).sender();
      target.sender = () =>
        Object.assign(Object.create(sender), {
          campaignMetrics: async () => {
            throw new TargetError("cannot read CloudWatch metrics: no credentials");
          },
        });
      return target;
    });
    expect(code).toBe(0);
    expect(blind.outText).toContain("sent 2, failed 0, unknown 0");
    expect(blind.outText).toContain("metrics unavailable: cannot read CloudWatch metrics: no credentials");
    const p = captureIo();
    await runPreview(
      {
        dir: repo.dir,
        name: "holiday-promo",
        subscriber: "subscriber2@example.com",
        out: path.join(repo.dir, "pv"),
      },
      p,
    );
    expect(p.outText).toContain("Subject: Exclusive Offer: 20% Off Smart Watch");
    expect(repo.read("pv/holiday-promo.html")).toContain("Special Offer for Jane Smith!");
    expect(repo.read("pv/holiday-promo.txt")).toContain("Acme Inc, 1 Main St, Springfield");
  });
});
