/**
 * A send's rate comes from the target's declared capabilities (targets/port.ts), never from its
 * name: a target paced by its account goes at the account's maximum send rate, one paced by the
 * project's setting at `sending.local_rate` (unlimited when unset), whatever it is called. Time is
 * simulated: it moves only while the send waits for the rate.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { sendCampaigns } from "../../src/commands/send.js";
import { openSession } from "../../src/commands/session.js";
import { sendRate } from "../../src/send/pacing.js";
import { AwsTarget } from "../../src/targets/aws/index.js";
import { LocalTarget } from "../../src/targets/local/resources.js";
import { OfflineTarget } from "../../src/targets/offline.js";
import type { AccountFacts, Capabilities, Target } from "../../src/targets/port.js";
import { simulatedClock } from "../support/clock.js";
import { captureIo, copyExampleRepo, type ExampleRepo } from "../support/repo.js";

let repo: ExampleRepo;
beforeEach(async () => {
  repo = copyExampleRepo();
  expect(await runApply({ dir: repo.dir, target: "local" }, captureIo())).toBe(0);
});
afterEach(() => repo.cleanup());

const START = Date.parse("2026-11-27T12:00:00Z");

/** The local target under another name and declaring `capabilities`; its account sends `maxSendRate` a second. */
function declaring(name: Target["name"], capabilities: Capabilities, maxSendRate: number): Target {
  const local = new LocalTarget(repo.dir);
  const target = Object.create(local) as Target;
  Object.defineProperty(target, "name", { value: name });
  Object.defineProperty(target, "capabilities", { value: capabilities });
  target.account = async () => ({ ...(await local.account()), maxSendRate });
  return target;
}

/** Sends welcome-new-customers (its two recipients) through `target`: the simulated ms it took. */
async function sendingTime(target: Target): Promise<number> {
  const clock = simulatedClock(new Date(START));
  const session = openSession({ dir: repo.dir, observe: () => {}, factory: async () => target, clock });
  const results = await sendCampaigns(session, { campaign: "welcome-new-customers" });
  expect(results).toMatchObject([{ state: "sent", report: { sent: 2 } }]);
  return clock.now() - START;
}

describe("the rate of a send", () => {
  it("is the account's when the target declares so, whatever its name", async () => {
    // Two recipients at one a second, from an empty bucket: two seconds.
    const ms = await sendingTime(declaring("local", { sendRate: "account", metrics: "local-events" }, 1));
    expect(ms).toBeGreaterThanOrEqual(2000);
    expect(ms).toBeLessThan(2100);
  });

  it("is the project's sending.local_rate when the target declares so, whatever its name", async () => {
    repo.write("mailops.yaml", `${repo.read("mailops.yaml")}\nsending:\n  local_rate: 4\n`);
    const ms = await sendingTime(declaring("aws", { sendRate: "setting", metrics: "cloudwatch" }, 1));
    expect(ms).toBeGreaterThanOrEqual(500);
    expect(ms).toBeLessThan(600);
  });

  it("is unlimited by the setting when sending.local_rate is unset", async () => {
    expect(await sendingTime(declaring("aws", { sendRate: "setting", metrics: "cloudwatch" }, 1))).toBe(0);
  });

  it("is read from the declaration: account facts or the setting, with their defaults", () => {
    const facts: AccountFacts = { productionAccess: true, sendingEnabled: true, sentLast24Hours: 0 };
    expect(sendRate("account", { ...facts, maxSendRate: 14 }, 4)).toBe(14);
    expect(sendRate("account", facts, 4)).toBe(1);
    expect(sendRate("setting", { ...facts, maxSendRate: 14 }, 4)).toBe(4);
    expect(sendRate("setting", { ...facts, maxSendRate: 14 }, undefined)).toBe(Number.POSITIVE_INFINITY);
    expect(() => sendRate("none", facts, 4)).toThrow(/sends nothing/);
  });

  it("is declared by each target: aws by its account, local by the setting, offline none", () => {
    expect(new AwsTarget({ region: "us-east-1" }).capabilities).toEqual({
      sendRate: "account",
      metrics: "cloudwatch",
    });
    expect(new LocalTarget(repo.dir).capabilities).toEqual({ sendRate: "setting", metrics: "local-events" });
    expect(new OfflineTarget("aws").capabilities).toEqual({ sendRate: "none", metrics: "none" });
  });
});
