/**
 * The drift use case: the plan against live state, and whether live state drifted from the
 * repository, by the rule of `plan --detailed-exitcode`: changes, or resources in the way.
 */
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyProject } from "../../src/commands/apply-project.js";
import { checkDrift } from "../../src/commands/drift.js";
import { openSession, type Session } from "../../src/commands/session.js";
import { copyExampleRepo, type ExampleRepo } from "../support/repo.js";

let repo: ExampleRepo;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

const session = (): Session => openSession({ dir: repo.dir, target: "local", observe: () => {} });

async function applied(): Promise<void> {
  const report = await applyProject(session(), {});
  expect(report.state).toBe("applied");
}

describe("checkDrift", () => {
  it("live state as the repository has it: no drift", async () => {
    await applied();
    const report = await checkDrift(session());
    expect(report.drifted).toBe(false);
    expect(report.plan.changes).toEqual([]);
  });

  it("a template changed by hand on the target: drift, with the change in the plan", async () => {
    await applied();
    const live = path.join(repo.dir, ".mailops/local/template/welcome-campaign.json");
    writeFileSync(live, JSON.stringify({ spec: { subject: "by hand", html: "", text: "" }, tags: {} }));
    const report = await checkDrift(session());
    expect(report.drifted).toBe(true);
    expect(report.plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      "update template welcome-campaign",
    ]);
  });

  it("a resource in the way that mailops does not manage is drift, though nothing would change", async () => {
    await applied();
    // Forget the inventory: the template made by hand now belongs to no one mailops knows.
    rmSync(path.join(repo.dir, ".mailops/state/inventory.json"));
    const live = path.join(repo.dir, ".mailops/local/template/welcome-campaign.json");
    writeFileSync(live, JSON.stringify({ spec: { subject: "theirs", html: "", text: "" }, tags: {} }));
    const report = await checkDrift(session());
    expect(report.plan.conflicts.map((c) => c.message)).toContain(
      "email template welcome-campaign exists and is not managed by mailops",
    );
    expect(report.plan.changes).toEqual([]);
    expect(report.drifted).toBe(true);
  });
});
