/** `drift` (daily): plan against live state; any difference fails the job with the plan in the summary. */
import * as core from "@actions/core";
import { projectStore, targetName } from "../../commands/context.js";
import { makePlan } from "../../commands/plan.js";
import { formatPlanMarkdown } from "../../plan/format/markdown.js";
import { summary as planSummary } from "../../plan/format/text.js";
import { escapeMd } from "../../util/markdown.js";
import { findingsSection, writeJobSummary } from "../job-summary.js";
import { code } from "../markdown.js";
import { assertValid, type FlowContext, setOutputs, validateStep } from "./context.js";

export async function driftFlow(ctx: FlowContext): Promise<void> {
  const validation = validateStep(ctx);
  const project = validation.project;
  const head = `### 🧭 mailops drift check · ${code(project.settings.project)}\n`;
  if (validation.errors > 0) {
    await writeJobSummary(
      `${head}\n${findingsSection(validation.findings, project.fileCount, ctx.gh.workspace, ctx.inputs.dir)}`,
    );
    assertValid(validation);
  }
  const target = await ctx.targetFactory(targetName(project, ctx.inputs.target), project);
  const { plan } = await makePlan(project, target, projectStore(project), { force: false, now: ctx.now() });
  // The same rule as `plan --detailed-exitcode`: changes or unmanaged conflicts count as drift.
  const drift = plan.changes.length > 0 || plan.conflicts.length > 0;
  setOutputs({ "has-changes": drift });
  if (!drift) {
    await writeJobSummary(`${head}\n✅ ${escapeMd(planSummary(plan))}\n`);
    return;
  }
  await writeJobSummary(
    `${head}\n❌ **Drift:** live state no longer matches main. Either someone changed SES or CloudWatch by hand (run the deploy workflow to restore the repository's state) or the change is wanted (put it in the repository).\n\n${formatPlanMarkdown(plan, { limit: Number.MAX_SAFE_INTEGER })}`,
  );
  core.setFailed(`drift: ${planSummary(plan)}`);
}
