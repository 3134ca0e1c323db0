/**
 * The GitHub Action entry (action.yml): reads inputs, runs one flow, maps errors to a failed step.
 * `run` takes the replaceable edges so tests can pin time, the target and GitHub's services.
 */
import * as core from "@actions/core";
import { type ArtifactUploader, actionsArtifactUploader } from "./action/artifacts.js";
import type { FlowContext } from "./action/flows/context.js";
import { deployFlow } from "./action/flows/deploy.js";
import { driftFlow } from "./action/flows/drift.js";
import { prFlow } from "./action/flows/pr.js";
import { sendFlow } from "./action/flows/send.js";
import { type GitHubApi, octokitApi } from "./action/github-api.js";
import { type ActionCommand, readGitHubEnv, readInputs } from "./action/inputs.js";
import { type Io, openTarget, type TargetFactory } from "./commands/context.js";
import { MailopsError } from "./errors.js";
import type { Clock } from "./util/clock.js";

export interface ActionDeps {
  now?: () => Date;
  /** How time passes while sending (the send lock's wait, pacing): simulated in tests. */
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
  try {
    const gh = readGitHubEnv();
    const inputs = readInputs(gh.workspace);
    let api = deps.api;
    const ctx: FlowContext = {
      inputs,
      gh,
      io,
      now: deps.now ?? (() => new Date()),
      ...(deps.clock ? { clock: deps.clock } : {}),
      targetFactory: deps.targetFactory ?? openTarget,
      artifacts: deps.artifacts ?? actionsArtifactUploader(gh),
      api: () => {
        api ??= octokitApi({ token: inputs.token, baseUrl: gh.apiUrl, owner: gh.owner, repo: gh.repo });
        return api;
      },
    };
    await FLOWS[inputs.command](ctx);
  } catch (e) {
    if (e instanceof MailopsError) {
      core.setFailed(`${e.message}${e.hint ? `\nhint: ${e.hint}` : ""}`);
      return;
    }
    core.setFailed(`internal error (please report it): ${(e as Error)?.stack ?? String(e)}`);
  }
}
