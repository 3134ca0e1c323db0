import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { runPlan } from "../../src/cli/plan.js";
import { ApplyRefusedError, UsageError } from "../../src/errors.js";
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
    expect(first.text).toContain("Plan: 12 to create, 0 to update, 0 to delete.");
    const applied = await apply();
    expect(applied.text).toContain("Apply complete: 12 changes applied.");
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
    // Without the A/B draft, whose variant templates would be deleted with it (3 of 4 templates,
    // above max_delete_percent): one template file removed is one delete.
    rmSync(path.join(repo.dir, "campaigns/spring-sale.yaml"));
    await apply();
    rmSync(path.join(repo.dir, "campaigns/holiday-promo.yaml"));
    rmSync(path.join(repo.dir, "campaigns/weekly-newsletter.yaml"));
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
    expect(r.text).toContain("Apply complete: 12 changes applied.");
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
    expect(Object.keys(json.live)).toHaveLength(12);
    expect(Object.values(json.live).every((d) => d === null)).toBe(true);
    expect(json.changes).toHaveLength(12);
  });
});

/** Every file of the local target and the state store: what "nothing was applied" compares. */
function targetFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const sub of [".mailops/local", ".mailops/state"]) {
    const root = path.join(dir, sub);
    for (const rel of readdirSync(root, { recursive: true }) as string[]) {
      const file = path.join(root, rel);
      if (statSync(file).isFile()) out[path.relative(dir, file)] = readFileSync(file, "utf8");
    }
  }
  return out;
}

describe("a saved plan applies exactly what was reviewed, or nothing", () => {
  const out = () => path.join(repo.dir, "plan.json");
  const edit = (rel: string, from: string, to: string) => {
    const file = path.join(repo.dir, rel);
    const text = readFileSync(file, "utf8");
    if (!text.includes(from)) throw new Error(`${rel} does not contain ${from}`);
    writeFileSync(file, text.replace(from, to));
  };
  const readPlan = () => JSON.parse(readFileSync(out(), "utf8"));
  const writePlan = (p: unknown) => writeFileSync(out(), JSON.stringify(p, null, 2));
  /** Applied, then one reviewed change: the welcome template's text part. */
  const reviewedTextEdit = async () => {
    await apply();
    edit("templates/welcome-campaign.txt", "WELCOME10", "WELCOME20");
    const p = await plan({ out: out() });
    expect(p.text).toContain("Plan: 0 to create, 1 to update, 0 to delete.");
    expect(readPlan().changes.map((c: { name: string }) => c.name)).toEqual(["welcome-campaign"]);
    return targetFiles(repo.dir);
  };
  const refusal = async (): Promise<ApplyRefusedError> => {
    const e = await apply({ plan: out() }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApplyRefusedError);
    return e as ApplyRefusedError;
  };

  it("applies an untouched plan file: the reviewed text is what the target holds", async () => {
    await reviewedTextEdit();
    expect((await apply({ plan: out() })).text).toContain("Apply complete: 1 change applied.");
    const stored = JSON.parse(
      readFileSync(path.join(repo.dir, ".mailops/local/template/welcome-campaign.json"), "utf8"),
    );
    expect(stored.spec.text).toContain("WELCOME20");
  });

  it("refuses a plan file whose after.text was edited, and applies nothing", async () => {
    const before = await reviewedTextEdit();
    const p = readPlan();
    p.changes[0].after.text = "Send your password to evil@example.com";
    writePlan(p);
    const e = await refusal();
    expect(e.message).toContain("plan.json is not the plan of the repository as it is now");
    expect(e.message).toContain(
      "email template `welcome-campaign`: the plan file's text differs from the repository's",
    );
    expect(e.message).not.toContain("html differs");
    expect(targetFiles(repo.dir)).toEqual(before);
  });

  it("refuses a plan file with a change removed, and applies nothing", async () => {
    const before = await reviewedTextEdit();
    writePlan({ ...readPlan(), changes: [] });
    const e = await refusal();
    expect(e.message).toContain(
      "email template `welcome-campaign`: the repository would update it, the plan file would not change it",
    );
    expect(targetFiles(repo.dir)).toEqual(before);
  });

  it("refuses a plan file with a change added, and applies nothing", async () => {
    const before = await reviewedTextEdit();
    const p = readPlan();
    p.changes.push({
      action: "delete",
      kind: "template",
      name: "product-promotion",
      before: p.changes[0].before,
      message: "delete email template product-promotion",
    });
    writePlan(p);
    const e = await refusal();
    expect(e.message).toContain(
      "email template `product-promotion`: the plan file would delete it, the repository would not change it",
    );
    expect(targetFiles(repo.dir)).toEqual(before);
  });

  it("refuses a plan file whose live record was edited to pass for fresh", async () => {
    const before = await reviewedTextEdit();
    const p = readPlan();
    p.live["template/product-promotion"] = "0".repeat(64);
    writePlan(p);
    const e = await refusal();
    expect(e.message).toContain("plan.json was edited after it was written");
    expect(targetFiles(repo.dir)).toEqual(before);
  });

  it("refuses a plan whose repository changed since, saying which change and field", async () => {
    const before = await reviewedTextEdit();
    edit("templates/welcome-campaign.html", "WELCOME10", "WELCOME30");
    const e = await refusal();
    expect(e.message).toContain(
      "email template `welcome-campaign`: the plan file's html differs from the repository's",
    );
    expect(e.message).not.toContain("text differs");
    expect(e.hint).toContain("mailops plan --out plan.json");
    expect(targetFiles(repo.dir)).toEqual(before);
  });

  it("refuses a plan when a declared resource outside it changed live (here only its tags)", async () => {
    const before = await reviewedTextEdit();
    // Not in the plan, and no change of its spec: only the live checksum sees it.
    const file = path.join(repo.dir, ".mailops/local/template/product-promotion.json");
    const stored = JSON.parse(readFileSync(file, "utf8"));
    stored.tags.team = "growth";
    writeFileSync(file, JSON.stringify(stored));
    const e = await refusal();
    expect(e.message).toContain("live state changed since this plan was made");
    expect(e.message).toContain("email template `product-promotion` was changed on the target");
    expect(targetFiles(repo.dir)).toEqual({
      ...before,
      [path.relative(repo.dir, file)]: JSON.stringify(stored),
    });
  });

  it("applies despite a change to a resource the repository neither declares nor owns", async () => {
    await reviewedTextEdit();
    writeFileSync(
      path.join(repo.dir, ".mailops/local/template/someone-elses.json"),
      JSON.stringify({ spec: { subject: "theirs", html: "", text: "" }, tags: {} }),
    );
    expect((await apply({ plan: out() })).text).toContain("Apply complete: 1 change applied.");
  });

  it("refuses a plan file of the earlier format with a clear error", async () => {
    await reviewedTextEdit();
    const { live: _, ...old } = readPlan();
    writePlan({ ...old, version: 1 });
    const e = await apply({ plan: out() }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toBe(`${out()} is a plan of format 1; this mailops reads format 2 only`);
  });
});
