/**
 * Proof sends (`send --campaign NAME --proof-to …`) on the local target and, through the AWS SDK,
 * against aws-ses-v2-local behind the SES router: the allow-list, the mailbox simulator, the
 * `[proof]` subject, inline (`Simple`) content, and nothing in the ledger.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { runSend } from "../../src/cli/send.js";
import { ProofRefusedError } from "../../src/commands/proof.js";
import { proofRefusals } from "../../src/send/proof.js";
import { OfflineTarget } from "../../src/targets/offline.js";
import { PRODUCTION_ACCOUNT, useAwsWorld, VERIFIED_IDENTITY } from "../support/aws-world.js";
import { useEmulators } from "../support/emulators.js";
import { captureIo, copyExampleRepo, type ExampleRepo } from "../support/repo.js";

const emulators = useEmulators({ sesRouter: true });
useAwsWorld(emulators, { account: PRODUCTION_ACCOUNT, identity: VERIFIED_IDENTITY });

let repo: ExampleRepo;
beforeEach(() => {
  repo = copyExampleRepo();
  repo.write(
    "mailops.yaml",
    repo
      .read("mailops.yaml")
      .replace(
        /^proof_recipients:\n(?: {2}- .*\n)+/m,
        'proof_recipients: [reviewer@example.com, "*@team.example.com"]\n',
      ),
  );
  expect(repo.read("mailops.yaml")).toContain("proof_recipients: [reviewer@example.com");
});
afterEach(() => repo.cleanup());

async function proof(args: Record<string, unknown>, target: "local" | "aws" = "local") {
  const io = captureIo();
  const code = await runSend({ dir: repo.dir, target, ...args }, io);
  return { code, out: io.outText, err: io.errText };
}

const state = () => path.join(repo.dir, ".mailops/state");
const outbox = (campaign: string) => path.join(repo.dir, ".mailops/outbox", campaign);
const events = () => {
  const file = path.join(repo.dir, ".mailops/local/events.jsonl");
  return existsSync(file)
    ? readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];
};

describe("the allow-list", () => {
  it("takes listed addresses (any spelling), whole domains and the simulator; refuses the rest", () => {
    const allow = ["Reviewer@Example.com", "*@team.example.com"];
    const refused = proofRefusals(
      [
        "reviewer@example.com",
        "REVIEWER@example.COM",
        "anyone@team.example.com",
        "bounce+1@simulator.amazonses.com",
        "ooto@simulator.amazonses.com",
        "suppressionlist@simulator.amazonses.com",
        "reviewer@example.co",
        "someone@team.example.com.evil.test",
        "nobody@simulator.amazonses.com",
        "not an address",
      ],
      allow,
    );
    expect(refused.map((r) => [r.index, r.why])).toEqual([
      [7, "not-allowed"],
      [8, "not-allowed"],
      [9, "not-allowed"],
      [10, "not-an-address"],
    ]);
  });
});

describe("a proof on the local target", () => {
  it("writes the message to the outbox with [proof] in the subject, records the simulator's outcomes, and nothing in the ledger", async () => {
    // Not yet due: a proof is how a campaign is checked before it goes out; nothing applied yet.
    const r = await proof({
      campaign: "holiday-promo",
      proofTo: "reviewer@example.com, bounce@simulator.amazonses.com,complaint@simulator.amazonses.com",
      now: "2026-06-01T00:00:00Z",
    });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("Subject: [proof] Exclusive Offer: 20% Off Smart Watch");
    expect(r.out).toContain("bounce@simulator.amazonses.com: sent");
    const files = readdirSync(outbox("holiday-promo")).filter((f) => f.endsWith(".eml"));
    expect(files).toHaveLength(3);
    const heads = files.map(
      (f) => readFileSync(path.join(outbox("holiday-promo"), f), "utf8").split("\r\n\r\n")[0],
    );
    expect(heads.map((h) => /^To: (.*)$/m.exec(h ?? "")?.[1]).sort()).toEqual([
      "bounce@simulator.amazonses.com",
      "complaint@simulator.amazonses.com",
      "reviewer@example.com",
    ]);
    for (const h of heads) expect(h).toMatch(/^Subject: \[proof\] Exclusive Offer: 20% Off Smart Watch$/m);
    const byOutcome = events()
      .filter((e) => e.type !== "send")
      .map((e) => [e.id, e.type, e.proof]);
    expect(byOutcome.map(([, type]) => type).sort()).toEqual(["bounce", "complaint", "delivery"]);
    expect(byOutcome.every(([, , p]) => p === true)).toBe(true);
    // Never in the ledger, never suppressed.
    expect(existsSync(path.join(state(), "ledger"))).toBe(false);
    expect(existsSync(path.join(state(), "runs"))).toBe(false);
    expect(existsSync(path.join(repo.dir, ".mailops/local/suppressed"))).toBe(false);
  });

  it("proofs an A/B draft as one message per variant, each as its recipients get it, never the campaign's own subject", async () => {
    // A variant may bring its own data too: `deadline` offers 30%, `offer` the campaign's 15%.
    repo.write(
      "campaigns/spring-sale.yaml",
      repo
        .read("campaigns/spring-sale.yaml")
        .replace(
          '    subject: "Until {{expiry_date}}: {{product_name}} at {{discount}}% off"\n',
          '    subject: "Until {{expiry_date}}: {{product_name}} at {{discount}}% off"\n    data: { discount: 30 }\n',
        ),
    );
    expect(repo.read("campaigns/spring-sale.yaml")).toContain("data: { discount: 30 }");
    const r = await proof({
      campaign: "spring-sale",
      proofTo: "reviewer@example.com,bounce@simulator.amazonses.com",
    });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("2 variants: a message each");
    const subjects = readdirSync(outbox("spring-sale"))
      .filter((f) => f.endsWith(".eml"))
      .map((f) => {
        const eml = readFileSync(path.join(outbox("spring-sale"), f), "utf8");
        const subject = /^Subject: (.*)$/m.exec(eml)?.[1];
        // The body is the variant's too: its discount, the sample's name under the campaign's data.
        expect(eml).toContain(subject?.includes("[deadline]") ? "30%" : "15%");
        return subject;
      });
    expect(subjects.sort()).toEqual([
      "[proof] [deadline] Until 2027-04-30: Designer Handbag at 30% off",
      "[proof] [deadline] Until 2027-04-30: Designer Handbag at 30% off",
      "[proof] [offer] Spring sale: 15% off Designer Handbag",
      "[proof] [offer] Spring sale: 15% off Designer Handbag",
    ]);
    expect(r.out).not.toContain("Exclusive Offer");
    expect(events().filter((e) => e.type === "bounce")).toHaveLength(2);
    const json = await proof({ campaign: "spring-sale", proofTo: "reviewer@example.com", format: "json" });
    const report = JSON.parse(json.out) as {
      version: number;
      subject: string;
      results: { to: string; status: string }[];
      variants: { variant: string; subject: string; results: unknown[] }[];
    };
    expect(report.variants.map((m) => [m.variant, m.subject, m.results.length])).toEqual([
      ["offer", "[proof] [offer] Spring sale: 15% off Designer Handbag", 1],
      ["deadline", "[proof] [deadline] Until 2027-04-30: Designer Handbag at 30% off", 1],
    ]);
    // Version 1's fields keep their meaning: the (first) message's subject and outcomes.
    expect([report.version, report.subject]).toEqual([
      1,
      "[proof] [offer] Spring sale: 15% off Designer Handbag",
    ]);
    expect(report.results.map((r) => [r.to, r.status])).toEqual([["reviewer@example.com", "sent"]]);
    const plain = await proof({ campaign: "holiday-promo", proofTo: "reviewer@example.com", format: "json" });
    const one = JSON.parse(plain.out) as Record<string, unknown>;
    expect(Object.keys(one)).toEqual([
      "version",
      "kind",
      "target",
      "campaign",
      "subject",
      "from",
      "renderedFor",
      "results",
      "outbox",
      "ok",
    ]);
  });

  it("two proofs in the same second (two runs of the command) both reach the outbox", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(new Date("2026-11-30T12:00:00.250Z"));
      const first = await proof({ campaign: "holiday-promo", proofTo: "reviewer@example.com" });
      vi.setSystemTime(new Date("2026-11-30T12:00:00.750Z"));
      const second = await proof({ campaign: "holiday-promo", proofTo: "reviewer@example.com" });
      expect([first.code, second.code]).toEqual([0, 0]);
    } finally {
      vi.useRealTimers();
    }
    expect(readdirSync(outbox("holiday-promo")).filter((f) => f.endsWith(".eml"))).toHaveLength(2);
  });

  it("renders a subscriber's data in every variant with --subscriber", async () => {
    const r = await proof({
      campaign: "spring-sale",
      proofTo: "reviewer@example.com",
      subscriber: "subscriber2@example.com",
    });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out + r.err).not.toContain("subscriber2@");
    const emls = readdirSync(outbox("spring-sale")).filter((f) => f.endsWith(".eml"));
    expect(emls).toHaveLength(2);
    for (const f of emls)
      expect(readFileSync(path.join(outbox("spring-sale"), f), "utf8")).toContain("Jane Smith");
  });

  it("refuses an address outside proof_recipients before anything is sent, naming it masked", async () => {
    const err = await proof({
      campaign: "holiday-promo",
      proofTo: "reviewer@example.com,subscriber2@example.com",
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProofRefusedError);
    expect((err as Error).message).toContain("address 2 (s***@example.com) is not on proof_recipients");
    expect((err as Error).message).not.toContain("subscriber2@");
    expect(existsSync(outbox("holiday-promo"))).toBe(false);
    expect(events()).toEqual([]);
  });

  it("is never refused for being early, and renders a subscriber's data with --subscriber", async () => {
    // holiday-promo's send_at is 2026-12-01: a proof goes now all the same.
    const r = await proof({
      campaign: "holiday-promo",
      proofTo: "anyone@team.example.com",
      subscriber: "subscriber2@example.com",
      now: "2026-06-01T00:00:00Z",
    });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("rendered for the subscriber given");
    expect(r.out + r.err).not.toContain("subscriber2@");
    const [file] = readdirSync(outbox("holiday-promo")).filter((f) => f.endsWith(".eml"));
    const eml = readFileSync(path.join(outbox("holiday-promo"), file as string), "utf8");
    expect(eml).toMatch(/^To: anyone@team\.example\.com$/m);
    expect(eml).toContain("Jane Smith");
  });

  it("the local target's metrics and guardrail rates do not count proofs", async () => {
    await proof({ campaign: "holiday-promo", proofTo: "bounce@simulator.amazonses.com" });
    const { LocalSender } = await import("../../src/targets/local/sender.js");
    const sender = new LocalSender(repo.dir);
    expect(await sender.rates(undefined, new Date(0))).toEqual({ bounceRate: 0, complaintRate: 0, sent: 0 });
    expect((await sender.campaignMetrics({ name: "holiday-promo" }, new Date(0))).bounced).toBe(0);
  });

  it("a target that reads nothing (a fork's pull request) refuses", async () => {
    const io = captureIo();
    await expect(
      runSend(
        { dir: repo.dir, target: "aws", campaign: "holiday-promo", proofTo: "reviewer@example.com" },
        io,
        async () => new OfflineTarget("aws"),
      ),
    ).rejects.toThrow("not possible without credentials");
  });

  it("--proof-to needs --campaign, and neither --due nor --dry-run", async () => {
    await expect(proof({ due: true, proofTo: "reviewer@example.com" })).rejects.toThrow(
      "--proof-to sends one campaign's proof",
    );
    await expect(
      proof({ campaign: "holiday-promo", due: false, dryRun: true, proofTo: "x@team.example.com" }),
    ).rejects.toThrow("without --due or --dry-run");
  });
});

interface StoredMail {
  messageId: string;
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
}

describe("a proof on the aws target", () => {
  beforeEach(() => {
    vi.stubEnv("MAILOPS_UNSUBSCRIBE_SECRET", "test-secret-long-enough-for-hmac-sha256");
  });

  it("is SendEmail with Simple content per address, [proof] in the subject, no list management, nothing in the ledger", async () => {
    // The configuration set must exist on the target; the template need not (it is not used).
    expect(await runApply({ dir: repo.dir, target: "aws" }, captureIo())).toBe(0);
    const r = await proof(
      { campaign: "spring-sale", proofTo: "reviewer@example.com,success@simulator.amazonses.com" },
      "aws",
    );
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("success@simulator.amazonses.com: sent");
    expect(r.out).toContain("the simulator delivers it");
    const sends = emulators.sesRouter.calls.filter((c) => c.operation === "SendEmail");
    // One message per variant and address: the A/B draft's two subjects, never its own.
    expect(sends).toHaveLength(4);
    for (const c of sends) {
      const req = c.request as Record<string, unknown> & { Content: Record<string, unknown> };
      expect(Object.keys(req.Content)).toEqual(["Simple"]);
      expect(req.ListManagementOptions).toBeUndefined();
      expect(req.ConfigurationSetName).toBe("marketing");
      expect(req.EmailTags).toEqual([{ Name: "mailops-proof", Value: "spring-sale" }]);
    }
    const mail = (
      (await (await fetch(`${emulators.sesLocal.endpoint}/store`)).json()) as { emails: StoredMail[] }
    ).emails;
    expect(mail.map((m) => `${m.destination.to[0]} ${m.subject}`).sort()).toEqual([
      "reviewer@example.com [proof] [deadline] Until 2027-04-30: Designer Handbag at 15% off",
      "reviewer@example.com [proof] [offer] Spring sale: 15% off Designer Handbag",
      "success@simulator.amazonses.com [proof] [deadline] Until 2027-04-30: Designer Handbag at 15% off",
      "success@simulator.amazonses.com [proof] [offer] Spring sale: 15% off Designer Handbag",
    ]);
    for (const m of mail) expect(m.body.html).toContain("Designer Handbag");
    expect(existsSync(path.join(state(), "ledger"))).toBe(false);
  });

  it("refuses outside the allow-list without a call to SES", async () => {
    await expect(proof({ campaign: "spring-sale", proofTo: "customer@gmail.com" }, "aws")).rejects.toThrow(
      ProofRefusedError,
    );
    expect(emulators.sesRouter.calls.filter((c) => c.operation === "SendEmail")).toEqual([]);
  });
});
