/**
 * Identities through plan and apply on the local target: created, owned and verified at once;
 * every From checked against the identities there will be; a delete that would leave a From
 * without one blocked; status showing each identity's DNS records.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { runPlan } from "../../src/cli/plan.js";
import { runSend } from "../../src/cli/send.js";
import { runStatus } from "../../src/cli/status.js";
import { ApplyRefusedError } from "../../src/errors.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

let repo: ReturnType<typeof copyExampleRepo>;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

const plan = async (format: "text" | "json" | "markdown" = "text") => {
  const io = captureIo();
  const code = await runPlan({ dir: repo.dir, target: "local", format, detailedExitcode: true }, io);
  return { code, text: io.outText };
};
const apply = async (force = false) => {
  const io = captureIo();
  const code = await runApply({ dir: repo.dir, target: "local", force }, io);
  return { code, text: io.outText };
};
const edit = (rel: string, from: string | RegExp, to: string) => {
  const file = path.join(repo.dir, rel);
  const before = readFileSync(file, "utf8");
  const after = before.replace(from, to);
  expect(after, `${rel}: ${String(from)} not found`).not.toBe(before);
  writeFileSync(file, after);
};
const stored = (name: string) =>
  JSON.parse(readFileSync(path.join(repo.dir, ".mailops/local/identity", `${name}.json`), "utf8"));
const IDENTITIES_BLOCK = /\nidentities:\n(?: {2}.*\n)+/;

describe("identities on the local target", () => {
  it("creates the identity tagged, verified at once with DKIM and MAIL FROM; then no changes", async () => {
    const first = await plan();
    expect(first.text).toContain("+ create email identity example.com");
    expect(first.text).toContain("example.com (domain): created by this plan\n");
    await apply();
    expect(stored("example.com")).toMatchObject({
      spec: {
        type: "domain",
        dkim: { signing: true, keyLength: "RSA_2048_BIT" },
        mailFrom: { domain: "mail.example.com", onMxFailure: "USE_DEFAULT_VALUE" },
        configurationSet: "marketing",
      },
      tags: { "mailops:project": "acme-marketing" },
      status: {
        verification: "SUCCESS",
        verified: true,
        dkim: { status: "SUCCESS" },
        mailFrom: { status: "SUCCESS" },
      },
    });
    const again = await plan();
    expect(again.code).toBe(0);
    expect(again.text).toContain(
      "example.com (domain): verified; DKIM verified; MAIL FROM mail.example.com verified",
    );
    expect(again.text).not.toContain("DNS records");
  });

  it("shows a setting changed in the repository as an update of that field, and applies it", async () => {
    await apply();
    edit("mailops.yaml", "on_mx_failure: use_default", "on_mx_failure: reject");
    edit("mailops.yaml", "dkim: rsa_2048", "dkim: rsa_1024");
    const p = await plan();
    expect(p.text).toContain("~ update email identity example.com: dkim, mailFrom");
    expect(p.text).toContain("Plan: 0 to create, 1 to update, 0 to delete.");
    await apply();
    expect(stored("example.com").spec.mailFrom.onMxFailure).toBe("REJECT_MESSAGE");
    expect((await plan()).code).toBe(0);
  });

  it("leaves an identity it does not own alone until `adopt: true`", async () => {
    await apply();
    const file = path.join(repo.dir, ".mailops/local/identity/example.com.json");
    writeFileSync(file, JSON.stringify({ ...stored("example.com"), tags: {} }));
    writeFileSync(
      path.join(repo.dir, ".mailops/state/inventory.json"),
      JSON.stringify({ version: 1, project: "acme-marketing", resources: {} }),
    );
    const p = await plan();
    expect(p.text).toContain("email identity example.com exists and is not managed by mailops");
    edit("mailops.yaml", "  example.com:\n    dkim:", "  example.com:\n    adopt: true\n    dkim:");
    expect((await plan()).text).toContain("adopt email identity example.com");
  });

  it("blocks deleting the identity the From needs; --force deletes it", async () => {
    await apply();
    edit("mailops.yaml", IDENTITIES_BLOCK, "\n");
    const p = await plan();
    expect(p.text).toContain("- delete email identity example.com (removed from the repository)");
    expect(p.text).toContain(
      "BLOCKED: deleting email identity example.com leaves `sender.from` (marketing@example.com) without an identity: SES would reject their mail",
    );
    await expect(apply()).rejects.toBeInstanceOf(ApplyRefusedError);
    expect(stored("example.com").status.verified).toBe(true);
    expect((await apply(true)).text).toContain("delete email identity example.com");
  });

  it("deletes an identity no From needs: another declared identity covers it", async () => {
    await apply();
    edit("mailops.yaml", "identities:\n", "identities:\n  marketing@example.com: {}\n");
    await apply();
    edit("mailops.yaml", /\n {2}example\.com:\n(?: {4}.*\n)+/, "\n");
    const p = await plan();
    expect(p.text).toContain("- delete email identity example.com");
    expect(p.text).not.toContain("BLOCKED");
    expect((await apply()).code).toBe(0);
  });

  it("warns about a From no identity on the target covers (sender.identity names one made elsewhere)", async () => {
    await apply();
    edit("mailops.yaml", "identity: example.com", "identity: example.org");
    edit("campaigns/spring-sale.yaml", /^template:/m, 'from: "Deals <deals@example.org>"\ntemplate:');
    const p = await plan("json");
    expect(JSON.parse(p.text).warnings).toContain(
      "campaign `spring-sale` (deals@example.org) sends from an address no identity covers: neither example.org nor deals@example.org is an identity on the local target or in `identities:`, so SES would reject its mail",
    );
  });

  it("sends only from an identity on file once one exists, as SES does", async () => {
    await apply();
    // Covered on paper (sender.identity names one made elsewhere), but not on the local target.
    edit("mailops.yaml", "identity: example.com", "identity: example.org");
    edit(
      "campaigns/welcome-new-customers.yaml",
      /^template:/m,
      'from: "Welcome <hello@example.org>"\ntemplate:',
    );
    const io = captureIo();
    expect(await runSend({ dir: repo.dir, target: "local", campaign: "welcome-new-customers" }, io)).toBe(1);
    expect(io.outText).toContain(
      "welcome-new-customers: refused (the sender identity example.org is not verified for sending in SES (nor is hello@example.org)",
    );
    expect(repo.emls("welcome-new-customers")).toEqual([]);
  });

  it("without identities declared or on file, local sends from any address, as before", async () => {
    edit("mailops.yaml", IDENTITIES_BLOCK, "\n");
    await apply();
    const io = captureIo();
    expect(await runSend({ dir: repo.dir, target: "local", campaign: "welcome-new-customers" }, io)).toBe(0);
    expect(repo.emls("welcome-new-customers")).toHaveLength(2);
  });

  it("status shows each identity's DNS records and what SES found", async () => {
    await apply();
    const io = captureIo();
    expect(await runStatus({ dir: repo.dir, target: "local" }, io)).toBe(0);
    expect(io.outText).toMatch(/^Sender identities:\n {2}example\.com \(domain\): verified; DKIM verified/);
    expect(io.outText).toMatch(
      /CNAME +[0-9a-f]{32}\._domainkey\.example\.com +[0-9a-f]{32}\.dkim\.amazonses\.com +\(found by SES\)/,
    );
    expect(io.outText).toContain(
      '_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@example.com"',
    );
    expect(io.outText).toContain("No campaign runs yet.");
  });
});
