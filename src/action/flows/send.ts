/** `send` (cron or manual): send what is due, or one named campaign; results per campaign. */
import path from "node:path";
import * as core from "@actions/core";
import { sendFailed, sendUnlessLocked } from "../../commands/send.js";
import { forecastSends, formatSendForecast } from "../../commands/send-forecast.js";
import { fenced } from "../../util/markdown.js";
import { announceSetup, awaitingSetup } from "../adoption.js";
import { lockFailure } from "../failure.js";
import { writeJobSummary } from "../job-summary.js";
import { code } from "../markdown.js";
import { firstRunOfDay, warnMissed } from "../missed.js";
import { comingSendsSection, lockedNote, sendResultsSection, sendTotals } from "../send-report.js";
import { assertDurableState, type FlowContext, setOutputs, validatedSession } from "./context.js";

export async function sendFlow(ctx: FlowContext): Promise<void> {
  const { session, heading } = await validatedSession(
    ctx,
    (project) =>
      `### ✉️ mailops send · ${code(project)}${ctx.inputs.campaign ? ` · campaign ${code(ctx.inputs.campaign)}` : " · due campaigns"}`,
  );
  const { project } = session;
  if (awaitingSetup(session.targetName, ctx.inputs.target)) {
    const forecasts = await forecastSends(
      session,
      ctx.inputs.campaign ? { campaign: ctx.inputs.campaign } : {},
    );
    setOutputs({ sent: 0, failed: 0 });
    await writeJobSummary(
      `${heading}\n\n${announceSetup("send")}\n${fenced("text", formatSendForecast(forecasts, session.targetName).trimEnd())}\n`,
    );
    return;
  }
  assertDurableState(session);
  const { results, locked } = await sendUnlessLocked(session, {
    ...(ctx.inputs.campaign ? { campaign: ctx.inputs.campaign } : { due: true }),
    ...(ctx.inputs.sendEarly ? { beforeSendAt: true } : {}),
    ...(ctx.inputs.stateLostOk ? { stateLostOk: true } : {}),
  });
  if (locked && ctx.inputs.campaign) {
    // The campaign asked for cannot be sent now: the run fails, naming whom to wait for.
    const failure = lockFailure(locked);
    await writeJobSummary(failure.summary);
    core.setFailed(failure.error);
    return;
  }
  if (locked) {
    // A deploy is sending: what is left stays due, and the next scheduled run takes it.
    core.warning(lockedNote(locked, false));
    setOutputs({ sent: 0, failed: 0 });
    await writeJobSummary(`${heading}\n\n⏳ ${lockedNote(locked)}\n`);
    return;
  }
  if (firstRunOfDay(ctx.gh.eventName, session.now())) {
    warnMissed(results, (name) => {
      const c = project.campaigns.get(name);
      return c && path.relative(ctx.gh.workspace, path.resolve(project.root, c.file));
    });
  }
  const totals = sendTotals(results);
  setOutputs({ sent: totals.sent, failed: totals.failed });
  const coming = comingSendsSection(results, (c) => project.campaigns.get(c)?.to ?? [], session.now());
  await writeJobSummary(`${heading}\n\n${sendResultsSection(results)}${coming ? `\n${coming}` : ""}`);
  if (sendFailed(results)) core.setFailed("some campaigns were not sent completely: see the job summary");
}
