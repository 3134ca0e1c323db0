/**
 * What differs when action.yml runs as a composite action (it installs and builds itself, then
 * runs dist/action/index.js in a `run` step) from a JavaScript action's process:
 * - a composite's steps get no INPUT_* variables: the step passes `toJSON(inputs)` in
 *   MAILOPS_ACTION_INPUTS, made INPUT_* here as the runner makes them for a JavaScript action;
 * - a `run` step gets no token for the artifact service (actions/runner#3046): the flow names the
 *   artifact and its files in step outputs, and action.yml's next step (actions/upload-artifact)
 *   uploads them. The comment then links the run page's artifact list.
 */
import * as core from "@actions/core";
import type { ArtifactUploader } from "./artifacts.js";

export const INPUTS_ENV = "MAILOPS_ACTION_INPUTS";
export const ARTIFACTS_ENV = "MAILOPS_ARTIFACTS";

/** Sets INPUT_<NAME> (as @actions/core's getInput reads it) for each input in MAILOPS_ACTION_INPUTS. */
export function exposeInputs(env: NodeJS.ProcessEnv): void {
  const json = env[INPUTS_ENV];
  if (!json) return;
  const inputs = JSON.parse(json) as Record<string, unknown>;
  for (const [name, value] of Object.entries(inputs)) {
    env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] =
      value === null || value === undefined ? "" : String(value);
  }
}

/** Whether action.yml's step after this one uploads the artifact. */
export const uploadsInNextStep = (env: NodeJS.ProcessEnv): boolean => env[ARTIFACTS_ENV] === "upload-step";

/** Hands the upload to action.yml's upload-artifact step: its name and files as this step's outputs. */
export function nextStepUploader(runUrl: string): ArtifactUploader {
  return {
    async upload(name, _root, files) {
      core.setOutput("artifact-name", name);
      core.setOutput("artifact-files", files.join("\n"));
      return { url: `${runUrl}#artifacts` };
    },
  };
}
