/** `drift` (daily): plan against live state; any difference fails the job with the plan in the summary. */
import * as core from "@actions/core";
import { checkDrift } from "../../commands/drift.js";
import { makePlan } from "../../commands/plan.js";
import { formatPlanMarkdown } from "../../present/plan/markdown.js";
import { summary as planSummary } from "../../present/plan/text.js";
import { escapeMd } from "../../util/markdown.js";
import { announceSetup, awaitingSetup } from "../adoption.js";
import { writeJobSummary } from "../job-summary.js";
import { code } from "../markdown.js";
import { assertDurableState, type FlowContext, setOutputs, validatedSession } from "./context.js";

export async function driftFlow(ctx: FlowContext): Promise<void> {
  const { session, heading } = await validatedSession(
    ctx,
    (project) => `### 🧭 mailops drift check · ${code(project)}`,
  );
  if (awaitingSetup(session.targetName, ctx.inputs.target)) {
    // Nothing live to compare with: the plan shows what the repository holds, and no drift is claimed.
    const { plan } = await makePlan(session, { force: false });
    setOutputs({ "has-changes": false });
    await writeJobSummary(
      `${heading}\n\n${announceSetup("drift")}\n${escapeMd(planSummary(plan))} (against the runner's empty disk)\n`,
    );
    return;
  }
  assertDurableState(session, "plan");
  const { plan, drifted } = await checkDrift(session);
  setOutputs({ "has-changes": drifted });
  if (!drifted) {
    await writeJobSummary(`${heading}\n\n✅ ${escapeMd(planSummary(plan))}\n`);
    return;
  }
  await writeJobSummary(
    `${heading}\n\n❌ **Drift:** live state no longer matches main. Either someone changed SES or CloudWatch by hand (run the deploy workflow to restore the repository's state) or the change is wanted (put it in the repository).\n\n${formatPlanMarkdown(plan, { limit: Number.MAX_SAFE_INTEGER })}`,
  );
  core.setFailed(`drift: ${planSummary(plan)}`);
}
