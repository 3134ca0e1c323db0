/**
 * `pr`: validate, plan, forecast the sends, preview the templates, then one sticky comment and the job summary.
 * A fork's run has no secrets: it plans against the desired state only and says so.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as core from "@actions/core";
import { planToFile } from "../../commands/plan.js";
import { previewTemplateChanges } from "../../commands/preview.js";
import { forecastSends } from "../../commands/send-forecast.js";
import type { Session } from "../../commands/session.js";
import { MailopsError, UsageError } from "../../errors.js";
import { formatPlanMarkdown } from "../../present/plan/markdown.js";
import { escapeMd } from "../../util/markdown.js";
import type { UploadedArtifact } from "../artifacts.js";
import { remedy } from "../failure.js";
import { writeJobSummary } from "../job-summary.js";
import { commentBody, type PrReport, summaryBody } from "../pr-report.js";
import { resolveAuthor, upsertSticky } from "../sticky-comment.js";
import { templatePreviews } from "../template-previews.js";
import { assertDurableState, type FlowContext, runUrl, setOutputs, validateStep } from "./context.js";

export async function prFlow(ctx: FlowContext): Promise<void> {
  const pr = ctx.gh.pullRequest;
  if (!pr) {
    throw new UsageError(
      "`command: pr` needs a pull_request event: the event payload has no pull request",
      "run it from a workflow triggered by `pull_request`",
    );
  }
  const validation = validateStep(ctx);
  const project = validation.project;
  // A fork's run has no secrets: its session reads nothing live.
  const session = ctx.session(validation, { offline: pr.fork });
  const outDir = path.join(ctx.gh.runnerTemp, `mailops-pr-${pr.number}`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const report: PrReport = {
    project: project.settings.project,
    target: safeTargetName(session, ctx.inputs.target),
    sha: pr.headSha || ctx.gh.sha,
    fork: pr.fork,
    findings: validation.findings,
    fileCount: project.fileCount,
    sends: [],
    templates: [],
    artifactName: `mailops-plan-pr-${pr.number}-attempt-${ctx.gh.runAttempt}`,
    runUrl: runUrl(ctx.gh),
    plannedAt: session.now().toISOString(),
  };

  let failure: unknown;
  let changed = false;
  if (validation.errors === 0) {
    try {
      changed = await planInto(report, session, outDir);
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      failure = e;
      report.failure = {
        message: e.message,
        ...(e instanceof MailopsError && e.hint ? { hint: remedy("pr", e) } : {}),
      };
    }
  }
  if (report.plan) await uploadInto(report, ctx, outDir);

  const posted = await comment(report, ctx, pr.number, pr.fork);
  await writeJobSummary(summaryBody(report, posted.line), "the artifact");
  if (report.plan) {
    setOutputs({
      "has-changes": changed,
      "plan-path": path.join(outDir, "plan.json"),
    });
  }
  if (failure) throw failure;
  if (posted.error) throw posted.error;
  if (validation.errors > 0) {
    core.setFailed(
      `validation failed: ${validation.errors} error${validation.errors === 1 ? "" : "s"} (annotated on the files; all in the job summary)`,
    );
  }
}

function safeTargetName(session: Session, flag: string | undefined): string {
  try {
    return session.targetName;
  } catch {
    return flag ?? session.project.settings.target;
  }
}

/** The plan, its sends and templates into the report, and the plan's files into `outDir`; whether it changes anything. */
async function planInto(report: PrReport, session: Session, outDir: string): Promise<boolean> {
  // A fork reads no state; any other run would plan against an inventory the runner forgets.
  if (!session.offline) assertDurableState(session, "plan");
  const { plan, changed } = await planToFile(session, path.join(outDir, "plan.json"));
  // The same forecast as `mailops send --dry-run`: counted with this pull request's templates.
  report.sends = await forecastSends(session);
  report.templates = templatePreviews(previewTemplateChanges(session, plan, outDir));
  writeFileSync(path.join(outDir, "plan.md"), formatPlanMarkdown(plan, { limit: Number.MAX_SAFE_INTEGER }));
  report.plan = plan;
  return changed;
}

async function uploadInto(report: PrReport, ctx: FlowContext, outDir: string): Promise<void> {
  const files = ["plan.json", "plan.md", ...report.templates.flatMap((t) => t.files)].map((f) =>
    path.join(outDir, f),
  );
  let uploaded: UploadedArtifact | undefined;
  try {
    uploaded = await ctx.artifacts.upload(report.artifactName, outDir, files);
  } catch (e) {
    // The plan is still in the comment and the summary; a missing artifact only loses the HTML files.
    core.warning(`could not upload the plan artifact: ${(e as Error).message}`);
  }
  if (uploaded) report.artifactUrl = uploaded.url;
}

/** Posts or updates the sticky comment; says what happened in a line for the job summary. */
async function comment(
  report: PrReport,
  ctx: FlowContext,
  issue: number,
  fork: boolean,
): Promise<{ line: string; error?: Error }> {
  const body = commentBody(report);
  try {
    const api = ctx.api();
    const author = await resolveAuthor(api, ctx.inputs.commentAuthor);
    const done = await upsertSticky(api, issue, author, body);
    core.info(`plan comment ${done.action}: ${done.comment.htmlUrl}`);
    return {
      line: `Plan comment ${done.action}: ${done.comment.htmlUrl} (${body.length.toLocaleString("en-US")} characters).`,
    };
  } catch (e) {
    const status = (e as { status?: number }).status;
    if (fork && (status === 403 || status === 401)) {
      // A fork's GITHUB_TOKEN is read-only whatever the workflow asks for: not a failure of the PR.
      core.warning("this fork's token may not comment on the pull request: the plan is in the job summary");
      return { line: "No comment: a pull request from a fork gets a read-only token. The plan is above." };
    }
    // GitHub also answers 403 to a secondary rate limit: that is a failure to retry, not a permission.
    if (status === 403 && !/rate limit/i.test((e as Error).message)) {
      // Dependabot's pull requests, and workflows whose GITHUB_TOKEN is read-only, may not comment.
      const why = `this run's token may not comment on the pull request (HTTP 403: ${(e as Error).message})`;
      core.notice(`${why}: the plan is in the job summary`);
      return {
        line: `> [!NOTE]\n> No comment: ${escapeMd(why)}. Pull requests opened by Dependabot, and workflows whose \`GITHUB_TOKEN\` is read-only, get such a token; the plan is above. Elsewhere, give the workflow \`permissions: pull-requests: write\`. Without a plan comment, deploy has no reviewed plan to compare with for this pull request.`,
      };
    }
    const error = new MailopsError(
      `could not post the plan comment: ${(e as Error).message}`,
      "the workflow needs `permissions: pull-requests: write` and the `github-token` input",
    );
    return { line: `No comment: ${error.message}.`, error };
  }
}
