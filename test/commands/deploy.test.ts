/**
 * The deploy use case's report: a send lock another run holds after the apply is a state of the
 * result (applied, nothing sent, who holds the lock), not an error thrown past what was applied.
 * And what a review records of a plan (the plan comment's marker), for deploy to compare with.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  compareWithReviewed,
  type DeployStep,
  deploy,
  isChangeFingerprint,
  planIdentity,
} from "../../src/commands/deploy.js";
import { makePlan } from "../../src/commands/plan.js";
import { openSession, type RunEvent, type Session } from "../../src/commands/session.js";
import { acquireLock } from "../../src/send/lock.js";
import { simulatedClock } from "../support/clock.js";
import { recorder } from "../support/events.js";
import { copyExampleRepo, type ExampleRepo } from "../support/repo.js";

let repo: ExampleRepo;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

const NOW = new Date("2026-06-01T12:00:00Z");

const session = (observe: (e: RunEvent) => void = () => {}): Session =>
  openSession({ dir: repo.dir, target: "local", observe, clock: simulatedClock(NOW) });

describe("deploy", () => {
  it("with the send lock held: applies, sends nothing, and reports the holder", async () => {
    const s = session();
    const lease = await acquireLock(s.store(), { command: "send", now: s.clock.now });
    const steps: DeployStep["step"][] = [];
    try {
      const result = await deploy(s, { onStep: (step) => void steps.push(step.step) });
      expect(result.refused).toBeUndefined();
      expect(result.outcome.applied).toHaveLength(12);
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

describe("deploy tells what it does", () => {
  it("the plan, a line per change, then the send's progress; a refused plan only the plan", async () => {
    const { events, observe } = recorder();
    const result = await deploy(session(observe), {});
    const kinds = events.map((e) => e.kind);
    expect(kinds[0]).toBe("planned");
    const told = events[0];
    expect(told?.kind === "planned" && told.plan).toBe(result.plan);
    expect(kinds.filter((k) => k === "progress")).toHaveLength(result.outcome.applied.length);
    expect(kinds.indexOf("send-started")).toBeGreaterThan(kinds.lastIndexOf("progress"));
    expect(kinds.at(-1)).toBe("send-finished");

    // Every alarm deleted: beyond guardrails.max_delete_percent, refused before anything is applied.
    const file = "mailops.yaml";
    repo.write(file, repo.read(file).replace(/\nalarms:\n(?: {2}.*\n)+/, "\n"));
    const refused = recorder();
    expect((await deploy(session(refused.observe), {})).refused).toBeDefined();
    expect(refused.events.map((e) => e.kind)).toEqual(["planned"]);
  });
});

describe("planIdentity", () => {
  it("is what compareWithReviewed matches, and names the change that differs", async () => {
    const { plan } = await makePlan(session(), { force: false });
    const reviewed = { found: true as const, by: "pull request #7", ...planIdentity(plan) };
    expect(reviewed.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(reviewed.changes).toHaveLength(plan.changes.length);
    expect(compareWithReviewed(plan, reviewed)).toEqual({ state: "matches", by: "pull request #7" });
    repo.write(
      "templates/welcome-campaign.yaml",
      repo.read("templates/welcome-campaign.yaml").replace("Welcome to", "Hello and welcome to"),
    );
    const { plan: later } = await makePlan(session(), { force: false });
    const review = compareWithReviewed(later, reviewed);
    expect(review.state).toBe("differs");
    expect(review.state === "differs" && review.differences.join("\n")).toContain("welcome-campaign");
  });
});

describe("isChangeFingerprint", () => {
  const read = { name: "t", before: null, after: "abc" };
  it("takes our actions and kinds only", () => {
    expect(isChangeFingerprint({ action: "create", kind: "template", ...read })).toBe(true);
    expect(isChangeFingerprint({ action: "delete", kind: "dashboard", ...read })).toBe(true);
    expect(isChangeFingerprint({ action: "rename", kind: "template", ...read })).toBe(false);
    expect(isChangeFingerprint({ action: "create", kind: "widget", ...read })).toBe(false);
  });
});
