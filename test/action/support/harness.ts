/**
 * Runs the action entry in-process as a runner would: inputs as INPUT_* variables, the event as a
 * GITHUB_EVENT_PATH file, GITHUB_STEP_SUMMARY and GITHUB_OUTPUT files, GITHUB_API_URL at the
 * stand-in. Captures stdout (workflow commands: annotations, failure) and the files afterwards.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ArtifactUploader } from "../../../src/action/artifacts.js";
import { type ActionDeps, run } from "../../../src/action.js";
import type { TargetFactory } from "../../../src/commands/context.js";
import type { Clock } from "../../../src/util/clock.js";
import { copyExampleRepo } from "../../support/repo.js";
import { GitHubStandIn } from "./github-stand-in.js";

export const REPOSITORY = "acme/campaigns";
export const RUN_ID = "9001";
export const TOKEN = "ghs-actions-token";

// @actions/core caches the summary file's path on first use: one file per test process.
const SUMMARY_FILE = path.join(tmpdir(), `mailops-action-summary-${process.pid}.md`);

export interface RunOptions {
  workspace: string;
  inputs: Record<string, string>;
  eventName: string;
  event: Record<string, unknown>;
  apiUrl: string;
  sha: string;
  runnerTemp: string;
  deps?: ActionDeps;
  env?: Record<string, string>;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** `::error …`, `::warning …`, `::notice …` lines, in order. */
  annotations: string[];
  summary: string;
  outputs: Record<string, string>;
  failed: boolean;
}

export async function runAction(o: RunOptions): Promise<RunResult> {
  mkdirSync(o.runnerTemp, { recursive: true });
  const eventFile = path.join(o.runnerTemp, "event.json");
  const outputFile = path.join(o.runnerTemp, "github-output.txt");
  writeFileSync(eventFile, JSON.stringify(o.event));
  writeFileSync(outputFile, "");
  writeFileSync(SUMMARY_FILE, "");
  const env: Record<string, string> = {
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: o.workspace,
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_EVENT_NAME: o.eventName,
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_SHA: o.sha,
    GITHUB_API_URL: o.apiUrl,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_RUN_ID: RUN_ID,
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_STEP_SUMMARY: SUMMARY_FILE,
    GITHUB_OUTPUT: outputFile,
    RUNNER_TEMP: o.runnerTemp,
    "INPUT_GITHUB-TOKEN": TOKEN,
    ...Object.fromEntries(Object.entries(o.inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    ...o.env,
  };
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(env)) {
    saved.set(k, process.env[k]);
    process.env[k] = v;
  }
  let stdout = "";
  let stderr = "";
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  }) as typeof process.stdout.write;
  // Progress lines of apply and send: kept for failure messages, out of the test log.
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  }) as typeof process.stderr.write;
  const exitBefore = process.exitCode;
  process.exitCode = undefined;
  try {
    await run(o.deps);
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const failed = process.exitCode === 1;
  process.exitCode = exitBefore;
  return {
    stdout,
    stderr,
    annotations: stdout.split("\n").filter((l) => /^::(error|warning|notice)[ :]/.test(l)),
    summary: readFileSync(SUMMARY_FILE, "utf8"),
    outputs: parseOutputs(readFileSync(outputFile, "utf8")),
    failed,
  };
}

/** GITHUB_OUTPUT holds `name<<delimiter\nvalue\ndelimiter` blocks. */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1] as string] = m[3] as string;
  return out;
}

/** Records uploads instead of calling GitHub's artifact service (which has no local emulator). */
export class RecordingUploader implements ArtifactUploader {
  readonly uploads: { name: string; files: string[]; allExist: boolean }[] = [];

  async upload(name: string, root: string, files: string[]) {
    this.uploads.push({
      name,
      files: files.map((f) => path.relative(root, f)),
      allExist: files.every((f) => existsSync(f)),
    });
    return { id: 42, url: `https://github.com/${REPOSITORY}/actions/runs/${RUN_ID}/artifacts/42` };
  }
}

export function pullRequestEvent(number: number, headSha: string, fork = false): Record<string, unknown> {
  return {
    action: "synchronize",
    number,
    pull_request: {
      number,
      head: { sha: headSha, repo: { full_name: fork ? "mallory/campaigns" : REPOSITORY } },
      base: { repo: { full_name: REPOSITORY } },
    },
    repository: { full_name: REPOSITORY },
  };
}

export function cleanup(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** What an Action test runs against: the GitHub stand-in, a copy of the example repository, a scratch folder. */
export interface ActionWorld {
  github: GitHubStandIn;
  repo: { dir: string; cleanup: () => void };
  temp: string;
}

export async function openActionWorld(): Promise<ActionWorld> {
  const github = await new GitHubStandIn().start();
  const repo = copyExampleRepo();
  const temp = path.join(tmpdir(), `mailops-action-${process.pid}-${Math.random().toString(36).slice(2)}`);
  return { github, repo, temp };
}

export async function closeActionWorld(world: ActionWorld): Promise<void> {
  await world.github.stop();
  world.repo.cleanup();
  cleanup(world.temp);
}

export const HEAD_SHA = "0123456789abcdef0123456789abcdef01234567";
export const MERGE_SHA = "fedcba9876543210fedcba9876543210fedcba98";

export interface FlowOptions {
  clock: Clock;
  inputs?: Record<string, string>;
  eventName?: string;
  targetFactory?: TargetFactory;
  /** The pull request comes from a fork. */
  fork?: boolean;
  env?: Record<string, string>;
}

/**
 * One run of a flow in the world: `pr` on pull request 7 at HEAD_SHA, anything else on a push of
 * MERGE_SHA to main. The repository variable chose the local target, so the flows act on it
 * (adoption.test.ts has a repository that has not chosen one yet).
 */
export function runFlow(world: ActionWorld, command: string, o: FlowOptions): Promise<RunResult> {
  const pr = command === "pr";
  return runAction({
    workspace: world.repo.dir,
    inputs: { command, ...o.inputs },
    eventName: o.eventName ?? (pr ? "pull_request" : "push"),
    event: pr
      ? pullRequestEvent(7, HEAD_SHA, o.fork ?? false)
      : { ref: "refs/heads/main", after: MERGE_SHA, repository: { full_name: REPOSITORY } },
    apiUrl: world.github.url,
    sha: pr ? HEAD_SHA : MERGE_SHA,
    runnerTemp: world.temp,
    env: { MAILOPS_TARGET: "local", ...o.env },
    deps: {
      clock: o.clock,
      artifacts: new RecordingUploader(),
      ...(o.targetFactory ? { targetFactory: o.targetFactory } : {}),
    },
  });
}
