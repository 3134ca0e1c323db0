/** What every flow gets: inputs, the GitHub environment, and the replaceable edges (time, target, GitHub). */
import * as core from "@actions/core";
import type { Session } from "../../commands/session.js";
import { type ValidateResult, validateProject } from "../../commands/validate.js";
import { UsageError, ValidationFailedError } from "../../errors.js";
import type { Io } from "../../present/io.js";
import type { Clock } from "../../util/clock.js";
import { findingsFrom } from "../../util/finding-paths.js";
import { annotate } from "../annotations.js";
import type { ArtifactUploader } from "../artifacts.js";
import { actionHint } from "../failure.js";
import type { GitHubApi } from "../github-api.js";
import type { GitHubEnv, Inputs } from "../inputs.js";
import { findingsSection, writeJobSummary } from "../job-summary.js";

export interface FlowContext {
  inputs: Inputs;
  gh: GitHubEnv;
  io: Io;
  /** The run's time: what is due, the plan's time, and how time passes while sending. */
  clock: Clock;
  /**
   * The session of this flow on the project validated: the target of the `target` input, the
   * state store, the clock, the output. `offline` (a fork's pull request) reads nothing live.
   */
  session: (validated: ValidateResult, options?: { offline?: boolean }) => Session;
  artifacts: ArtifactUploader;
  /** Created on first use: commands that never call GitHub need no token. */
  api: () => GitHubApi;
}

/**
 * Validate, with findings as annotations. The findings' paths are from the workspace, as GitHub
 * places annotations, whatever the working directory; the flows that act stop on errors.
 */
export function validateStep(ctx: FlowContext): ValidateResult {
  const result = validateProject(ctx.inputs.dir);
  const findings = findingsFrom(result.findings, ctx.gh.workspace, ctx.inputs.dir).map((f) =>
    f.hint ? { ...f, hint: actionHint(f.hint) } : f,
  );
  annotate(findings);
  return { ...result, findings };
}

/**
 * The opening of the flows that act: validate, and on errors write the job summary (the heading
 * for the project, by its name, then every finding) and stop. Returns the flow's session on the
 * project and the heading line.
 */
export async function validatedSession(
  ctx: FlowContext,
  heading: (project: string) => string,
  fullAt?: string,
): Promise<{ session: Session; heading: string }> {
  const validation = validateStep(ctx);
  const head = heading(validation.project.settings.project);
  if (validation.errors > 0) {
    await writeJobSummary(
      `${head}\n\n${findingsSection(validation.findings, validation.project.fileCount)}`,
      fullAt,
    );
    const n = validation.errors;
    throw new ValidationFailedError(
      `the repository has ${n} validation error${n === 1 ? "" : "s"}`,
      "they are annotated on the files and listed in the job summary",
    );
  }
  return { session: ctx.session(validation), heading: head };
}

/**
 * A runner's disk is gone after the job: sending to real recipients with the inventory and ledger
 * kept there would forget every run and send again next time; planning against it (pr, drift)
 * would compare with an empty inventory on every fresh runner. The local target only writes files
 * on that same disk, so it may keep local state.
 */
export function assertDurableState(session: Session, use: "send" | "plan" = "send"): void {
  const state = session.project.settings.state;
  if (session.targetName === "aws" && !state.startsWith("s3://")) {
    const lost =
      use === "send"
        ? "the send ledger would be lost and campaigns sent again"
        : "this plan would read an empty inventory (what mailops applied) on every fresh runner, and show what it manages as unmanaged or new";
    throw new UsageError(
      `the state store is \`${state}\`, on this job's disk, which GitHub discards after the job: ${lost}`,
      "set `state: s3://BUCKET/PREFIX` in mailops.yaml (see docs/github-setup.md)",
    );
  }
}

export function setOutputs(values: Record<string, string | number | boolean>): void {
  for (const [name, value] of Object.entries(values)) core.setOutput(name, String(value));
}

export const runUrl = (gh: GitHubEnv) => `${gh.serverUrl}/${gh.owner}/${gh.repo}/actions/runs/${gh.runId}`;
