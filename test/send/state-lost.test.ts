/**
 * A lost state store on the local target, through the command line: `.mailops/state` deleted
 * while the target's resources under `.mailops/local/` stay. Send, deploy and apply refuse before
 * anything is applied, sent or recorded; plan warns; --state-lost-ok goes on and says what that
 * does. The same on the aws target with the state in S3 is in state-lost-aws.test.ts.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cli } from "../support/cli.js";
import { copyExampleRepo } from "../support/repo.js";

const NOW = "2026-11-27T12:00:00Z";
let repo: ReturnType<typeof copyExampleRepo>;
beforeEach(() => {
  repo = copyExampleRepo();
  repo.subscribers(
    Array.from({ length: 5 }, (_, i) => ({
      email: `new${i}@example.com`,
      name: "Pat",
      segment: "new_customers",
    })),
  );
});
afterEach(() => repo.cleanup());

const run = (verb: string, ...args: string[]) => cli(verb, "--dir", repo.dir, ...args);
const state = (rel = "") => path.join(repo.dir, ".mailops/state", rel);
const outbox = () => repo.emls("welcome-new-customers").length;
const loseState = () => rmSync(state(), { recursive: true });

async function deployed(): Promise<void> {
  const r = await run("deploy", "--now", NOW);
  expect(r.code, r.out + r.err).toBe(0);
  expect(outbox()).toBe(5);
}

/** The target's resources as an adopted set would be: mailops' owner tag nowhere. */
function untagTarget(): void {
  for (const kind of ["template", "configuration-set", "contact-list", "identity", "alarm"]) {
    const dir = path.join(repo.dir, ".mailops/local", kind);
    for (const f of readdirSync(dir)) {
      const file = path.join(dir, f);
      const stored = JSON.parse(readFileSync(file, "utf8"));
      writeFileSync(file, JSON.stringify({ ...stored, tags: {} }));
    }
  }
}

describe("a deleted .mailops/state with .mailops/local intact", () => {
  it("send refuses before any run: exit 1, nothing sent, nothing recorded, not even the lock", async () => {
    await deployed();
    loseState();
    const r = await run("send", "--due", "--now", NOW);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `welcome-new-customers: refused (the state store appears to have been lost: email template welcome-campaign on the local target is tagged mailops:project=acme-marketing, but the state store at ${state()} holds no inventory or ledger; restore the state store`,
    );
    expect(r.out).toContain("run again with --state-lost-ok (Action input state-lost-ok: true)");
    expect(r.out).toContain("holiday-promo: scheduled");
    expect(outbox()).toBe(5);
    expect(existsSync(state())).toBe(false);
  });

  it("deploy and apply refuse before applying anything; plan warns and exits 0", async () => {
    await deployed();
    loseState();
    for (const verb of ["deploy", "apply"]) {
      const r = await run(verb, ...(verb === "deploy" ? ["--now", NOW] : []));
      expect(r.code, verb).toBe(1);
      expect(r.err).toContain(
        `mailops: the state store appears to have been lost: 9 resources on the local target are tagged mailops:project=acme-marketing, but the state store at ${state()} holds no inventory or ledger`,
      );
      expect(r.err).toContain("  - tagged: email template welcome-campaign\n");
      expect(r.err).toContain("  - tagged: CloudWatch alarm acme-marketing-bounce-rate\n");
      expect(r.err).toContain("hint: restore the state store");
      // Applying would have written the inventory, and with it hidden the loss.
      expect(existsSync(state("inventory.json")), verb).toBe(false);
    }
    expect(outbox()).toBe(5);
    const plan = await run("plan");
    expect(plan.code).toBe(0);
    expect(plan.out).toContain(
      "warning: the state store appears to have been lost: 9 resources on the local target are tagged mailops:project=acme-marketing",
    );
    expect(plan.out).toContain("apply, deploy and send refuse until it is restored");
  });

  it("--state-lost-ok goes on, saying that everyone not in the new ledger is sent again: they are", async () => {
    await deployed();
    loseState();
    // The outbox gone too: nothing is left to stop a second mail to each of them.
    rmSync(path.join(repo.dir, ".mailops/outbox"), { recursive: true });
    expect((await run("send", "--due", "--now", NOW)).code).toBe(1);
    expect(outbox()).toBe(0);
    const r = await run("send", "--due", "--now", NOW, "--state-lost-ok");
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.err).toContain(
      "warning: the state store appears to have been lost: email template welcome-campaign on the local target is tagged mailops:project=acme-marketing",
    );
    expect(r.err).toContain(
      "Going on because state-lost-ok is set: the new ledger is empty, so every recipient not in the new ledger is sent again",
    );
    expect(outbox()).toBe(5);
    // The store holds a ledger now: the next run is an ordinary one.
    const again = await run("send", "--due", "--now", NOW);
    expect(again.code).toBe(0);
    expect(again.err).not.toContain("lost");
  });

  it("deploy --state-lost-ok adopts what takes no tag, applies (writing the inventory) and sends", async () => {
    await deployed();
    loseState();
    rmSync(path.join(repo.dir, ".mailops/outbox"), { recursive: true });
    const r = await run("deploy", "--now", NOW, "--state-lost-ok");
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.err).toContain("warning: the state store appears to have been lost");
    // Only the lost inventory said these were ours: without the flag they are conflicts.
    expect(r.out).toContain("done   adopt event destination marketing/metrics");
    expect(r.out).toContain("done   adopt event destination marketing/by-variant");
    expect(r.out).toContain("done   adopt CloudWatch dashboard email-marketing");
    const inventory = JSON.parse(readFileSync(state("inventory.json"), "utf8"));
    // What carries the tag stays recognized by it; the adopted ones are recorded.
    expect(Object.keys(inventory.resources).sort()).toEqual([
      "dashboard/email-marketing",
      "event-destination/marketing/by-variant",
      "event-destination/marketing/metrics",
    ]);
    expect(outbox()).toBe(5);
    const plan = await run("plan");
    expect(plan.out).toContain("No changes.");
    expect(plan.out).not.toContain("lost");
  });

  it("with nothing tagged, the simulator's events of a due campaign are the evidence", async () => {
    await deployed();
    loseState();
    rmSync(path.join(repo.dir, ".mailops/outbox"), { recursive: true });
    untagTarget();
    const r = await run("send", "--due", "--now", NOW);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      "welcome-new-customers: refused (the state store appears to have been lost: the local target's events show 5 sends for campaign welcome-new-customers since 2026-11-26T12:00:00.000Z, but the state store at",
    );
    expect(outbox()).toBe(0);
  });
});

describe("a store that is not lost", () => {
  it("a new project on an empty target deploys, and deploys again, without a word about it", async () => {
    const first = await run("deploy", "--now", NOW);
    expect(first.code, first.out + first.err).toBe(0);
    expect(outbox()).toBe(5);
    const again = await run("deploy", "--now", NOW);
    expect(again.code, again.out + again.err).toBe(0);
    expect(again.out).toContain("welcome-new-customers: complete");
    for (const r of [first, again]) expect(r.out + r.err).not.toContain("lost");
  });

  it("a ledger without an inventory is a store: send goes on, nobody twice", async () => {
    await deployed();
    rmSync(state("inventory.json"));
    const plan = await run("plan");
    expect(plan.out).not.toContain("lost");
    const r = await run("send", "--campaign", "welcome-new-customers", "--now", NOW);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("done in earlier attempts 5");
    expect(outbox()).toBe(5);
  });
});
