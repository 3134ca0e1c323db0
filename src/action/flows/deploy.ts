/**
 * `deploy` (a push to main): validate, then `deploy` from commands/deploy.ts (plan, apply, send
 * what is due), reporting each step in the job summary as it completes. The summary says whether
 * the plan applied is the one reviewed in the merged pull request's comment.
 */
import path from "node:path";
import * as core from "@actions/core";
import { failureError } from "../../commands/apply.js";
import {
  type DeployStep,
  deploy,
  planIdentity,
  type Review,
  type ReviewedPlan,
} from "../../commands/deploy.js";
import { type Plan, planToFile, savePlan } from "../../commands/plan.js";
import { sendFailed } from "../../commands/send.js";
import { formatOutcome } from "../../present/apply.js";
import { formatPlanMarkdown } from "../../present/plan/markdown.js";
import { escapeMd, fenced } from "../../util/markdown.js";
import { announceSetup, awaitingSetup } from "../adoption.js";
import { actionHint } from "../failure.js";
import { writeJobSummary } from "../job-summary.js";
import { code } from "../markdown.js";
import type { MarkerData } from "../marker.js";
import { comingSendsSection, lockedNote, sendResultsSection, sendTotals } from "../send-report.js";
import { resolveAuthor, reviewedMarker } from "../sticky-comment.js";
import { assertDurableState, type FlowContext, setOutputs, validatedSession } from "./context.js";

export async function deployFlow(ctx: FlowContext): Promise<void> {
  const fullAt = "the job log";
  const { session, heading } = await validatedSession(
    ctx,
    (project) => `### 🚀 mailops deploy · ${code(project)}`,
    fullAt,
  );
  const { project } = session;
  const parts: string[] = [heading, ""];
  const finish = () => writeJobSummary(parts.join("\n"), fullAt);
  if (awaitingSetup(session.targetName, ctx.inputs.target)) {
    // Planned against the runner's empty disk: what a first deploy to AWS would create.
    const { plan, file } = await planToFile(session, planFile(ctx));
    setOutputs({
      "has-changes": plan.changes.length > 0,
      "plan-path": file,
      sent: 0,
      failed: 0,
    });
    parts.push(
      announceSetup("deploy"),
      "#### Plan (not applied)",
      "",
      formatPlanMarkdown(plan, { limit: 200_000 }),
    );
    await finish();
    return;
  }
  assertDurableState(session);
  const required = project.settings.guardrails.requireReviewedPlan;
  let plan: Plan | undefined;
  const report = async (s: DeployStep) => {
    if (s.step === "plan") {
      plan = s.plan;
      setOutputs({ "has-changes": s.plan.changes.length > 0, "plan-path": savePlan(s.plan, planFile(ctx)) });
      if (s.review) parts.push(reviewSection(s.review, s.plan, required), "");
    } else if (s.step === "apply") {
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
  const result = await deploy(session, {
    // The `force` input: a manual run of the Deploy workflow, in the production environment.
    force: ctx.inputs.force,
    ...(ctx.inputs.stateLostOk ? { stateLostOk: true } : {}),
    reviewed: () => reviewedPlan(ctx),
    onStep: report,
  });
  if (result.locked) {
    // The scheduled send is running: it, or the next one, sends what this deploy made due.
    parts.push("#### Sends", "", `⏳ ${lockedNote(result.locked)}`, "");
    core.warning(lockedNote(result.locked, false));
    setOutputs({ sent: 0, failed: 0 });
    await finish();
    return;
  }
  if (result.refused) {
    // Refused before anything was applied: the summary shows what was refused.
    parts.push(
      "#### Plan (not applied)",
      "",
      formatPlanMarkdown(result.plan, { limit: Number.MAX_SAFE_INTEGER }),
    );
    const r = result.refused;
    const todo = r.hint ? actionHint(r.hint) : undefined;
    if (todo) parts.push("", `**What to do:** ${todo}.`, "");
    await finish();
    core.setFailed(
      [r.message, ...r.details.map((d) => `- ${d}`), ...(todo ? [`hint: ${todo}`] : [])].join("\n"),
    );
    return;
  }
  const failure = failureError(result.outcome);
  if (failure) {
    await finish();
    throw failure;
  }
  parts.push(sendResultsSection(result.results));
  const coming = comingSendsSection(result.results, (c) => project.campaigns.get(c)?.to ?? [], session.now());
  if (coming) parts.push(coming);
  const totals = sendTotals(result.results);
  setOutputs({ sent: totals.sent, failed: totals.failed });
  await finish();
  if (sendFailed(result.results))
    core.setFailed("some campaigns were not sent completely: see the job summary");
}

/** Where the plan applied is written: the `plan-path` output. */
const planFile = (ctx: FlowContext) => path.join(ctx.gh.runnerTemp, "mailops-deploy", "plan.json");

/** The plan commented on the merged pull request, by the bot (its marker), or why there is none. */
async function reviewedPlan(ctx: FlowContext): Promise<ReviewedPlan> {
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
    return {
      found: false,
      why: `could not read the merged pull request's plan comment (${(e as Error).message})`,
    };
  }
  if (pr === undefined)
    return {
      found: false,
      why: `no merged pull request for ${ctx.gh.sha.slice(0, 7)}: this push was not reviewed through a plan comment`,
    };
  const by = `pull request #${pr}`;
  if (!marker) return { found: false, why: `${by} has no mailops plan comment to compare with` };
  if (marker.checksum === "none")
    return {
      found: false,
      why: `the last plan comment on ${by} has no plan (validation or planning failed for ${marker.sha.slice(0, 7)})`,
    };
  if (marker.mode === "desired-only")
    return {
      found: false,
      why: `${by} came from a fork and was planned against the desired state only, without live state`,
    };
  return {
    found: true,
    by,
    checksum: marker.checksum,
    ...(marker.changes ? { changes: marker.changes } : {}),
  };
}

/** The summary's review line; under guardrails.require_reviewed_plan anything but a match refuses. */
function reviewSection(review: Review, plan: Plan, required: boolean): string {
  const mine = `\`${planIdentity(plan).checksum.slice(0, 12)}\``;
  if (review.state === "matches")
    return `✅ The plan matches the one reviewed on ${review.by} (checksum ${mine}).`;
  if (review.state === "differs") {
    const list = review.differences.map((d) => `- ${escapeMd(d)}`).join("\n");
    const text = `the plan differs from the one last commented on ${review.by} (applied ${mine}): main or the live SES state changed after the review`;
    if (required)
      return `⛔ **Refused (guardrails.require_reviewed_plan):** ${text}. Nothing was applied or sent. What differs:\n\n${list}`;
    core.warning(text);
    return `⚠️ **Plan changed since review:** ${text}. The changes applied are listed below. What differs:\n\n${list}`;
  }
  if (required)
    return `⛔ **Refused (guardrails.require_reviewed_plan):** there is no reviewed plan to compare with: ${escapeMd(review.why)}. Nothing was applied or sent. Plan checksum ${mine}.`;
  const why = escapeMd(review.why);
  return `ℹ️ ${why.charAt(0).toUpperCase()}${why.slice(1)}: not compared with a reviewed plan. Plan checksum ${mine}.`;
}
