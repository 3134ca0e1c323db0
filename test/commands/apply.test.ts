/**
 * The apply use case: the plan made now is applied one change at a time, each told to the
 * session's observer before it is made, and the report says what was applied in order. A plan that
 * may not be applied is a refused report with nothing applied; a saved plan is not told again.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyProject } from "../../src/commands/apply-project.js";
import { makePlan, planToFile } from "../../src/commands/plan.js";
import { openSession, type RunEvent } from "../../src/commands/session.js";
import { recorder } from "../support/events.js";
import { copyExampleRepo, type ExampleRepo } from "../support/repo.js";

let repo: ExampleRepo;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

const session = (observe: (e: RunEvent) => void = () => {}) =>
  openSession({ dir: repo.dir, target: "local", observe });

describe("applyProject", () => {
  it("tells the plan, then each change before it is made, and reports them applied in plan order", async () => {
    const { plan } = await makePlan(session(), { force: false });
    const { events, observe } = recorder();
    const report = await applyProject(session(observe), {});
    expect(report.state).toBe("applied");
    expect(report.applied.map((c) => c.name)).toEqual(plan.changes.map((c) => c.name));
    const told = events[0];
    expect(told?.kind === "planned" && told.plan.changes).toEqual(plan.changes);
    const lines = events.slice(1).map((e) => (e.kind === "progress" ? e.line : e.kind));
    expect(lines).toHaveLength(plan.changes.length);
    for (const [i, c] of plan.changes.entries()) expect(lines[i]).toContain(c.name);
    expect(report.warnings).toEqual([]);
  });

  it("a second apply has nothing to do: applied, empty, and told only the plan", async () => {
    await applyProject(session(), {});
    const { events, observe } = recorder();
    const report = await applyProject(session(observe), {});
    expect(report).toMatchObject({ state: "applied", applied: [], notAttempted: [] });
    expect(events.map((e) => e.kind)).toEqual(["planned"]);
  });

  it("a saved plan is applied without telling it again (it was reviewed)", async () => {
    const file = path.join(repo.dir, "plan.json");
    await planToFile(session(), file);
    const { events, observe } = recorder();
    const report = await applyProject(session(observe), { plan: file });
    expect(report.state).toBe("applied");
    expect(events.map((e) => e.kind)).not.toContain("planned");
    expect(events.filter((e) => e.kind === "progress")).toHaveLength(report.applied.length);
  });

  it("deletes beyond guardrails.max_delete_percent: refused as a report, nothing applied; --force applies", async () => {
    await applyProject(session(), {});
    const file = path.join(repo.dir, "mailops.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/\nalarms:\n(?: {2}.*\n)+/, "\n"));
    const { events, observe } = recorder();
    const refused = await applyProject(session(observe), {});
    expect(refused.state).toBe("refused");
    expect(refused.refused?.reason).toBe("blocked");
    expect(refused.refused?.message).toContain("managed CloudWatch alarms would be deleted");
    expect(refused.applied).toEqual([]);
    // The plan was told before the refusal, so the refused changes can be seen.
    expect(events.map((e) => e.kind)).toEqual(["planned"]);
    const forced = await applyProject(session(), { force: true });
    expect(forced.state).toBe("applied");
    expect(forced.applied.map((c) => c.action)).toEqual(["delete", "delete"]);
  });
});
