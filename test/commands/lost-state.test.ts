/**
 * A lost state store at the use cases: an empty store while the target holds this project's
 * tagged resources. The plan carries it as a warning; apply refuses it as a report, or with
 * `stateLostOk` goes on and tells a warning; send's check stops at the first tagged resource.
 * (Through the command line and on aws: test/send/state-lost*.test.ts.)
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyProject } from "../../src/commands/apply-project.js";
import { deploy } from "../../src/commands/deploy.js";
import { lostStateBeforeSend, storeIsEmpty } from "../../src/commands/lost-state.js";
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
const loseState = () => rmSync(path.join(repo.dir, ".mailops/state"), { recursive: true });

describe("a lost state store", () => {
  it("a new project (empty store, empty target) is not lost", async () => {
    const { lost, plan } = await makePlan(session(), { force: false });
    expect(lost).toBeUndefined();
    expect(plan.warnings.join("\n")).not.toContain("lost");
  });

  it("after a deploy, the store deleted: the plan finds every tagged resource and warns", async () => {
    await deploy(session(), {});
    loseState();
    const { lost, plan } = await makePlan(session(), { force: false });
    expect(lost?.project).toBe("acme-marketing");
    expect(lost?.tagged).toContainEqual({ kind: "template", name: "welcome-campaign" });
    expect(lost?.tagged.length).toBeGreaterThan(1);
    expect(plan.warnings.some((w) => w.startsWith("the state store appears to have been lost"))).toBe(true);
  });

  it("apply refuses it as a report, nothing applied; stateLostOk applies and tells a warning", async () => {
    await deploy(session(), {});
    loseState();
    const refused = await applyProject(session(), {});
    expect(refused).toMatchObject({ state: "refused", applied: [], refused: { reason: "state-lost" } });
    expect(refused.refused?.hint).toContain("--state-lost-ok");
    const { events, observe } = recorder();
    const applied = await applyProject(session(observe), { stateLostOk: true });
    expect(applied.state).toBe("applied");
    const warnings = events.flatMap((e) => (e.kind === "warning" ? [e.text] : []));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("Going on because state-lost-ok is set");
    expect(applied.warnings).toEqual(warnings);
    // Applying wrote the inventory: the store no longer looks lost.
    expect((await makePlan(session(), { force: false })).lost).toBeUndefined();
  });

  it("before a send: the due campaign's template first, and only the first tagged resource", async () => {
    await deploy(session(), {});
    loseState();
    const s = session();
    const welcome = s.project.campaigns.get("welcome-new-customers");
    const lost = await lostStateBeforeSend(
      s.project,
      await s.target(),
      s.store(),
      welcome ? [welcome] : [],
      NOW,
    );
    expect(lost?.tagged).toEqual([{ kind: "template", name: "welcome-campaign" }]);
  });

  it("the lock alone does not make a store non-empty; an inventory does", async () => {
    const s = session();
    const lease = await acquireLock(s.store(), { command: "send", now: s.clock.now });
    await lease.release();
    expect(await storeIsEmpty(s.store())).toBe(true);
    await applyProject(session(), {});
    expect(await storeIsEmpty(s.store())).toBe(false);
  });
});
