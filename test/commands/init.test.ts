/**
 * `mailops init`: a campaign repository from the example as the package ships it. Its files are
 * the example's (mailops.yaml naming the new project), its workflows this repository's but for the
 * Action's reference, it validates, passes actionlint, and its `pr` flow comments on a pull request
 * (the GitHub stand-in). Never a file overwritten; a folder with anything in it refused.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { formatInit, runInit } from "../../src/cli/init.js";
import { FolderNotEmptyError, type InitOptions, initRepository } from "../../src/commands/init.js";
import { validateProject } from "../../src/commands/validate.js";
import { UsageError } from "../../src/errors.js";
import { projectName } from "../../src/scaffold/scaffold.js";
import { githubRepository, parseSource } from "../../src/scaffold/source.js";
import { WORKFLOWS } from "../../src/scaffold/workflows.js";
import { GitHubStandIn } from "../action/support/github-stand-in.js";
import { pullRequestEvent, RecordingUploader, runAction } from "../action/support/harness.js";
import { actionlint, problemLines } from "../support/actionlint.js";
import { simulatedClock } from "../support/clock.js";
import { captureIo } from "../support/repo.js";
import { scratchEach } from "../support/scratch.js";

const ROOT = path.join(import.meta.dirname, "../..");
const USES = "acme/mailops@v9.8.7";

let temp: string;
scratchEach("init", (dir) => {
  temp = dir;
});

const init = (dir: string, o: Partial<InitOptions> = {}) =>
  initRepository({ dir, packageRoot: ROOT, mailops: USES, ...o });

/** Every file under `dir`, relative, with `/`. */
function filesUnder(dir: string, rel = ""): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? filesUnder(dir, p) : [p];
  });
}

describe("initRepository", () => {
  it("writes the example, its schemas and workflows, a README, a package.json and a .gitignore", () => {
    const dir = path.join(temp, "Acme Campaigns");
    const report = init(dir);
    expect(report).toMatchObject({ dir, project: "acme-campaigns", action: USES, kept: [] });
    expect(report.dependency).toBe("github:acme/mailops#v9.8.7");
    expect(filesUnder(dir).sort()).toEqual([...report.written].sort());
    const example = [
      ...["templates", "subscribers", "campaigns", "schemas"].flatMap((d) =>
        filesUnder(path.join(ROOT, d)).map((f) => `${d}/${f}`),
      ),
    ].filter((f) => f !== "subscribers/crm.yaml");
    expect(report.written).toEqual(
      expect.arrayContaining([
        "README.md",
        "package.json",
        ".gitignore",
        ".github/dependabot.yml",
        "mailops.yaml",
        ...WORKFLOWS.map((w) => `.github/workflows/${w}`),
        ...example,
      ]),
    );
    // The example itself, byte for byte: it cannot drift from what init writes.
    for (const f of example)
      expect(readFileSync(path.join(dir, f)), f).toEqual(readFileSync(path.join(ROOT, f)));
    const yaml = readFileSync(path.join(dir, "mailops.yaml"), "utf8");
    expect(yaml).toBe(
      readFileSync(path.join(ROOT, "mailops.yaml"), "utf8").replace(
        /^project: .*$/m,
        "project: acme-campaigns",
      ),
    );
    expect(existsSync(path.join(dir, "subscribers/crm.yaml"))).toBe(false);
  });

  it("pins mailops in package.json, and says where in the README", () => {
    const dir = path.join(temp, "c");
    init(dir);
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
    expect(pkg).toMatchObject({
      name: "c",
      private: true,
      dependencies: { mailops: "github:acme/mailops#v9.8.7" },
    });
    expect(pkg.scripts.deploy).toBe("mailops deploy");
    const readme = readFileSync(path.join(dir, "README.md"), "utf8");
    expect(readme).toContain(`uses: ${USES}`);
    expect(readme).toContain('"mailops": "github:acme/mailops#v9.8.7"');
    expect(readme).not.toMatch(/%[a-z]+%/);
    expect(readFileSync(path.join(dir, ".gitignore"), "utf8")).toMatch(
      /^node_modules\/$[\s\S]*^\.mailops\/$/m,
    );
  });

  it("validates with no errors, as the example does", () => {
    const dir = path.join(temp, "c");
    init(dir);
    const result = validateProject(dir);
    expect(result.findings.filter((f) => f.severity === "error")).toEqual([]);
    expect([...result.project.campaigns.keys()].sort()).toEqual([
      "holiday-promo",
      "spring-sale",
      "weekly-newsletter",
      "welcome-new-customers",
    ]);
  });

  it("takes its default source from the package: the GitHub repository at its version's tag", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
    const report = initRepository({ dir: path.join(temp, "c"), packageRoot: ROOT });
    const repo = githubRepository(pkg.repository);
    expect(report.action).toBe(`${repo}@v${pkg.version}`);
    expect(report.dependency).toBe(`github:${repo}#v${pkg.version}`);
    expect(
      initRepository({ dir: path.join(temp, "d"), packageRoot: ROOT, packageSpec: "^0.3.0" }).dependency,
    ).toBe("^0.3.0");
  });

  it("takes a folder that holds only .git (a fresh clone) as empty", () => {
    mkdirSync(path.join(temp, ".git"));
    expect(init(temp).kept).toEqual([]);
  });

  it("refuses a folder that is not empty, and writes nothing", () => {
    writeFileSync(path.join(temp, "notes.txt"), "mine");
    expect(() => init(temp)).toThrow(FolderNotEmptyError);
    expect(() => init(temp)).toThrow(/is not empty \(notes\.txt\).*\n?/);
    expect(readdirSync(temp)).toEqual(["notes.txt"]);
  });

  it("with force, writes only the missing files and overwrites none", () => {
    writeFileSync(path.join(temp, "README.md"), "our own readme");
    mkdirSync(path.join(temp, "campaigns"));
    writeFileSync(path.join(temp, "campaigns/spring-sale.yaml"), "template: ours\n");
    const report = init(temp, { force: true });
    expect(report.kept).toEqual(["README.md", "campaigns/spring-sale.yaml"]);
    expect(readFileSync(path.join(temp, "README.md"), "utf8")).toBe("our own readme");
    expect(readFileSync(path.join(temp, "campaigns/spring-sale.yaml"), "utf8")).toBe("template: ours\n");
    expect(report.written).toContain("campaigns/holiday-promo.yaml");
    expect(report.written).not.toContain("README.md");
    // A second run adds nothing and overwrites nothing.
    const again = init(temp, { force: true });
    expect(again.written).toEqual([]);
    expect(again.kept.length).toBe(report.written.length + report.kept.length);
  });

  it("refuses a --mailops that is not OWNER/NAME@TAG", () => {
    expect(() => init(path.join(temp, "c"), { mailops: "acme/mailops" })).toThrow(UsageError);
    expect(parseSource("acme/mail.ops@v1.2.3")).toEqual({ repository: "acme/mail.ops", ref: "v1.2.3" });
  });
});

describe("the workflows it writes", () => {
  let dir: string;
  beforeEach(() => {
    dir = path.join(temp, "c");
    init(dir);
  });
  const generated = (w: string) => readFileSync(path.join(dir, ".github/workflows", w), "utf8");
  const own = (w: string) => readFileSync(path.join(ROOT, ".github/workflows", w), "utf8");

  it.each(WORKFLOWS)("%s is this repository's, but for the Action by reference and the tool's paths", (w) => {
    const expected = parse(own(w));
    const deploy = expected.on.push as { paths?: string[] } | undefined;
    if (deploy?.paths) deploy.paths = deploy.paths.filter((p) => p !== "src/**" && p !== "action.yml");
    for (const job of Object.values(expected.jobs) as { steps: { uses?: string }[] }[])
      for (const step of job.steps) if (step.uses === "./") step.uses = USES;
    expect(parse(generated(w))).toEqual(expected);
    expect(generated(w)).toContain(`uses: ${USES}`);
    expect(generated(w)).not.toMatch(/uses: \.\//);
  });

  it.each(WORKFLOWS)("%s passes actionlint and GitHub's workflow parser", async (w) => {
    expect(problemLines(w, await actionlint(generated(w), w))).toEqual([]);
    const result = parseWorkflow({ name: w, content: generated(w) }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().map((e) => e.message)).toEqual([]);
    const template = await convertWorkflowTemplate(
      result.context,
      result.value ?? ({ toString: () => "" } as never),
    );
    expect(template.errors ?? []).toEqual([]);
  });

  it("deploy.yml still deploys an upgrade (package.json) and a change of its own", () => {
    const paths = (parse(generated("deploy.yml")).on.push as { paths: string[] }).paths;
    expect(paths).toEqual(
      expect.arrayContaining(["package.json", "package-lock.json", ".github/workflows/deploy.yml"]),
    );
    expect(paths).not.toContain("src/**");
  });
});

describe("the pr flow of a repository init wrote", () => {
  let github: GitHubStandIn;
  beforeEach(async () => {
    github = await new GitHubStandIn().start();
  });
  afterEach(() => github.stop());

  it("validates, plans and comments on the pull request", async () => {
    const dir = path.join(temp, "c");
    init(dir);
    const sha = "0123456789abcdef0123456789abcdef01234567";
    const result = await runAction({
      workspace: dir,
      inputs: { command: "pr" },
      eventName: "pull_request",
      event: pullRequestEvent(5, sha),
      apiUrl: github.url,
      sha,
      runnerTemp: path.join(temp, "runner"),
      deps: { clock: simulatedClock(new Date("2026-06-01T12:00:00Z")), artifacts: new RecordingUploader() },
    });
    expect(result.failed, result.stdout + result.stderr).toBe(false);
    expect(result.annotations.filter((a) => a.startsWith("::error"))).toEqual([]);
    expect(github.comments).toHaveLength(1);
    const body = github.comments[0]?.body ?? "";
    expect(body).toContain("- **Changes:** Plan: 12 to create, 0 to update, 0 to delete.");
    expect(body).toContain("welcome-new-customers");
    expect(result.outputs["has-changes"]).toBe("true");
  }, 60_000);
});

describe("the command line", () => {
  it("names a project after its folder, within the schema's pattern", () => {
    expect(projectName("/x/My Campaigns!")).toBe("my-campaigns");
    expect(projectName("/x/acme_mail-2")).toBe("acme_mail-2");
    expect(projectName("/x/!!!")).toBe("campaigns");
    expect(projectName(`/x/${"a".repeat(80)}`)).toHaveLength(64);
  });

  it("prints the files and the next steps, or the report as JSON", () => {
    const dir = path.join(temp, "c");
    const io = captureIo();
    expect(runInit({ dir, mailops: USES, format: "json" }, io)).toBe(0);
    const json = JSON.parse(io.outText);
    expect(json).toMatchObject({ version: 1, kind: "init", project: "c", action: USES, kept: [] });
    expect(json.written).toContain("mailops.yaml");
    const text = formatInit({ ...json, kept: ["README.md"] }, temp);
    expect(text).toContain("+ mailops.yaml");
    expect(text).toContain("= README.md");
    expect(text).toMatch(/Next:\n {2}cd c\n {2}npm install/);
    expect(text).toContain("npx mailops deploy");
    expect(formatInit(json, "/elsewhere")).toContain(`  cd ${dir}\n`);
  });
});
