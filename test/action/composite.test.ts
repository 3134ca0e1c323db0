/**
 * action.yml as a composite action, its steps run as the runner runs them: the cache key step, and
 * the entry's step with its inputs as `toJSON(inputs)` against the GitHub stand-in, naming the
 * artifact for the upload step (a `run` step has no token for the artifact service).
 */

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { exposeInputs, nextStepUploader } from "../../src/action/composite.js";
import { initRepository } from "../../src/commands/init.js";
import { copyExampleRepo } from "../support/repo.js";
import { ACTION_ROOT, pullRequestRunEnv, runCompositeStep } from "./support/composite.js";
import { GitHubStandIn } from "./support/github-stand-in.js";

let github: GitHubStandIn;
let temp: string;

beforeAll(async () => {
  const build = spawnSync(process.execPath, ["scripts/build-action.mjs"], {
    cwd: ACTION_ROOT,
    encoding: "utf8",
  });
  expect(build.status, build.stderr).toBe(0);
  github = await new GitHubStandIn().start();
  temp = mkdtempSync(path.join(tmpdir(), "mailops-composite-"));
}, 60_000);
afterAll(async () => {
  await github?.stop();
  if (temp) rmSync(temp, { recursive: true, force: true });
});

describe("the cache key step", () => {
  it("keys on the OS, the architecture, Node's major version and the action's own lockfile", async () => {
    const run = await runCompositeStep("key", { workspace: temp, runnerTemp: temp });
    expect(run.code, run.output).toBe(0);
    const lock = createHash("sha256")
      .update(readFileSync(path.join(ACTION_ROOT, "package-lock.json")))
      .digest("hex");
    const major = process.versions.node.split(".")[0];
    expect(run.outputs.key).toBe(`mailops-action-Linux-X64-node${major}-${lock}`);
  });

  it("stops with what to do when the Node.js on the PATH is older than 20", async () => {
    const bin = path.join(temp, "old-node");
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      path.join(bin, "node"),
      '#!/bin/sh\ncase "$1" in -p) echo 18 ;; --version) echo v18.20.4 ;; esac\n',
    );
    chmodSync(path.join(bin, "node"), 0o755);
    const run = await runCompositeStep("key", {
      workspace: temp,
      runnerTemp: temp,
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
    expect(run.code).toBe(1);
    expect(run.output).toContain("::error::mailops needs Node.js 20 or newer on the PATH, found v18.20.4");
    expect(run.outputs.key).toBeUndefined();
  });
});

describe("the entry's step", () => {
  it("runs `pr` from toJSON(inputs) and names the artifact for the upload step", async () => {
    const repo = copyExampleRepo();
    try {
      const run = await runCompositeStep("mailops", {
        workspace: repo.dir,
        runnerTemp: temp,
        inputs: { command: "pr" },
        env: pullRequestRunEnv(temp, 3, github.url),
      });
      expect(run.code, run.output).toBe(0);
      expect(github.comments).toHaveLength(1);
      expect(github.comments[0]?.body).toContain(
        "- **Changes:** Plan: 12 to create, 0 to update, 0 to delete.",
      );
      // The artifact link is the run page's list: its id is the upload step's to know.
      expect(github.comments[0]?.body).toContain(
        "[artifact `mailops-plan-pr-3-attempt-1`](https://github.com/acme/campaigns/actions/runs/77#artifacts)",
      );
      expect(run.outputs["has-changes"]).toBe("true");
      expect(run.outputs["artifact-name"]).toBe("mailops-plan-pr-3-attempt-1");
      const files = (run.outputs["artifact-files"] ?? "").split("\n");
      expect(files.map((f) => path.relative(path.join(temp, "mailops-pr-3"), f))).toEqual(
        expect.arrayContaining(["plan.json", "plan.md"]),
      );
      for (const f of files) expect(existsSync(f), f).toBe(true);
      expect(run.output).not.toContain("could not upload");
    } finally {
      repo.cleanup();
    }
  }, 60_000);
});

describe("a repository `mailops init` wrote", () => {
  it("gets its pull request's comment from its pull-request.yml's step, through the action's entry", async () => {
    const dir = path.join(temp, "campaigns");
    const uses = "acme/mailops@v1.2.3";
    initRepository({ dir, packageRoot: ACTION_ROOT, mailops: uses });
    const workflow = parse(readFileSync(path.join(dir, ".github/workflows/pull-request.yml"), "utf8")) as {
      jobs: Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }>;
    };
    const step = Object.values(workflow.jobs)
      .flatMap((j) => j.steps)
      .find((st) => st.uses === uses);
    // The repository variables are unset: `${{ vars.X }}` is empty, as on GitHub.
    const inputs = Object.fromEntries(
      Object.entries(step?.with ?? {}).map(([k, v]) => [k, /^\$\{\{ vars\.\w+ \}\}$/.test(v) ? "" : v]),
    );
    expect(inputs).toEqual({ command: "pr", target: "" });
    const run = await runCompositeStep("mailops", {
      workspace: dir,
      runnerTemp: temp,
      inputs,
      env: pullRequestRunEnv(temp, 8, github.url),
    });
    expect(run.code, run.output).toBe(0);
    const comment = github.comments.find((c) => c.issue === 8);
    expect(comment?.body).toContain("- **Changes:** Plan: 12 to create, 0 to update, 0 to delete.");
    expect(run.outputs["artifact-name"]).toBe("mailops-plan-pr-8-attempt-1");
  }, 60_000);
});

describe("composite.ts", () => {
  it("makes INPUT_* variables of the inputs' JSON, as the runner does for a JavaScript action", () => {
    const env: NodeJS.ProcessEnv = {
      MAILOPS_ACTION_INPUTS: JSON.stringify({ command: "send", "github-token": "t", "send-early": "true" }),
    };
    exposeInputs(env);
    expect(env).toMatchObject({
      INPUT_COMMAND: "send",
      "INPUT_GITHUB-TOKEN": "t",
      "INPUT_SEND-EARLY": "true",
    });
    const none: NodeJS.ProcessEnv = { INPUT_COMMAND: "pr" };
    exposeInputs(none);
    expect(none).toEqual({ INPUT_COMMAND: "pr" });
  });

  it("hands the upload to the next step: no call to the artifact service", async () => {
    const out = path.join(temp, "outputs.txt");
    writeFileSync(out, "");
    const saved = process.env.GITHUB_OUTPUT;
    process.env.GITHUB_OUTPUT = out;
    try {
      const uploaded = await nextStepUploader("https://github.com/o/r/actions/runs/5").upload("a", "/x", [
        "/x/plan.json",
        "/x/previews/t/after.html",
      ]);
      expect(uploaded).toEqual({ url: "https://github.com/o/r/actions/runs/5#artifacts" });
    } finally {
      process.env.GITHUB_OUTPUT = saved;
    }
    expect(readFileSync(out, "utf8")).toMatch(
      /artifact-files<<(\S+)\n\/x\/plan.json\n\/x\/previews\/t\/after.html\n\1/,
    );
  });
});
