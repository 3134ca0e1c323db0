/**
 * `deploy` (a push to main): validate, then `deploy` from commands/deploy.ts (plan, apply, send
 * what is due), reporting each step in the job summary as it completes. The summary says whether
 * the plan applied is the one reviewed in the merged pull request's comment.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import * as core from "@actions/core";
import { failureError, formatOutcome } from "../../commands/apply.js";
import { targetName } from "../../commands/context.js";
import { type DeployResult, type DeployStep, deploy } from "../../commands/deploy.js";
import { writePlanFile } from "../../commands/plan-apply.js";
import { sendFailed } from "../../commands/send.js";
import { formatPlanMarkdown } from "../../plan/format/markdown.js";
import type { Plan } from "../../plan/plan.js";
import { LockedError } from "../../send/lock.js";
import { fenced } from "../../util/markdown.js";
import { writeJobSummary } from "../job-summary.js";
import { code } from "../markdown.js";
import { type MarkerData, planChecksum } from "../marker.js";
import { lockedNote, sendResultsSection, sendTotals } from "../send-report.js";
import { resolveAuthor, reviewedMarker } from "../sticky-comment.js";
import { assertDurableState, type FlowContext, setOutputs, validatedProject } from "./context.js";

export async function deployFlow(ctx: FlowContext): Promise<void> {
  const fullAt = "the job log";
  const { project, heading } = await validatedProject(
    ctx,
    (p) => `### 🚀 mailops deploy · ${code(p.settings.project)}`,
    fullAt,
  );
  const parts: string[] = [heading, ""];
  const finish = () => writeJobSummary(parts.join("\n"), fullAt);
  const name = targetName(project, ctx.inputs.target);
  assertDurableState(project, name);
  let plan: Plan | undefined;
  let applied = false;
  const report = async (s: DeployStep) => {
    if (s.step === "plan") {
      plan = s.plan;
      setOutputs({ "has-changes": s.plan.changes.length > 0, "plan-path": writePlan(ctx, s.plan) });
      parts.push(await reviewSection(ctx, s.plan), "");
    } else if (s.step === "apply") {
      applied = true;
      ctx.io.out(`apply:\n${formatOutcome(s.outcome)}`);
      parts.push("#### Applied", "", fenced("text", formatOutcome(s.outcome).trimEnd()), "");
      if (plan?.changes.length)
        parts.push(
          "<details><summary>Plan details</summary>",
          "",
          formatPlanMarkdown(plan, { limit: 200_000 }),
          "</details>",
          "",
        );
    }
  };
  let result: DeployResult;
  try {
    result = await deploy(
      project,
      { target: name, now: ctx.now(), force: false, onStep: report },
      ctx.io,
      ctx.targetFactory,
    );
  } catch (e) {
    // A blocked or conflicting plan is refused before anything is applied: the summary shows what
    // was refused. (Not `instanceof ApplyRefusedError`: applyPlan throws that mid-apply too.)
    if (plan && (plan.blocked.length > 0 || plan.conflicts.length > 0)) {
      parts.push("#### Plan (not applied)", "", formatPlanMarkdown(plan, { limit: Number.MAX_SAFE_INTEGER }));
      await finish();
      throw e;
    }
    if (!(applied && e instanceof LockedError)) throw e;
    // The scheduled send is running: it, or the next one, sends what this deploy made due.
    parts.push("#### Sends", "", `⏳ ${lockedNote(e)}`, "");
    core.warning(lockedNote(e));
    setOutputs({ sent: 0, failed: 0 });
    await finish();
    return;
  }
  const failure = failureError(result.outcome);
  if (failure) {
    await finish();
    throw failure;
  }
  parts.push(sendResultsSection(result.results));
  const totals = sendTotals(result.results);
  setOutputs({ sent: totals.sent, failed: totals.failed });
  await finish();
  if (sendFailed(result.results))
    core.setFailed("some campaigns were not sent completely: see the job summary");
}

function writePlan(ctx: FlowContext, plan: Plan): string {
  const dir = path.join(ctx.gh.runnerTemp, "mailops-deploy");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "plan.json");
  writePlanFile(file, plan);
  return file;
}

/** Compares this plan with the one commented on the merged pull request (by checksum, not text). */
async function reviewSection(ctx: FlowContext, plan: Plan): Promise<string> {
  const checksum = planChecksum(plan);
  const mine = `\`${checksum.slice(0, 12)}\``;
  let pr: number | undefined;
  let marker: MarkerData | undefined;
  try {
    const api = ctx.api();
    const pulls = await api.pullsForCommit(ctx.gh.sha);
    const merged =
      pulls.find((p) => p.mergeCommitSha === ctx.gh.sha) ?? pulls.find((p) => p.mergedAt !== null);
    pr = merged?.number;
    if (pr !== undefined)
      marker = await reviewedMarker(api, pr, await resolveAuthor(api, ctx.inputs.commentAuthor));
  } catch (e) {
    core.warning(`could not read the merged pull request's plan comment: ${(e as Error).message}`);
    return `ℹ️ Could not check this plan against the reviewed one (${(e as Error).message}). Plan checksum ${mine}.`;
  }
  if (pr === undefined)
    return `ℹ️ No merged pull request for ${ctx.gh.sha.slice(0, 7)}: this push was not reviewed through a plan comment. Plan checksum ${mine}.`;
  if (!marker)
    return `ℹ️ Pull request #${pr} has no mailops plan comment to compare with. Plan checksum ${mine}.`;
  if (marker.checksum === "none")
    return `⚠️ The last plan comment on pull request #${pr} has no plan (validation or planning failed for ${marker.sha.slice(0, 7)}): this plan was not reviewed. Plan checksum ${mine}.`;
  if (marker.mode === "desired-only")
    return `ℹ️ Pull request #${pr} came from a fork and was planned against the desired state only: compare the changes below with its comment. Plan checksum ${mine}.`;
  if (marker.checksum === checksum)
    return `✅ The plan matches the one reviewed on pull request #${pr} (checksum ${mine}).`;
  const text = `the plan differs from the one last commented on pull request #${pr} (reviewed \`${marker.checksum.slice(0, 12)}\`, applied ${mine}): main or the live SES state changed after the review`;
  core.warning(text);
  return `⚠️ **Plan changed since review:** ${text}. The changes applied are listed below.`;
}
