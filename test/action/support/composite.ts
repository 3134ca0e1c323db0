/**
 * Runs one `run` step of action.yml (a composite action) as the runner would: its shell script in
 * bash, in its working directory (`github.action_path` is this checkout), with its `env` evaluated
 * (`toJSON(inputs)`: the given inputs over action.yml's defaults) and the runner's variables.
 * Returns the step's outputs from its GITHUB_OUTPUT file.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { HEAD_SHA, parseOutputs, pullRequestEvent, REPOSITORY, TOKEN } from "./harness.js";

/** A GitHub expression as written in action.yml: `${{ … }}`. */
const expr = (inner: string) => `\${{ ${inner} }}`;

export const ACTION_ROOT = path.join(import.meta.dirname, "../../..");

interface CompositeStep {
  id?: string;
  run?: string;
  env?: Record<string, string>;
  "working-directory"?: string;
}
interface ActionFile {
  inputs: Record<string, { default?: string }>;
  runs: { steps: CompositeStep[] };
}

export const actionFile = (): ActionFile =>
  parse(readFileSync(path.join(ACTION_ROOT, "action.yml"), "utf8")) as ActionFile;

export interface StepRun {
  code: number | null;
  output: string;
  outputs: Record<string, string>;
}

export interface StepOptions {
  workspace: string;
  runnerTemp: string;
  inputs?: Record<string, string>;
  /** The runner's and the workflow's variables (GITHUB_*, RUNNER_*…). */
  env?: Record<string, string>;
}

/** The inputs as the runner gives a composite action: every input, defaults filled in. */
function inputsOf(action: ActionFile, given: Record<string, string>, token: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, input] of Object.entries(action.inputs)) {
    const value = given[name] ?? input.default ?? "";
    out[name] = value === expr("github.token") ? token : value;
  }
  return out;
}

function evaluate(value: string, inputs: Record<string, string>): string {
  if (value === expr("toJSON(inputs)")) return JSON.stringify(inputs);
  if (value.includes("${{")) throw new Error(`the test runner does not evaluate ${value}`);
  return value;
}

/** GITHUB_OUTPUT as a shell writes it (`name=value` lines) and as @actions/core does (`name<<delimiter` blocks). */
function stepOutputs(text: string): Record<string, string> {
  const lines = Object.fromEntries(
    text
      .split("\n")
      .filter((l) => /^[\w-]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  return { ...lines, ...parseOutputs(text) };
}

export function runCompositeStep(id: string, o: StepOptions): Promise<StepRun> {
  const action = actionFile();
  const step = action.runs.steps.find((s) => s.id === id);
  if (!step?.run) throw new Error(`action.yml has no run step ${id}`);
  const token = o.env?.GITHUB_TOKEN ?? "";
  const inputs = inputsOf(action, o.inputs ?? {}, token);
  mkdirSync(o.runnerTemp, { recursive: true });
  const outputFile = path.join(o.runnerTemp, `output-${id}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(outputFile, "");
  const stepEnv = Object.fromEntries(
    Object.entries(step.env ?? {}).map(([k, v]) => [k, evaluate(v, inputs)]),
  );
  const cwd = step["working-directory"] === expr("github.action_path") ? ACTION_ROOT : o.workspace;
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    GITHUB_ACTION_PATH: ACTION_ROOT,
    GITHUB_WORKSPACE: o.workspace,
    GITHUB_OUTPUT: outputFile,
    RUNNER_TEMP: o.runnerTemp,
    RUNNER_OS: "Linux",
    RUNNER_ARCH: "X64",
    ...o.env,
    ...stepEnv,
  };
  return new Promise((resolve) => {
    const child = spawn("bash", ["-e", "-c", step.run as string], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.on("close", (code) =>
      resolve({ code, output, outputs: stepOutputs(readFileSync(outputFile, "utf8")) }),
    );
  });
}

/** The variables a runner sets for a pull request's job, at the stand-in. */
export function pullRequestRunEnv(dir: string, number: number, apiUrl: string): Record<string, string> {
  const event = path.join(dir, `event-${number}.json`);
  const summary = path.join(dir, `summary-${number}.md`);
  writeFileSync(event, JSON.stringify(pullRequestEvent(number, HEAD_SHA)));
  writeFileSync(summary, "");
  return {
    GITHUB_ACTIONS: "true",
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_EVENT_NAME: "pull_request",
    GITHUB_EVENT_PATH: event,
    GITHUB_SHA: HEAD_SHA,
    GITHUB_API_URL: apiUrl,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_RUN_ID: "77",
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_TOKEN: TOKEN,
    MAILOPS_TARGET: "local",
  };
}
