/**
 * The GitHub Action entry (action.yml): reads inputs, runs one flow, maps errors to a failed step.
 * `run` takes the replaceable edges so tests can pin time, the target and GitHub's services.
 */
import * as core from "@actions/core";
import { type ArtifactUploader, actionsArtifactUploader } from "./action/artifacts.js";
import { exposeInputs, nextStepUploader, uploadsInNextStep } from "./action/composite.js";
import { actionObserver } from "./action/events.js";
import { failureMessage, failureSummary, remedy } from "./action/failure.js";
import { type FlowContext, runUrl } from "./action/flows/context.js";
import { deployFlow } from "./action/flows/deploy.js";
import { driftFlow } from "./action/flows/drift.js";
import { prFlow } from "./action/flows/pr.js";
import { sendFlow } from "./action/flows/send.js";
import { type GitHubApi, octokitApi } from "./action/github-api.js";
import { type ActionCommand, readGitHubEnv, readInputs } from "./action/inputs.js";
import {
  appendJobSummary,
  startJobSummary,
  writeJobSummary,
  writtenJobSummary,
} from "./action/job-summary.js";
import type { TargetFactory } from "./commands/context.js";
import { openSession } from "./commands/session.js";
import { MailopsError } from "./errors.js";
import type { Io } from "./present/io.js";
import { type Clock, systemClock } from "./util/clock.js";

export interface ActionDeps {
  /** The run's time: what is due, and how time passes while sending (the lock's wait, pacing). */
  clock?: Clock;
  targetFactory?: TargetFactory;
  artifacts?: ArtifactUploader;
  api?: GitHubApi;
}

const FLOWS: Record<ActionCommand, (ctx: FlowContext) => Promise<void>> = {
  pr: prFlow,
  deploy: deployFlow,
  send: sendFlow,
  drift: driftFlow,
};

const io: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  // An annotation on the run: seen without opening the log.
  warn: (text) => core.warning(text),
};

export async function run(deps: ActionDeps = {}): Promise<void> {
  startJobSummary();
  let command: ActionCommand | undefined;
  let workingDirectory: string | undefined;
  try {
    exposeInputs(process.env);
    const gh = readGitHubEnv();
    workingDirectory = core.getInput("working-directory").trim() || undefined;
    const inputs = readInputs(gh.workspace);
    command = inputs.command;
    let api = deps.api;
    const clock = deps.clock ?? systemClock;
    const ctx: FlowContext = {
      inputs,
      gh,
      io,
      clock,
      session: (validated, o = {}) =>
        openSession({
          project: validated.project,
          target: inputs.target,
          observe: actionObserver(io),
          clock,
          ...(deps.targetFactory ? { factory: deps.targetFactory } : {}),
          ...(o.offline ? { offline: true } : {}),
        }),
      artifacts:
        deps.artifacts ??
        (uploadsInNextStep(process.env) ? nextStepUploader(runUrl(gh)) : actionsArtifactUploader(gh)),
      api: () => {
        api ??= octokitApi({ token: inputs.token, baseUrl: gh.apiUrl, owner: gh.owner, repo: gh.repo });
        return api;
      },
    };
    await FLOWS[inputs.command](ctx);
  } catch (e) {
    await reportFailure(command, e, workingDirectory);
  }
}

/**
 * Every failure leaves a job summary saying what failed and what to do: written here when the flow
 * wrote none, added below the flow's own when that does not already tell it.
 */
async function reportFailure(
  command: ActionCommand | undefined,
  e: unknown,
  workingDirectory: string | undefined,
): Promise<void> {
  try {
    const written = writtenJobSummary();
    const told = written !== undefined && e instanceof MailopsError && written.includes(e.message);
    if (written === undefined) await writeJobSummary(failureSummary(command, e, workingDirectory));
    else if (!told) await appendJobSummary(failureSummary(command, e, workingDirectory));
  } catch (summaryError) {
    core.warning(`could not write the job summary: ${(summaryError as Error).message}`);
  }
  if (e instanceof MailopsError) {
    const todo = command ? remedy(command, e, workingDirectory) : e.hint;
    core.setFailed(`${failureMessage(e)}${todo ? `\nhint: ${todo}` : ""}`);
    return;
  }
  core.setFailed(`internal error (please report it): ${(e as Error)?.stack ?? String(e)}`);
}
