/**
 * The deploy use case's report: a send lock another run holds after the apply is a state of the
 * result (applied, nothing sent, who holds the lock), not an error thrown past what was applied.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DeployStep, deploy } from "../../src/commands/deploy.js";
import { openSession, type Session } from "../../src/commands/session.js";
import { acquireLock } from "../../src/send/lock.js";
import { simulatedClock } from "../support/clock.js";
import { captureIo, copyExampleRepo, type ExampleRepo } from "../support/repo.js";

let repo: ExampleRepo;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

const NOW = new Date("2026-06-01T12:00:00Z");

const session = (): Session =>
  openSession({ dir: repo.dir, target: "local", io: captureIo(), clock: simulatedClock(NOW) });

describe("deploy", () => {
  it("with the send lock held: applies, sends nothing, and reports the holder", async () => {
    const s = session();
    const lease = await acquireLock(s.store(), { command: "send", now: s.clock.now });
    const steps: DeployStep["step"][] = [];
    try {
      const result = await deploy(s, { onStep: (step) => void steps.push(step.step) });
      expect(result.refused).toBeUndefined();
      expect(result.outcome.applied).toHaveLength(8);
      expect(result.outcome.failed).toBeUndefined();
      expect(result.results).toEqual([]);
      expect(result.outboxes).toEqual([]);
      expect(result.locked?.message).toContain("another mailops run holds the send lock");
      expect(result.locked?.holder).toMatchObject({ owner: lease.owner, command: "send" });
    } finally {
      await lease.release();
    }
    expect(steps).toEqual(["plan", "apply"]);
    expect(repo.emls("welcome-new-customers")).toEqual([]);
  });

  it("without a held lock: sends what is due, and no lock in the result", async () => {
    const result = await deploy(session(), {});
    expect(result.locked).toBeUndefined();
    expect(result.results.find((r) => r.campaign === "welcome-new-customers")?.state).toBe("sent");
    expect(repo.emls("welcome-new-customers")).toHaveLength(2);
  });
});
