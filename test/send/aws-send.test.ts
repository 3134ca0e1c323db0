/**
 * Sending on the aws target, against aws-ses-v2-local behind the SES router: what the emulator
 * stored matches the ledger one to one, bodies match `preview` for the same recipient, and the
 * request shapes (ListManagementOptions, configuration set, tags, headers) are what SES needs.
 */

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { CreateEmailIdentityCommand, GetEmailIdentityCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { runPreview } from "../../src/cli/preview.js";
import { runSend } from "../../src/cli/send.js";
import { runStatus } from "../../src/cli/status.js";
import { openTarget, type TargetFactory } from "../../src/commands/context.js";
import { sendCampaigns } from "../../src/commands/send.js";
import { openSession } from "../../src/commands/session.js";
import { validateProject } from "../../src/commands/validate.js";
import { Ledger } from "../../src/send/ledger.js";
import { LocalStore } from "../../src/store/index.js";
import type { Sender, SendRequest } from "../../src/targets/port.js";
import { PRODUCTION_ACCOUNT, useAwsWorld, VERIFIED_IDENTITY } from "../support/aws-world.js";
import { cli } from "../support/cli.js";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, useEmulators } from "../support/emulators.js";
import { recordedOutcomes } from "../support/ledger-outcomes.js";
import { htmlPartOf } from "../support/message-page.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

const emulators = useEmulators({ sesRouter: true });
// A generous sending rate keeps these tests quick; the quota test sets its own account. The sender
// identity is verified (moto never marks one so); the refusal tests take that back.
const unemulated = useAwsWorld(emulators, { account: PRODUCTION_ACCOUNT, identity: VERIFIED_IDENTITY });
let repo: ReturnType<typeof copyExampleRepo>;

interface StoredMail {
  messageId: string;
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
  headers?: { name: string; value: string }[];
}

async function storedMail(): Promise<StoredMail[]> {
  const r = await fetch(`${emulators.sesLocal.endpoint}/store`);
  return ((await r.json()) as { emails: StoredMail[] }).emails;
}

const people = (n: number) =>
  repo.write(
    "subscribers/customers.jsonl",
    `${Array.from({ length: n }, (_, i) => JSON.stringify({ email: `user${i}@example.com`, name: `User ${i}`, segment: "new_customers" })).join("\n")}\n`,
  );

/** Switch the copy to link-mode unsubscribe: SendBulkEmail, 50 recipients a call. */
function linkMode() {
  repo.write(
    "mailops.yaml",
    repo
      .read("mailops.yaml")
      .replace(
        /unsubscribe:\n(?: {2}.*\n)+/,
        "unsubscribe:\n  mode: link\n  url: https://example.com/unsubscribe\n",
      ),
  );
  for (const f of [
    "welcome-campaign.html",
    "welcome-campaign.txt",
    "product-promotion.html",
    "product-promotion.txt",
  ]) {
    repo.write(
      `templates/${f}`,
      repo.read(`templates/${f}`).replaceAll("amazonSESUnsubscribeUrl", "unsubscribe_url"),
    );
  }
  // Every campaign: link mode has no topics.
  for (const f of readdirSync(path.join(repo.dir, "campaigns")).filter((n) => n.endsWith(".yaml"))) {
    repo.write(`campaigns/${f}`, repo.read(`campaigns/${f}`).replace(/^topic: .*\n/m, ""));
  }
}

beforeEach(() => {
  vi.stubEnv("MAILOPS_UNSUBSCRIBE_SECRET", "test-secret-long-enough-for-hmac-sha256");
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

async function applyAndSend(extra: Record<string, unknown> = {}) {
  const applied = await runApply({ dir: repo.dir, target: "aws" }, captureIo());
  expect(applied).toBe(0);
  const io = captureIo();
  const code = await runSend(
    { dir: repo.dir, target: "aws", campaign: "welcome-new-customers", ...extra },
    io,
  );
  return { code, out: io.outText, err: io.errText };
}

async function ledgerSent(): Promise<Map<string, string>> {
  const store = new LocalStore(path.join(repo.dir, ".mailops/state"));
  return (
    await recordedOutcomes(new Ledger(store, { campaign: "welcome-new-customers", sendAt: "on-merge" }))
  ).sent;
}

describe("send on the aws target", () => {
  it("link mode: SendBulkEmail in calls of at most 50, stored mail matches the ledger one to one", async () => {
    linkMode();
    people(120);
    unemulated.suppressed = ["user3@example.com", "user5@EXAMPLE.com", "nobody@example.com"];
    const r = await applyAndSend();
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("suppressed 2");
    const mail = await storedMail();
    expect(mail).toHaveLength(118);
    const sent = await ledgerSent();
    expect([...sent.values()].sort()).toEqual(mail.map((m) => m.messageId).sort());
    expect(new Set(mail.map((m) => m.destination.to[0])).size).toBe(118);
    const bulk = emulators.sesRouter.calls.filter((c) => c.operation === "SendBulkEmail");
    expect(bulk.map((c) => (c.request?.BulkEmailEntries as unknown[] | undefined)?.length)).toEqual([
      50, 50, 18,
    ]);
    const first = bulk[0]?.request as Record<string, unknown>;
    expect(first.ConfigurationSetName).toBe("marketing");
    expect(first.DefaultEmailTags).toEqual([{ Name: "campaign", Value: "welcome-new-customers" }]);
    const entry = (first.BulkEmailEntries as Record<string, unknown>[])[0] as {
      ReplacementHeaders: { Name: string; Value: string }[];
      ReplacementEmailContent: { ReplacementTemplate: { ReplacementTemplateData: string } };
    };
    expect(entry.ReplacementHeaders.map((h) => h.Name)).toEqual([
      "List-Unsubscribe",
      "List-Unsubscribe-Post",
    ]);
    // The complete data per entry, never relying on SES's default-data merge.
    const data = JSON.parse(entry.ReplacementEmailContent.ReplacementTemplate.ReplacementTemplateData);
    expect(data).toMatchObject({ name: "User 0", postal_address: "Acme Inc, 1 Main St, Springfield" });
    expect(data.unsubscribe_url).toMatch(/^https:\/\/example\.com\/unsubscribe\?t=/);
  });

  it("bodies SES rendered match what preview renders for the same recipient", async () => {
    linkMode();
    people(3);
    await applyAndSend();
    const mail = (await storedMail()).find((m) => m.destination.to[0] === "user1@example.com");
    const out = path.join(repo.dir, "pv");
    await runPreview(
      { dir: repo.dir, name: "welcome-new-customers", subscriber: "user1@example.com", out, target: "aws" },
      captureIo(),
    );
    // The preview's page shows the HTML part exactly as SES rendered it.
    expect(mail?.body.html).toBe(
      htmlPartOf(readFileSync(path.join(out, "welcome-new-customers.html"), "utf8")),
    );
    expect(mail?.body.text).toBe(readFileSync(path.join(out, "welcome-new-customers.txt"), "utf8"));
    expect(mail?.subject).toBe("Welcome to Our Community, User 1!");
  });

  it("ses-list mode: SendEmail per recipient with ListManagementOptions; topic opt-outs are skipped", async () => {
    people(5);
    unemulated.optedOut = new Map([["onboarding", ["user2@example.com"]]]);
    const r = await applyAndSend();
    expect(r.code, r.out + r.err).toBe(0);
    const sends = emulators.sesRouter.calls.filter((c) => c.operation === "SendEmail");
    expect(sends).toHaveLength(4);
    expect(sends[0]?.request).toMatchObject({
      ListManagementOptions: { ContactListName: "acme", TopicName: "onboarding" },
      ConfigurationSetName: "marketing",
      EmailTags: [{ Name: "campaign", Value: "welcome-new-customers" }],
      Content: { Template: { TemplateName: "welcome-campaign" } },
    });
    expect((await storedMail()).map((m) => m.destination.to[0]).sort()).not.toContain("user2@example.com");
    // status reads engagement from CloudWatch (moto answers GetMetricData with no datapoints).
    const io = captureIo();
    await runStatus({ dir: repo.dir, target: "aws" }, io);
    expect(io.outText).toContain("sent 4, failed 0, unknown 0");
    expect(io.outText).toContain("delivered 0, bounced 0, complained 0, opened 0, clicked 0");
  });

  it("one address key: SES suppression and topic opt-outs stop every spelling; one mail per person; IDN in punycode", async () => {
    repo.write(
      "subscribers/customers.jsonl",
      `${[
        "Alice@Example.COM", // on the account suppression list as alice@example.com
        "Bob@Example.COM", // opted out of the topic as bob@example.com
        "Dup@example.com",
        "dup@example.com",
        "DUP@EXAMPLE.COM",
        "user@bücher.example",
      ]
        .map((email) => JSON.stringify({ email, name: "Pat", segment: "new_customers" }))
        .join("\n")}\n`,
    );
    unemulated.suppressed = ["alice@example.com"];
    unemulated.optedOut = new Map([["onboarding", ["bob@example.com"]]]);
    const r = await applyAndSend();
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("suppressed 2, duplicates 2");
    const sends = emulators.sesRouter.calls.filter((c) => c.operation === "SendEmail");
    const to = (c: (typeof sends)[number]) =>
      (c.request?.Destination as { ToAddresses?: string[] })?.ToAddresses;
    // SendEmail calls run side by side: their order is not the rows'.
    expect(sends.map(to).sort()).toEqual([["Dup@example.com"], ["user@xn--bcher-kva.example"]]);
  });

  it("a recipient with an unsafe value is in no SendBulkEmail or SendEmail request", async () => {
    linkMode();
    repo.write(
      "campaigns/welcome-new-customers.yaml",
      `${repo.read("campaigns/welcome-new-customers.yaml")}data:\n  name: Friend\n`,
    );
    repo.write(
      "subscribers/customers.jsonl",
      `${[
        { email: "user0@example.com", name: "Ann", segment: "new_customers" },
        {
          email: "unsafe@example.com",
          name: '<a href="https://evil.example">click</a>',
          segment: "new_customers",
        },
        { email: "user2@example.com", name: "O'Brien", segment: "new_customers" },
      ]
        .map((r) => JSON.stringify(r))
        .join("\n")}\n`,
    );
    const r = await applyAndSend();
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("skipped: 1 unsafe value in field name (html text)");
    const sends = emulators.sesRouter.calls.filter((c) => /^Send(Bulk)?Email$/.test(c.operation));
    expect(sends.length).toBeGreaterThan(0);
    for (const call of sends) {
      const body = JSON.stringify(call.request);
      expect(body).not.toContain("unsafe@example.com");
      expect(body).not.toContain("evil.example");
    }
    expect((await storedMail()).map((m) => m.destination.to[0]).sort()).toEqual([
      "user0@example.com",
      "user2@example.com",
    ]);
  });

  it("throttling: slows down and retries, and sends nobody twice", async () => {
    linkMode();
    people(120);
    const fault = {
      status: 429,
      type: "TooManyRequestsException",
      message: "Maximum sending rate exceeded.",
    };
    emulators.sesRouter.inject("SendBulkEmail", [fault, fault]);
    const r = await applyAndSend();
    expect(r.code, r.out + r.err).toBe(0);
    const calls = emulators.sesRouter.calls.filter((c) => c.operation === "SendBulkEmail");
    expect(calls.filter((c) => c.status === 429)).toHaveLength(2);
    const mail = await storedMail();
    expect(mail).toHaveLength(120);
    expect(new Set(mail.map((m) => m.destination.to[0])).size).toBe(120);
  });

  it("refuses an audience larger than what is left of the 24-hour quota, unless --allow-partial", async () => {
    linkMode();
    people(30);
    unemulated.account = {
      ProductionAccessEnabled: true,
      SendingEnabled: true,
      SendQuota: { Max24HourSend: 200, MaxSendRate: 50, SentLast24Hours: 190 },
    };
    const r = await applyAndSend();
    expect(r.code).toBe(1);
    expect(r.out).toContain("30 recipients do not fit the 10 left of the 24-hour sending quota");
    expect(await storedMail()).toHaveLength(0);
    const io = captureIo();
    const partial = await runSend(
      { dir: repo.dir, target: "aws", campaign: "welcome-new-customers", allowPartial: true },
      io,
    );
    // The emulator enforces no quota; SES would stop the run with ACCOUNT_DAILY_QUOTA_EXCEEDED.
    expect(partial, io.outText).toBe(0);
    expect(await storedMail()).toHaveLength(30);
  });

  it("a damaged source or too many invalid rows: refused before any SES send call, no run recorded", async () => {
    linkMode();
    const rows = Array.from({ length: 500 }, (_, i) => `user${i}@example.com,User ${i},new_customers,books`);
    rows[99] = 'user99@example.com,"Stray quote,new_customers,books';
    repo.write("subscribers/customers.csv", ["email,name,segment,preferences", ...rows].join("\n"));
    repo.write(
      "subscribers/customers.yaml",
      repo.read("subscribers/customers.yaml").replace("customers.jsonl", "customers.csv"),
    );
    const damaged = await applyAndSend();
    expect(damaged.code).toBe(1);
    expect(damaged.out).toContain(
      "refused (subscriber source `customers` (subscribers/customers.csv), line 101:",
    );
    rows[99] = "not-an-address,Bad,new_customers,books";
    rows[199] = "also-not-an-address,Bad,new_customers,books";
    repo.write("subscribers/customers.csv", ["email,name,segment,preferences", ...rows].join("\n"));
    repo.write(
      "mailops.yaml",
      repo.read("mailops.yaml").replace(/max_invalid_rows: .*\n/, "max_invalid_rows: 1\n"),
    );
    const invalid = await applyAndSend();
    expect(invalid.code).toBe(1);
    expect(invalid.out).toContain(
      "refused (2 invalid rows of 500 read, more than guardrails.max_invalid_rows allows (1)",
    );
    const sends = emulators.sesRouter.calls.filter(
      (c) => c.operation === "SendBulkEmail" || c.operation === "SendEmail",
    );
    expect(sends).toEqual([]);
    expect(await storedMail()).toEqual([]);
    expect(await ledgerSent()).toEqual(new Map());
    const store = new LocalStore(path.join(repo.dir, ".mailops/state"));
    expect(
      await new Ledger(store, { campaign: "welcome-new-customers", sendAt: "on-merge" }).readRun(),
    ).toBeUndefined();
  });
});

describe("a sender SES would refuse: refused before any SES send call", () => {
  // About the sender's identity made outside mailops: the copy declares none under `identities:`.
  beforeEach(() => {
    repo.write("mailops.yaml", repo.read("mailops.yaml").replace(/\nidentities:\n(?: {2}.*\n)+/, "\n"));
  });
  const sendCalls = () => emulators.sesRouter.calls.filter((c) => /^Send(Bulk)?Email$/.test(c.operation));
  async function refusedSend() {
    linkMode();
    people(5);
    const r = await applyAndSend();
    expect(r.code).toBe(1);
    expect(sendCalls()).toEqual([]);
    expect(await storedMail()).toEqual([]);
    const store = new LocalStore(path.join(repo.dir, ".mailops/state"));
    expect(
      await new Ledger(store, { campaign: "welcome-new-customers", sendAt: "on-merge" }).readRun(),
    ).toBeUndefined();
    return r.out;
  }

  it("an identity SES does not know (moto's own answer: 404)", async () => {
    unemulated.identity = undefined;
    const out = await refusedSend();
    expect(out).toContain(
      "welcome-new-customers: refused (the sender identity example.com is not verified for sending in SES (nor is marketing@example.com), so SES would reject every message from Acme Marketing <marketing@example.com>; nothing was sent. Verify example.com in SES",
    );
    // After apply's own (for the plan's warning): the address first (SES takes mail from a verified
    // address), then its domain.
    expect(unemulated.calls(GetEmailIdentityCommand).slice(1)).toEqual([
      { EmailIdentity: "marketing@example.com" },
      { EmailIdentity: "example.com" },
    ]);
  });

  it("an identity that exists but is not verified for sending (moto's answer), with its state", async () => {
    unemulated.identity = undefined;
    const client = new SESv2Client({
      region: EMULATOR_REGION,
      endpoint: emulators.sesRouter.endpoint,
      credentials: EMULATOR_CREDENTIALS,
    });
    await client.send(new CreateEmailIdentityCommand({ EmailIdentity: "example.com" }));
    const out = await refusedSend();
    expect(out).toMatch(
      /refused \(the sender identity example\.com \([a-z ]+\) is not verified for sending in SES/,
    );
  });

  it("a verified identity sends: the first one verified is enough", async () => {
    // The address, made outside mailops and verified by SES (the stand-in's verdict over moto's).
    await new SESv2Client({
      region: EMULATOR_REGION,
      endpoint: emulators.sesRouter.endpoint,
      credentials: EMULATOR_CREDENTIALS,
    }).send(new CreateEmailIdentityCommand({ EmailIdentity: "marketing@example.com" }));
    linkMode();
    people(2);
    const r = await applyAndSend();
    expect(r.code, r.out + r.err).toBe(0);
    // After apply's own (for the plan's warning): the address, verified, and no more.
    expect(unemulated.calls(GetEmailIdentityCommand).slice(1)).toEqual([
      { EmailIdentity: "marketing@example.com" },
    ]);
    expect(sendCalls()).toHaveLength(1);
  });

  it("an account whose sending is disabled", async () => {
    unemulated.account = { ...PRODUCTION_ACCOUNT, SendingEnabled: false };
    const out = await refusedSend();
    expect(out).toContain(
      "welcome-new-customers: refused (sending is disabled for the SES account (GetAccount: SendingEnabled false), so every send would fail; nothing was sent.",
    );
  });

  it("an account AWS paused (enforcement status SHUTDOWN)", async () => {
    unemulated.account = { ...PRODUCTION_ACCOUNT, EnforcementStatus: "SHUTDOWN" };
    const out = await refusedSend();
    expect(out).toContain("welcome-new-customers: refused (AWS has paused sending for the SES account");
  });
});

describe("pacing at the account's MaxSendRate, on simulated time", () => {
  it("never sends more than MaxSendRate recipients a second, and not much less", async () => {
    linkMode();
    people(200);
    unemulated.account = {
      ...PRODUCTION_ACCOUNT,
      SendQuota: { ...PRODUCTION_ACCOUNT.SendQuota, MaxSendRate: 20 },
    };
    expect(await runApply({ dir: repo.dir, target: "aws" }, captureIo())).toBe(0);
    const start = Date.parse("2026-06-01T12:00:00Z");
    let t = start;
    const clock = {
      now: () => t,
      sleep: async (ms: number) => {
        t += ms;
      },
    };
    /** Simulated seconds since the start at each send call, with its recipients. */
    const calls: { at: number; n: number }[] = [];
    const factory: TargetFactory = async (name, project) => {
      const target = await openTarget(name, project);
      const real = target.sender();
      const sender: Sender = Object.assign(Object.create(real) as Sender, {
        send: (request: SendRequest) => {
          calls.push({ at: (t - start) / 1000, n: request.messages.length });
          return real.send(request);
        },
      });
      target.sender = () => sender;
      return target;
    };
    const results = await sendCampaigns(
      openSession({
        project: validateProject(repo.dir).project,
        target: "aws",
        observe: () => {},
        factory,
        clock,
      }),
      { campaign: "welcome-new-customers" },
    );
    expect(results).toMatchObject([{ state: "sent", report: { sent: 200 } }]);
    expect(await storedMail()).toHaveLength(200);
    let total = 0;
    for (const call of calls) {
      total += call.n;
      // By each call, no more recipients than 20 a second since the start allow.
      expect(total).toBeLessThanOrEqual(20 * call.at);
    }
    expect(total).toBe(200);
    // 200 at 20/s: the last call goes out at 10 s, not later.
    expect(calls.at(-1)?.at).toBeLessThanOrEqual(10);
  });
});

describe("mailops send on aws, through the command-line entry", () => {
  const send = (...args: string[]) =>
    cli("send", "--dir", repo.dir, "--target", "aws", "--campaign", "welcome-new-customers", ...args);

  it("--resend-unknown sends again the recipients of a call that failed outright; without it they wait", async () => {
    linkMode();
    people(120);
    expect(await runApply({ dir: repo.dir, target: "aws" }, captureIo())).toBe(0);
    // The first call of 50 fails with a 500: whether any of it went out is unknown. The run goes
    // on and completes; those 50 are reported, not resent.
    emulators.sesRouter.inject("SendBulkEmail", [
      { status: 500, type: "InternalFailure", message: "failed mid-call" },
    ]);
    const failed = await send();
    expect(failed.code, failed.out + failed.err).toBe(0);
    expect(failed.out).toContain("sent 70, failed 0, unknown 50");
    expect(failed.out).toContain("50 recipients were in calls whose outcome is unknown");
    const waiting = await send();
    expect(waiting.code).toBe(0);
    expect(waiting.out).toContain("sent 0, failed 0, unknown 50, done in earlier attempts 70");
    expect(waiting.out).toContain("pass --resend-unknown to send them again");
    expect(await storedMail()).toHaveLength(70);
    const resent = await send("--resend-unknown");
    expect(resent.code, resent.out + resent.err).toBe(0);
    expect(resent.out).toContain("sent 50, failed 0, unknown 0");
    const mail = await storedMail();
    expect(mail).toHaveLength(120);
    expect(new Set(mail.map((m) => m.destination.to[0])).size).toBe(120);
  });

  it("a SendBulkEmail SES rejects outright (400) stops the run: nobody unknown or failed, the next run sends them", async () => {
    linkMode();
    people(120);
    expect(await runApply({ dir: repo.dir, target: "aws" }, captureIo())).toBe(0);
    emulators.sesRouter.inject("SendBulkEmail", [
      { status: 400, type: "BadRequestException", message: "the request is malformed" },
    ]);
    const refused = await send();
    expect(refused.code).toBe(1);
    expect(refused.out).toContain("stopped (BadRequestException: the request is malformed)");
    expect(refused.out).toContain("sent 0, failed 0, unknown 0");
    expect(refused.out).toContain("next run: sends the 120 not yet sent");
    const next = await send();
    expect(next.code, next.out + next.err).toBe(0);
    expect(next.out).toContain("sent 120, failed 0, unknown 0");
    expect(await storedMail()).toHaveLength(120);
  });

  it("--allow-partial starts a send larger than what is left of the 24-hour quota", async () => {
    linkMode();
    people(30);
    unemulated.account = {
      ProductionAccessEnabled: true,
      SendingEnabled: true,
      SendQuota: { Max24HourSend: 200, MaxSendRate: 50, SentLast24Hours: 190 },
    };
    expect(await runApply({ dir: repo.dir, target: "aws" }, captureIo())).toBe(0);
    const refused = await send();
    expect(refused.code).toBe(1);
    expect(refused.out).toContain("30 recipients do not fit the 10 left of the 24-hour sending quota");
    expect(await storedMail()).toHaveLength(0);
    const partial = await send("--allow-partial");
    expect(partial.code, partial.out + partial.err).toBe(0);
    expect(await storedMail()).toHaveLength(30);
  });
});
