/** `send` (cron or manual): send what is due, or one named campaign; results per campaign. */
import * as core from "@actions/core";
import { targetName } from "../../commands/context.js";
import { type CampaignResult, sendCampaigns, sendFailed } from "../../commands/send.js";
import { LockedError } from "../../send/lock.js";
import { escapeMd } from "../../util/markdown.js";
import { findingsSection, writeJobSummary } from "../job-summary.js";
import { code } from "../markdown.js";
import { leftOut, utc } from "../send-preview.js";
import { assertDurableState, assertValid, type FlowContext, setOutputs, validateStep } from "./context.js";

export async function sendFlow(ctx: FlowContext): Promise<void> {
  const validation = validateStep(ctx);
  const project = validation.project;
  const head = `### ✉️ mailops send · ${code(project.settings.project)}${ctx.inputs.campaign ? ` · campaign ${code(ctx.inputs.campaign)}` : " · due campaigns"}\n`;
  if (validation.errors > 0) {
    await writeJobSummary(
      `${head}\n${findingsSection(validation.findings, project.fileCount, ctx.gh.workspace, ctx.inputs.dir)}`,
    );
    assertValid(validation);
  }
  const name = targetName(project, ctx.inputs.target);
  assertDurableState(project, name);
  let results: CampaignResult[];
  try {
    results = await sendCampaigns(
      project,
      {
        dir: ctx.inputs.dir,
        target: name,
        ...(ctx.inputs.campaign ? { campaign: ctx.inputs.campaign } : { due: true }),
        now: ctx.now().toISOString(),
      },
      ctx.io,
      ctx.targetFactory,
    );
  } catch (e) {
    if (!(e instanceof LockedError) || ctx.inputs.campaign) throw e;
    // A deploy is sending: what is left stays due, and the next scheduled run takes it.
    core.warning(lockedNote(e));
    setOutputs({ sent: 0, failed: 0 });
    await writeJobSummary(`${head}\n⏳ ${lockedNote(e)}\n`);
    return;
  }
  const totals = sendTotals(results);
  setOutputs({ sent: totals.sent, failed: totals.failed });
  await writeJobSummary(`${head}\n${sendResultsSection(results)}`);
  if (sendFailed(results)) core.setFailed("some campaigns were not sent completely: see the job summary");
}

export function lockedNote(e: LockedError): string {
  return `another mailops run is sending (${e.message}); campaigns still due are sent by the next scheduled run`;
}

export function sendTotals(results: CampaignResult[]): { sent: number; failed: number } {
  let sent = 0;
  let failed = 0;
  for (const r of results) {
    sent += r.report?.sent ?? 0;
    failed += r.report?.failed ?? 0;
  }
  return { sent, failed };
}

const ICON: Record<CampaignResult["state"], string> = {
  sent: "✅",
  draft: "📝",
  scheduled: "🕒",
  missed: "⚠️",
  complete: "☑️",
  refused: "⛔",
  stopped: "🛑",
  partial: "⚠️",
};

/** Counts only: results never hold addresses. */
export function sendResultsSection(results: CampaignResult[]): string {
  const lines = ["#### Sends", ""];
  if (!results.length) return `${lines.join("\n")}No campaigns.\n`;
  lines.push(
    "| | Campaign | State | To send | Sent | Failed | Unknown | Not sent |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const r of results) {
    const rep = r.report;
    const cell = (n: number | undefined) => (n === undefined ? "—" : n.toLocaleString("en-US"));
    lines.push(
      `| ${ICON[r.state]} | ${code(r.campaign)} | ${r.state} | ${cell(r.counts?.toSend)} | ${cell(rep?.sent)} | ${cell(rep?.failed)} | ${cell(rep?.unknown)} | ${r.counts ? escapeMd(leftOut(r.counts)) : "—"} |`,
    );
  }
  lines.push("");
  for (const r of results) {
    if (r.detail) {
      // scheduled and missed carry their send_at as the detail.
      const at = (r.state === "scheduled" || r.state === "missed") && /^\d{4}-\d\d-\d\dT/.test(r.detail);
      lines.push(`- ${code(r.campaign)}: ${at ? `send_at ${utc(r.detail)}` : escapeMd(r.detail)}`);
    }
    for (const [error, n] of Object.entries(r.report?.failures ?? {}))
      lines.push(`- ${code(r.campaign)}: ${n} failed with ${escapeMd(error)}`);
  }
  return `${lines.join("\n").trimEnd()}\n`;
}
