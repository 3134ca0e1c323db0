/**
 * The plan file written by a use case (the Action's `plan-path`, the pull request's artifact):
 * the session's plan, as the file `apply --plan` reads back, in a folder made when missing.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyProject } from "../../src/commands/apply-project.js";
import { planToFile, savePlan } from "../../src/commands/plan.js";
import { openSession, type Session } from "../../src/commands/session.js";
import { readPlanFile } from "../../src/plan/planfile.js";
import { copyExampleRepo, type ExampleRepo } from "../support/repo.js";

let repo: ExampleRepo;
let out: string;
beforeEach(() => {
  repo = copyExampleRepo();
  out = mkdtempSync(path.join(tmpdir(), "mailops-planfile-"));
});
afterEach(() => {
  repo.cleanup();
  rmSync(out, { recursive: true, force: true });
});

const session = (): Session => openSession({ dir: repo.dir, target: "local", observe: () => {} });

describe("planToFile", () => {
  it("writes the session's plan as the plan file apply --plan reads, and says it changes things", async () => {
    const file = path.join(out, "plan.json");
    const report = await planToFile(session(), file);
    expect(report.file).toBe(file);
    expect(report.changed).toBe(true);
    expect(report.plan.changes).toHaveLength(12);
    expect(readPlanFile(file)).toEqual(report.plan);
    const applied = await applyProject(session(), { plan: file });
    expect(applied.state).toBe("applied");
  });

  it("a plan that changes nothing: not changed", async () => {
    await applyProject(session(), {});
    const report = await planToFile(session(), path.join(out, "plan.json"));
    expect(report.plan.changes).toEqual([]);
    expect(report.changed).toBe(false);
  });
});

describe("savePlan", () => {
  it("makes the folder the file goes in", async () => {
    const report = await planToFile(session(), path.join(out, "first.json"));
    const file = path.join(out, "mailops-deploy", "nested", "plan.json");
    expect(savePlan(report.plan, file)).toBe(file);
    expect(existsSync(file)).toBe(true);
    expect(readPlanFile(file)).toEqual(report.plan);
  });
});
