/**
 * The session each entry opens once per run: one target and one store for every use case of the
 * run (deploy's send uses the target its plan read), a fork's run that never opens a live target
 * or reads the store, and one clock for the run's time unless `--now` pins it.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TargetFactory } from "../../src/commands/context.js";
import { deploy } from "../../src/commands/deploy.js";
import { makePlan } from "../../src/commands/plan.js";
import { openSession } from "../../src/commands/session.js";
import { LocalTarget } from "../../src/targets/local/resources.js";
import { simulatedClock } from "../support/clock.js";
import { copyExampleRepo, type ExampleRepo } from "../support/repo.js";

let repo: ExampleRepo;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

const NOW = new Date("2026-11-27T12:00:00Z");

function counting(): { factory: TargetFactory; opened: () => number } {
  let n = 0;
  return {
    factory: async (_name, project) => {
      n++;
      return new LocalTarget(project.root);
    },
    opened: () => n,
  };
}

describe("openSession", () => {
  it("opens the target once for a whole deploy: plan, apply and send", async () => {
    const { factory, opened } = counting();
    const session = openSession({ dir: repo.dir, target: "local", observe: () => {}, factory, now: NOW });
    const result = await deploy(session, {});
    expect(result.refused).toBeUndefined();
    expect(result.results.some((r) => r.state === "sent")).toBe(true);
    expect(opened()).toBe(1);
    expect(session.store()).toBe(session.store());
  });

  it("offline (a fork's pull request): plans the desired state without opening a target or reading the store", async () => {
    const { factory, opened } = counting();
    const session = openSession({ dir: repo.dir, target: "aws", observe: () => {}, factory, offline: true });
    const { plan } = await makePlan(session, { force: false });
    expect(plan.target).toBe("aws");
    expect(plan.changes.length).toBeGreaterThan(0);
    expect(opened()).toBe(0);
    expect(() => session.store()).toThrow(/without credentials/);
    const target = await session.target();
    expect(() => target.sender()).toThrow(/without credentials/);
  });

  it("takes its time from the clock, or from --now when pinned", () => {
    const clock = simulatedClock(NOW);
    const session = openSession({ dir: repo.dir, observe: () => {}, clock });
    expect(session.now()).toEqual(NOW);
    void clock.sleep(60_000);
    expect(session.now()).toEqual(new Date(NOW.getTime() + 60_000));
    const pinned = openSession({
      dir: repo.dir,
      observe: () => {},
      clock,
      now: new Date("2026-12-01T09:00:00Z"),
    });
    expect(pinned.now()).toEqual(new Date("2026-12-01T09:00:00Z"));
  });
});
