/**
 * guardrails.stop_on on the local target, end to end: the SES mailbox simulator addresses
 * (bounce@, complaint@simulator.amazonses.com, with +labels) bounce and complain as in SES, the
 * rates are read again every 1,000 recipients, and a rate at or over its limit stops the run
 * mid-way: what is left is not sent, and the run is recorded stopped with the reason.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { runSend } from "../../src/cli/send.js";
import { Ledger } from "../../src/send/ledger.js";
import { LocalStore } from "../../src/store/index.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

const CAMPAIGN = "welcome-new-customers";
let repo: ReturnType<typeof copyExampleRepo>;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

const row = (email: string) => JSON.stringify({ email, name: "Pat", segment: "new_customers" });
const sent = () => {
  const dir = path.join(repo.dir, ".mailops/outbox", CAMPAIGN);
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".eml")).length : 0;
};

/** stop_on as given; 1,500 recipients, the first 1,000 with `bad` simulator addresses among them. */
async function sendWith(stopOn: string, bad: (i: number) => string) {
  repo.write(
    "mailops.yaml",
    repo.read("mailops.yaml").replace(/ {2}stop_on:\n(?: {4}.*\n)+/, `  stop_on:\n${stopOn}`),
  );
  const rows = Array.from({ length: 1500 }, (_, i) =>
    i < 1000 && i % 10 === 0 ? row(bad(i)) : row(`u${i}@example.com`),
  );
  repo.write("subscribers/customers.jsonl", `${rows.join("\n")}\n`);
  expect(await runApply({ dir: repo.dir, target: "local" }, captureIo())).toBe(0);
  const io = captureIo();
  const code = await runSend({ dir: repo.dir, target: "local", campaign: CAMPAIGN }, io);
  const run = await new Ledger(new LocalStore(path.join(repo.dir, ".mailops/state")), {
    campaign: CAMPAIGN,
    sendAt: "on-merge",
  }).readRun();
  return { code, out: io.outText, run };
}

describe("guardrails.stop_on", () => {
  it("a bounce rate at its limit stops the run after the first 1,000: the rest is not sent", async () => {
    const r = await sendWith("    bounce_rate: 0.05\n", (i) => `bounce+${i}@simulator.amazonses.com`);
    expect(r.code).toBe(1);
    const reason = "bounce rate 10.00% reached guardrails.stop_on.bounce_rate 5.00%";
    expect(r.out).toContain(`${CAMPAIGN}: stopped (${reason})`);
    expect(sent()).toBe(1000);
    expect(r.run).toMatchObject({ status: "stopped", stopReason: reason });
  });

  it("a complaint rate at its limit stops the run the same way", async () => {
    const r = await sendWith("    complaint_rate: 0.001\n", (i) => `complaint+${i}@simulator.amazonses.com`);
    expect(r.code).toBe(1);
    const reason = "complaint rate 10.000% reached guardrails.stop_on.complaint_rate 0.100%";
    expect(r.out).toContain(`${CAMPAIGN}: stopped (${reason})`);
    expect(sent()).toBe(1000);
    expect(r.run).toMatchObject({ status: "stopped", stopReason: reason });
  });

  it("rates under the limits send everyone", async () => {
    const r = await sendWith(
      "    bounce_rate: 0.5\n    complaint_rate: 0.5\n",
      (i) => `bounce+${i}@simulator.amazonses.com`,
    );
    expect(r.code, r.out).toBe(0);
    expect(sent()).toBe(1500);
    expect(r.run).toMatchObject({ status: "complete" });
    expect(r.run?.stopReason).toBeUndefined();
  });
});
