/**
 * `mailops import` on the local target, through the command a user runs: the example repository
 * applied to a fresh target, imported into a folder that holds only that target (`.mailops/`,
 * the local target's resources and the same state store), validates and plans no changes; and
 * what import keeps, limits, asks for and reports.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { runApply } from "../../src/cli/apply.js";
import { runImport } from "../../src/cli/import.js";
import { runPlan } from "../../src/cli/plan.js";
import { runValidate } from "../../src/cli/validate.js";
import { importRepository } from "../../src/commands/import.js";
import { UsageError } from "../../src/errors.js";
import { OfflineTarget } from "../../src/targets/offline.js";
import { captureIo, copyExampleRepo, type ExampleRepo } from "../support/repo.js";

let example: ExampleRepo;
let dir: string;
const SENDER = "Acme Marketing <marketing@example.com>";
const OPTIONS = { target: "local", project: "acme-marketing", sender: SENDER };

beforeEach(async () => {
  vi.stubEnv("MAILOPS_TARGET", undefined);
  example = copyExampleRepo();
  expect(await runApply({ dir: example.dir, target: "local" }, captureIo())).toBe(0);
  // The empty folder holds the local target and its state store, as the example's own did.
  dir = mkdtempSync(path.join(tmpdir(), "mailops-import-"));
  cpSync(path.join(example.dir, ".mailops"), path.join(dir, ".mailops"), { recursive: true });
});
afterEach(() => {
  vi.unstubAllEnvs();
  example.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const importCli = async (extra: Record<string, unknown> = {}, format: "text" | "json" = "text") => {
  const io = captureIo();
  const code = await runImport({ dir, ...OPTIONS, ...extra, format }, io);
  return { code, text: io.outText };
};
const read = (root: string, rel: string) => readFileSync(path.join(root, rel), "utf8");

describe("the example repository, applied, then imported into an empty folder", () => {
  it("validates and plans no changes; the templates' files are the originals byte for byte", async () => {
    const { code, text } = await importCli();
    expect(code).toBe(0);
    expect(text).toContain("+ mailops.yaml");
    expect(text).toContain("+ templates/welcome-campaign.html");
    expect(text).toContain("14 files written (12 resources), 0 kept.");
    expect(text).toContain("validate: no errors");
    expect(text).not.toContain("Not imported");

    const validate = captureIo();
    expect(runValidate({ dir, format: "text" }, validate.out)).toBe(0);
    const plan = captureIo();
    expect(await runPlan({ dir, target: "local", format: "text", detailedExitcode: true }, plan)).toBe(0);
    expect(plan.outText).toContain("No changes. SES and CloudWatch match the repository.");

    for (const name of ["welcome-campaign", "product-promotion"]) {
      for (const ext of ["html", "txt"])
        expect(read(dir, `templates/${name}.${ext}`), `${name}.${ext}`).toBe(
          read(example.dir, `templates/${name}.${ext}`),
        );
      const original = parse(read(example.dir, `templates/${name}.yaml`));
      const imported = parse(read(dir, `templates/${name}.yaml`));
      expect(imported.subject).toBe(original.subject);
      // SES keeps no sample data.
      expect(imported.sample).toBeUndefined();
      expect(imported.adopt).toBe(true);
    }
    const settings = parse(read(dir, "mailops.yaml"));
    expect(settings).toMatchObject({
      project: "acme-marketing",
      target: "local",
      state: ".mailops/state",
      sender: { from: SENDER },
    });
    for (const part of [
      settings.configuration_sets.marketing,
      settings.identities["example.com"],
      settings.alarms["bounce-rate"],
      settings.unsubscribe,
      settings.dashboard,
    ])
      expect(part.adopt).toBe(true);
  });

  it("--format json: the report", async () => {
    const { text } = await importCli({}, "json");
    const report = JSON.parse(text);
    expect(report).toMatchObject({
      version: 1,
      kind: "import",
      target: "local",
      skipped: [],
      notImported: [],
    });
    expect(report.validation).toEqual({ errors: 0, warnings: expect.any(Number) });
    expect(report.differences).toEqual([]);
    expect(report.written.map((f: { path: string }) => f.path)).toContain("dashboards/email-marketing.json");
    expect(report.written.find((f: { path: string }) => f.path === "mailops.yaml").resources).toContain(
      "alarm/acme-marketing-bounce-rate",
    );
  });
});

describe("files that exist", () => {
  it("are kept and listed without --force, and replaced with it", async () => {
    mkdirSync(path.join(dir, "templates"));
    writeFileSync(path.join(dir, "templates/welcome-campaign.yaml"), "subject: Mine\ntext: mine.txt\n");
    writeFileSync(path.join(dir, "mailops.yaml"), "project: acme-marketing # mine\n");
    const kept = await importCli();
    expect(kept.text).toContain("= templates/welcome-campaign.yaml (exists, kept: --force replaces it)");
    expect(kept.text).toMatch(
      /= mailops\.yaml \(exists, kept: --force replaces it; it would declare .*configuration-set\/marketing/,
    );
    expect(kept.text).toContain("+ templates/welcome-campaign.html");
    expect(read(dir, "templates/welcome-campaign.yaml")).toBe("subject: Mine\ntext: mine.txt\n");
    expect(read(dir, "mailops.yaml")).toBe("project: acme-marketing # mine\n");

    const forced = await importCli({ force: true });
    expect(forced.text).not.toContain("exists, kept");
    expect(parse(read(dir, "templates/welcome-campaign.yaml")).subject).toBe(
      "Welcome to Our Community, {{name}}!",
    );
    expect(parse(read(dir, "mailops.yaml")).configuration_sets.marketing.adopt).toBe(true);
  });
});

describe("--only", () => {
  it("templates,configuration_sets: those parts, and a mailops.yaml without the others", async () => {
    const { text } = await importCli({ only: "templates,configuration_sets" });
    const settings = parse(read(dir, "mailops.yaml"));
    expect(Object.keys(settings.configuration_sets)).toEqual(["marketing"]);
    for (const key of ["identities", "alarms", "dashboard", "unsubscribe"])
      expect(settings[key], key).toBeUndefined();
    expect(existsSync(path.join(dir, "templates/welcome-campaign.yaml"))).toBe(true);
    expect(existsSync(path.join(dir, "dashboards"))).toBe(false);
    expect(text).toContain("note: mailops.yaml has no `unsubscribe:`");
  });

  it("a part that does not exist is an error naming the parts", async () => {
    const error = await importCli({ only: "templates,segments" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe("--only names no part `segments`");
    expect((error as UsageError).hint).toBe(
      "the parts are templates, configuration_sets, contact_list, identities, alarms, dashboard (comma-separated)",
    );
    expect(existsSync(path.join(dir, "mailops.yaml"))).toBe(false);
  });
});

describe("mailops.yaml's settings", () => {
  it("without --project and no terminal to ask on: an error naming the option, and nothing written", async () => {
    const error = await importRepository({ dir, target: "local", sender: SENDER }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(
      "--project is missing: mailops.yaml's `project`, which no target holds",
    );
    expect((error as UsageError).hint).toContain("pass --project NAME");
    expect(existsSync(path.join(dir, "mailops.yaml"))).toBe(false);
  });

  it("without --sender: an error naming it", async () => {
    await expect(importRepository({ dir, target: "local", project: "acme-marketing" })).rejects.toThrow(
      "--sender is missing: mailops.yaml's `sender.from`, which no target holds",
    );
  });

  it("without a target: an error naming --target", async () => {
    await expect(importRepository({ dir, project: "p", sender: SENDER })).rejects.toThrow(
      "no target to import from",
    );
  });

  it("on a terminal, what is missing is asked for", async () => {
    const asked: string[] = [];
    const answers: Record<string, string> = { Project: "acme-marketing", Sender: SENDER };
    const report = await importRepository({
      dir,
      target: "local",
      ask: async (q) => {
        asked.push(q);
        return answers[q.split(" ")[0] ?? ""] ?? "";
      },
    });
    expect(asked.map((q) => q.split(" ")[0])).toEqual(["Project", "Sender"]);
    expect(report.validation.errors).toBe(0);
    expect(parse(read(dir, "mailops.yaml"))).toMatchObject({
      project: "acme-marketing",
      sender: { from: SENDER },
    });
  });

  it("an existing mailops.yml is the settings file: kept, or replaced with --force, never a second one", async () => {
    writeFileSync(path.join(dir, "mailops.yml"), read(example.dir, "mailops.yaml"));
    expect((await importRepository({ dir, target: "local" })).skipped.map((f) => f.path)).toEqual([
      "mailops.yml",
    ]);
    await importRepository({ dir, target: "local", force: true });
    expect(existsSync(path.join(dir, "mailops.yaml"))).toBe(false);
    expect(parse(read(dir, "mailops.yml")).configuration_sets.marketing.adopt).toBe(true);
  });

  it("an existing mailops.yaml gives them, when it is kept", async () => {
    writeFileSync(path.join(dir, "mailops.yaml"), read(example.dir, "mailops.yaml"));
    const report = await importRepository({ dir, target: "local" });
    expect(report.skipped.map((f) => f.path)).toEqual(["mailops.yaml"]);
    expect(report.written.map((f) => f.path)).toContain("templates/welcome-campaign.yaml");
  });
});

describe("what cannot be imported", () => {
  it("is reported with why, and kept out of the files; tagged as this project's, it says a plan deletes it", async () => {
    const file = path.join(dir, ".mailops/local/alarm/acme-marketing-bounce-rate.json");
    const stored = JSON.parse(readFileSync(file, "utf8"));
    stored.spec.comparison = "GreaterThanOrEqualToThreshold";
    writeFileSync(file, JSON.stringify(stored));
    const { text } = await importCli();
    expect(text).toContain(
      "Not imported:\n  alarm acme-marketing-bounce-rate: comparison GreaterThanOrEqualToThreshold (mailops makes GreaterThanThreshold)\n    it is tagged as this project's: if the state store records it, a plan deletes it",
    );
    const settings = parse(read(dir, "mailops.yaml"));
    expect(Object.keys(settings.alarms)).toEqual(["complaint-rate"]);
    const json = JSON.parse((await importCli({ force: true }, "json")).text);
    expect(json.notImported).toEqual([
      {
        kind: "alarm",
        name: "acme-marketing-bounce-rate",
        reason: "comparison GreaterThanOrEqualToThreshold (mailops makes GreaterThanThreshold)",
        tagged: true,
      },
    ]);
  });

  it("an edit import cannot see is in the report's differences", async () => {
    await importCli();
    writeFileSync(path.join(dir, "templates/welcome-campaign.txt"), "Changed. {{amazonSESUnsubscribeUrl}}\n");
    const { text } = await importCli({ only: "templates" });
    expect(text).toContain("The repository differs from the target in:\n  template welcome-campaign: text");
  });
});

describe("the offline target", () => {
  it("lists nothing: it refuses", async () => {
    await expect(new OfflineTarget("aws").list()).rejects.toThrow(
      "listing what exists on the target is not possible",
    );
  });
});
