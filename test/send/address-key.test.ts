/**
 * The address key end to end on the local target (a copy of the example repository): one mail per
 * person however their rows spell the address, sent as the first row spells it; suppression in
 * any case; IDN domains sent in punycode; and a run recorded under the old key (local part kept)
 * resumed by this version without sending anyone again.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { runPreview } from "../../src/cli/preview.js";
import { runSend } from "../../src/cli/send.js";
import { Ledger, type RunId, type RunRecord, recipientId } from "../../src/send/ledger.js";
import { unsubscribeUrl, verifyUnsubscribeToken } from "../../src/send/unsubscribe.js";
import { LocalStore } from "../../src/store/index.js";
import { legacyAddressKeyV1 } from "../../src/util/email.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

/** At least 32 bytes, as the signing secret must be. */
const SECRET = "test-secret-long-enough-for-hmac-sha256";

const CAMPAIGN = "welcome-new-customers";
const RUN: RunId = { campaign: CAMPAIGN, sendAt: "on-merge" };
const PROJECT = "acme-marketing";

let repo: ReturnType<typeof copyExampleRepo>;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

const write = (rel: string, text: string) => {
  mkdirSync(path.dirname(path.join(repo.dir, rel)), { recursive: true });
  writeFileSync(path.join(repo.dir, rel), text);
};
const outboxDir = () => path.join(repo.dir, ".mailops/outbox", CAMPAIGN);
const emls = () =>
  existsSync(outboxDir()) ? readdirSync(outboxDir()).filter((f) => f.endsWith(".eml")) : [];
const emlTo = () =>
  emls()
    .map((f) => /^To: (.*)$/m.exec(readFileSync(path.join(outboxDir(), f), "utf8"))?.[1])
    .sort();
const subscribers = (emails: string[]) =>
  write(
    "subscribers/customers.jsonl",
    `${emails.map((email) => JSON.stringify({ email, name: "Pat", segment: "new_customers" })).join("\n")}\n`,
  );
const ledger = () => new Ledger(new LocalStore(path.join(repo.dir, ".mailops/state")), RUN);

async function send() {
  const io = captureIo();
  const code = await runSend({ dir: repo.dir, target: "local", campaign: CAMPAIGN }, io);
  return { code, out: io.outText, err: io.errText };
}

beforeEach(async () => {
  expect(await runApply({ dir: repo.dir, target: "local" }, captureIo())).toBe(0);
});

describe("one address key", () => {
  it("case variants get one mail, as the first row spells it", async () => {
    subscribers(["Dup@example.com", "dup@example.com", "DUP@EXAMPLE.COM", "other@example.com"]);
    const r = await send();
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("duplicates 2");
    expect(emlTo()).toEqual(["Dup@example.com", "other@example.com"]);
    // A run started now records the key version its ids are made with.
    expect((await ledger().readRun())?.addressKey).toBe(2);
  });

  it("a local suppression entry stops every spelling of the address", async () => {
    write(".mailops/local/suppressed", "alice@example.com\n");
    subscribers(["Alice@Example.com", "bob@example.com"]);
    const r = await send();
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("suppressed 1");
    expect(emlTo()).toEqual(["bob@example.com"]);
  });

  it("an IDN domain is sent in punycode; a non-ASCII local part is an invalid row", async () => {
    subscribers(["user@bücher.example", "USER@BÜCHER.EXAMPLE", "josé@example.com"]);
    const r = await send();
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("duplicates 1, invalid rows 1");
    expect(emlTo()).toEqual(["user@xn--bcher-kva.example"]);
  });

  it("preview --subscriber finds the row under any spelling of its address", async () => {
    subscribers(["Dup@example.com", "user@bücher.example"]);
    for (const subscriber of ["DUP@Example.COM", " user@BÜCHER.example"]) {
      const io = captureIo();
      const code = await runPreview(
        { dir: repo.dir, name: CAMPAIGN, subscriber, out: path.join(repo.dir, "pv") },
        io,
      );
      expect(code, io.errText).toBe(0);
    }
  });
});

describe("link-mode unsubscribe", () => {
  const read = (rel: string) => readFileSync(path.join(repo.dir, rel), "utf8");
  /** The example switched to link mode, as docs/unsubscribe.md describes it. */
  function linkMode() {
    vi.stubEnv("MAILOPS_UNSUBSCRIBE_SECRET", SECRET);
    write(
      "mailops.yaml",
      read("mailops.yaml").replace(
        /unsubscribe:\n(?: {2}.*\n)+/,
        "unsubscribe:\n  mode: link\n  url: https://example.com/unsubscribe\n",
      ),
    );
    for (const f of ["welcome-campaign", "product-promotion"])
      for (const ext of ["html", "txt"])
        write(
          `templates/${f}.${ext}`,
          read(`templates/${f}.${ext}`).replaceAll("amazonSESUnsubscribeUrl", "unsubscribe_url"),
        );
    for (const f of [CAMPAIGN, "holiday-promo", "spring-sale", "weekly-newsletter"])
      write(`campaigns/${f}.yaml`, read(`campaigns/${f}.yaml`).replace(/^topic: .*\n/m, ""));
  }
  afterEach(() => vi.unstubAllEnvs());

  it("a token carries the key; recorded as it comes, it opts out every spelling of the row", async () => {
    linkMode();
    const applied = captureIo();
    expect(await runApply({ dir: repo.dir, target: "local", force: true }, applied), applied.outText).toBe(0);
    subscribers(["Alice@Example.COM", "user@Bücher.example", "Old@Example.com"]);
    expect((await send()).code).toBe(0);
    const claims = emls().map((f) => {
      const head = readFileSync(path.join(outboxDir(), f), "utf8").replace(/\r?\n[ \t]+/g, " ");
      const url = /^List-Unsubscribe: <(.*)>$/m.exec(head)?.[1] ?? "";
      return verifyUnsubscribeToken(new URL(url).searchParams.get("t") ?? "", SECRET);
    });
    expect(claims.map((c) => c?.email).sort()).toEqual([
      "alice@example.com",
      "old@example.com",
      "user@xn--bcher-kva.example",
    ]);
    // A link in mail sent by an earlier version carries the old key (local part as written).
    const old = new URL(
      unsubscribeUrl("https://example.com/unsubscribe", SECRET, {
        email: legacyAddressKeyV1("Old@Example.com"),
        campaign: CAMPAIGN,
      }),
    ).searchParams.get("t");
    const oldClaim = verifyUnsubscribeToken(old ?? "", SECRET);
    expect(oldClaim?.email).toBe("Old@example.com");

    // The endpoint records the opt-outs where the next send reads them; a new run skips them all.
    const optOuts = [...claims.filter((c) => c?.email !== "old@example.com"), oldClaim].map(
      (c) => `${c?.email}\n`,
    );
    write(".mailops/local/suppressed", optOuts.join(""));
    // Forget the run whole (its folder and its started marker): a deleted folder alone is refused.
    rmSync(path.join(repo.dir, ".mailops/state/ledger"), { recursive: true });
    rmSync(path.join(repo.dir, ".mailops/state/runs"), { recursive: true });
    rmSync(outboxDir(), { recursive: true });
    const again = await send();
    expect(again.out).toContain("suppressed 3");
    expect(emls()).toEqual([]);
  });
});

describe("a run recorded under address key version 1", () => {
  const v1Id = (address: string) => recipientId(PROJECT, legacyAddressKeyV1(address));

  it("is resumed without sending anyone it recorded, under any spelling, and the rest exactly once", async () => {
    // The content digest of this campaign as it is: from a first run, then forgotten.
    subscribers(["seed@example.com"]);
    expect((await send()).code).toBe(0);
    const digest = (await ledger().readRun())?.contentDigest as string;
    rmSync(path.join(repo.dir, ".mailops/state/ledger"), { recursive: true });
    rmSync(outboxDir(), { recursive: true });

    // The ledger an older version left: no addressKey, ids from the old key (local part as written).
    const old = ledger();
    const at = new Date("2026-11-27T12:00:00Z");
    const record: RunRecord = {
      version: 1,
      campaign: CAMPAIGN,
      sendAt: "on-merge",
      contentDigest: digest,
      startedAt: at.toISOString(),
      updatedAt: at.toISOString(),
      status: "stopped",
    };
    await old.saveRun(record, undefined);
    const sent = [
      "Ann@example.com",
      "Bob@Example.com",
      "bob@example.com",
      "cy@example.com",
      "fay@example.com",
    ];
    await old.record(
      1,
      sent.map((a, i) => ({ id: v1Id(a), status: "sent", messageId: `m${i}` })),
      at,
    );
    // Dee's batch was in flight at a crash; the outbox shows it went out.
    await old.intent(2, [v1Id("Dee@example.com")], at);
    write(`.mailops/outbox/${CAMPAIGN}/on-merge.${v1Id("Dee@example.com")}.eml`, "To: Dee@example.com\n\n");

    subscribers([
      "Ann@example.com", // sent under its own spelling
      "Bob@Example.com", // sent (and bob@, a separate recipient then, too)
      "bob@example.com",
      "Cy@example.com", // not recorded itself, but cy@ (a later row) was: not sent again
      "cy@example.com",
      "Dee@example.com", // delivered before the crash
      "Eve@Example.com", // new: sent once
      "fay@example.com",
      "Gus@example.com", // new: sent once, as the first row spells it
      "GUS@example.com",
    ]);
    const r = await send();
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("sent 2, failed 0, unknown 0, done in earlier attempts 5");
    // (The .eml writer lowercases a domain; SES gets the address as the row spells it.)
    expect(emlTo()).toEqual(["Dee@example.com", "Eve@example.com", "Gus@example.com"]);
    // The run keeps the key it started with: no addressKey, new ids from the old key too.
    const run = await ledger().readRun();
    expect(run?.addressKey).toBeUndefined();
    expect(run?.status).toBe("complete");
    expect(emls()).toContain(`on-merge.${v1Id("Eve@Example.com")}.eml`);

    // Resumed again: nobody left.
    const again = await send();
    expect(again.out).toContain("sent 0, failed 0, unknown 0, done in earlier attempts 7");
    expect(emls()).toHaveLength(3);
  });
});
