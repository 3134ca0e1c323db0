/** The action's inputs (action.yml) and the facts GitHub puts in the environment of a step. */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as core from "@actions/core";
import { UsageError } from "../errors.js";

export const COMMANDS = ["pr", "deploy", "send", "drift"] as const;
export type ActionCommand = (typeof COMMANDS)[number];

export interface Inputs {
  command: ActionCommand;
  token: string;
  /** The project root, absolute. */
  dir: string;
  target?: string;
  campaign?: string;
  commentAuthor?: string;
  /** deploy: apply although the plan blocks deletes over guardrails.max_delete_percent. */
  force: boolean;
  /** send with `campaign`: send it although its send_at has not come. */
  sendEarly: boolean;
  /** deploy, send: go on although the state store appears lost (commands/lost-state.ts). */
  stateLostOk: boolean;
}

export interface PullRequestEvent {
  number: number;
  headSha: string;
  /** The head repository is not the base repository (or was deleted): the run has no secrets. */
  fork: boolean;
}

export interface GitHubEnv {
  /** Where paths in annotations are relative to. */
  workspace: string;
  owner: string;
  repo: string;
  apiUrl: string;
  serverUrl: string;
  runId: string;
  runAttempt: string;
  sha: string;
  eventName: string;
  /** Scratch space for files the job keeps (plan, previews). */
  runnerTemp: string;
  pullRequest?: PullRequestEvent;
}

const env = (name: string): string | undefined => process.env[name] || undefined;

export function readGitHubEnv(): GitHubEnv {
  const [owner = "", repo = ""] = (env("GITHUB_REPOSITORY") ?? "/").split("/");
  const event = readEvent(env("GITHUB_EVENT_PATH"));
  const workspace = path.resolve(env("GITHUB_WORKSPACE") ?? process.cwd());
  return {
    workspace,
    owner,
    repo,
    apiUrl: env("GITHUB_API_URL") ?? "https://api.github.com",
    serverUrl: env("GITHUB_SERVER_URL") ?? "https://github.com",
    runId: env("GITHUB_RUN_ID") ?? "0",
    runAttempt: env("GITHUB_RUN_ATTEMPT") ?? "1",
    sha: env("GITHUB_SHA") ?? "",
    eventName: env("GITHUB_EVENT_NAME") ?? "",
    runnerTemp: env("RUNNER_TEMP") ?? tmpdir(),
    ...(event ? pullRequestOf(event, `${owner}/${repo}`) : {}),
  };
}

function readEvent(file: string | undefined): Record<string, unknown> | undefined {
  if (!file) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

interface RawPull {
  number?: number;
  head?: { sha?: string; repo?: { full_name?: string } | null };
  base?: { repo?: { full_name?: string } };
}

function pullRequestOf(
  event: Record<string, unknown>,
  repository: string,
): { pullRequest?: PullRequestEvent } {
  const pr = event.pull_request as RawPull | undefined;
  if (!pr || typeof pr.number !== "number") return {};
  const base = pr.base?.repo?.full_name ?? repository;
  // Compare names rather than `head.repo.fork`: in a repository that is itself a fork, every PR's head is a fork.
  const head = pr.head?.repo?.full_name;
  return {
    pullRequest: {
      number: pr.number,
      headSha: pr.head?.sha ?? "",
      fork: head === undefined || head !== base,
    },
  };
}

export function readInputs(workspace: string): Inputs {
  const command = core.getInput("command", { required: true }).trim();
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(
      `unknown command \`${command}\``,
      `set the action's \`command\` to one of: ${COMMANDS.join(", ")}`,
    );
  }
  const optional = (name: string) => core.getInput(name).trim() || undefined;
  return {
    command: command as ActionCommand,
    token: core.getInput("github-token"),
    dir: path.resolve(workspace, optional("working-directory") ?? "."),
    target: optional("target"),
    campaign: optional("campaign"),
    commentAuthor: optional("comment-author"),
    stateLostOk: booleanInput("state-lost-ok"),
    sendEarly: booleanInput("send-early"),
    force: booleanInput("force"),
  };
}

/** `true` or `false` (any case), empty meaning false; anything else is a mistake worth stopping for. */
function booleanInput(name: string): boolean {
  const value = core.getInput(name).trim().toLowerCase();
  if (value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new UsageError(`the input \`${name}\` is \`${value}\``, `set \`${name}\` to true or false`);
}
