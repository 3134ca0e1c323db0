/**
 * Smoke test of the built action (dist/action/) under @github/local-action, which runs an action
 * the way the runner does, with its own stand-ins for @actions/core, @actions/github and
 * @actions/artifact. It runs offline: its artifact stand-in writes a zip to a local folder, and
 * GitHub's API is the stand-in here.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { copyExampleRepo } from "../support/repo.js";
import { GitHubStandIn } from "./support/github-stand-in.js";
import { pullRequestEvent, REPOSITORY, TOKEN } from "./support/harness.js";

const ROOT = path.join(import.meta.dirname, "../..");
const SHA = "0123456789abcdef0123456789abcdef01234567";

let github: GitHubStandIn;
let repo: { dir: string; cleanup: () => void };
let temp: string;

beforeAll(async () => {
  const build = spawnSync(process.execPath, ["scripts/build-action.mjs"], { cwd: ROOT, encoding: "utf8" });
  expect(build.status, build.stderr).toBe(0);
  github = await new GitHubStandIn().start();
  repo = copyExampleRepo();
  temp = mkdtempSync(path.join(tmpdir(), "mailops-local-action-"));
}, 60_000);
afterAll(async () => {
  await github?.stop();
  repo?.cleanup();
  if (temp) rmSync(temp, { recursive: true, force: true });
});

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // Asynchronous: the stand-in answers from this process while the action runs.
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.on("close", (code) => resolve({ code, output }));
  });
}

it("runs the built pr command end to end", async () => {
  const event = path.join(temp, "event.json");
  const summary = path.join(temp, "summary.md");
  const artifacts = path.join(temp, "artifacts");
  writeFileSync(event, JSON.stringify(pullRequestEvent(3, SHA)));
  writeFileSync(summary, "");
  mkdirSync(artifacts);
  const dotenv = path.join(temp, ".env");
  writeFileSync(
    dotenv,
    [
      "INPUT_COMMAND=pr",
      `INPUT_GITHUB-TOKEN=${TOKEN}`,
      "INPUT_WORKING-DIRECTORY=.",
      `GITHUB_WORKSPACE=${repo.dir}`,
      `GITHUB_REPOSITORY=${REPOSITORY}`,
      "GITHUB_EVENT_NAME=pull_request",
      `GITHUB_EVENT_PATH=${event}`,
      `GITHUB_SHA=${SHA}`,
      `GITHUB_API_URL=${github.url}`,
      "GITHUB_SERVER_URL=https://github.com",
      "GITHUB_RUN_ID=77",
      `GITHUB_STEP_SUMMARY=${summary}`,
      `RUNNER_TEMP=${temp}`,
      `LOCAL_ACTION_ARTIFACT_PATH=${artifacts}`,
      `LOCAL_ACTION_WORKSPACE=${temp}`,
      "",
    ].join("\n"),
  );
  const bin = path.join(ROOT, "node_modules/@github/local-action/bin/local-action.js");
  const { code, output } = await run([bin, "run", ROOT, "dist/action/main.js", dotenv], {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    npm_config_offline: "true",
  });
  expect(code, output).toBe(0);
  expect(output).toContain("Running Action");
  expect(output).not.toMatch(/::error/);
  // The comment went to the stand-in, by the Actions bot, with the marker and the summary.
  expect(github.comments).toHaveLength(1);
  expect(github.comments[0]?.login).toBe("github-actions[bot]");
  expect(github.comments[0]?.body).toMatch(/^<!-- mailops:plan-comment \{"v":2,"checksum":"[0-9a-f]{64}"/);
  expect(github.comments[0]?.body).toContain("- **Changes:** Plan: 12 to create, 0 to update, 0 to delete.");
  expect(readFileSync(summary, "utf8")).toContain("### Pull request comment");
  // The real uploader ran against local-action's @actions/artifact, which writes a zip.
  expect(existsSync(artifacts) ? readdirSync(artifacts) : [], output).toEqual([
    "mailops-plan-pr-3-attempt-1.zip",
  ]);
  expect(output).toMatch(/has-changes\W+true/);
}, 60_000);
