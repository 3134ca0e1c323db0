import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runApply, runPlan } from "../../src/commands/plan-apply.js";
import { ApplyRefusedError } from "../../src/errors.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

let repo: ReturnType<typeof copyExampleRepo>;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

const plan = async (extra: { format?: "text" | "json" | "markdown"; out?: string } = {}) => {
  const io = captureIo();
  const code = await runPlan(
    {
      dir: repo.dir,
      target: "local",
      format: extra.format ?? "text",
      out: extra.out,
      detailedExitcode: true,
    },
    io,
  );
  return { code, text: io.outText };
};
const apply = async (extra: { plan?: string; force?: boolean } = {}) => {
  const io = captureIo();
  const code = await runApply({ dir: repo.dir, target: "local", ...extra }, io);
  return { code, text: io.outText };
};

describe("plan and apply on the local target", () => {
  it("creates everything, then converges: apply then plan shows no changes", async () => {
    const first = await plan();
    expect(first.code).toBe(2);
    expect(first.text).toContain("Plan: 8 to create, 0 to update, 0 to delete.");
    const applied = await apply();
    expect(applied.text).toContain("Apply complete: 8 changes applied.");
    const again = await plan();
    expect(again.code).toBe(0);
    expect(again.text).toContain("No changes.");
  });

  it("shows a subject edit as an update with old and new text", async () => {
    await apply();
    const file = path.join(repo.dir, "templates/welcome-campaign.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("Welcome to Our Community", "Welcome aboard"));
    const p = await plan();
    expect(p.code).toBe(2);
    expect(p.text).toContain("~ update email template welcome-campaign: subject");
    expect(p.text).toContain("-Welcome to Our Community, {{name}}!");
    expect(p.text).toContain("+Welcome aboard, {{name}}!");
    expect(p.text).toContain("Plan: 0 to create, 1 to update, 0 to delete.");
  });

  it("shows a deleted template file as a delete, and applies it", async () => {
    await apply();
    rmSync(path.join(repo.dir, "campaigns/spring-sale.yaml"));
    rmSync(path.join(repo.dir, "campaigns/holiday-promo.yaml"));
    for (const ext of ["yaml", "html", "txt"])
      rmSync(path.join(repo.dir, `templates/product-promotion.${ext}`));
    const p = await plan();
    expect(p.text).toContain("- delete email template product-promotion (removed from the repository)");
    await apply();
    expect((await plan()).text).toContain("No changes.");
  });

  it("refuses a stale plan file", async () => {
    const out = path.join(repo.dir, "plan.json");
    await plan({ out });
    // Someone applies in between: the live state moves.
    await apply();
    await expect(apply({ plan: out })).rejects.toBeInstanceOf(ApplyRefusedError);
  });

  it("applies a fresh plan file", async () => {
    const out = path.join(repo.dir, "plan.json");
    await plan({ out });
    const r = await apply({ plan: out });
    expect(r.text).toContain("Apply complete: 8 changes applied.");
  });

  it("leaves an unmanaged resource with the same name alone and refuses to apply", async () => {
    const dir = path.join(repo.dir, ".mailops/local/template");
    await apply();
    // Forget the inventory: the resources now look like someone else's (the local target keeps tags).
    const state = path.join(repo.dir, ".mailops/state/inventory.json");
    rmSync(state);
    const stranger = path.join(dir, "welcome-campaign.json");
    writeFileSync(stranger, JSON.stringify({ spec: { subject: "theirs", html: "", text: "" }, tags: {} }));
    const p = await plan();
    expect(p.text).toContain("email template welcome-campaign exists and is not managed by mailops");
    await expect(apply()).rejects.toBeInstanceOf(ApplyRefusedError);
    expect(JSON.parse(readFileSync(stranger, "utf8")).spec.subject).toBe("theirs");
  });

  it("writes a versioned JSON plan", async () => {
    const p = await plan({ format: "json" });
    const json = JSON.parse(p.text);
    expect(json.version).toBe(2);
    expect(json.liveChecksum).toMatch(/^[0-9a-f]{64}$/);
    // Every declared resource was read; none exists yet.
    expect(Object.keys(json.live)).toHaveLength(8);
    expect(Object.values(json.live).every((d) => d === null)).toBe(true);
    expect(json.changes).toHaveLength(8);
  });
});
