/**
 * `mailops send`: each campaign's result as text or JSON (`kind: "send"`); `--dry-run`, the
 * forecast of what a send would do (`kind: "send-preview"`). Exit 1 when a campaign was refused,
 * stopped or left partial, or (dry run) when counting one failed. Counts and states only: the
 * use cases put no address in what they return.
 */

import { formatCounts } from "../commands/audience.js";
import type { TargetFactory } from "../commands/context.js";
import { describeLocalTime } from "../commands/local-time.js";
import { sendProof } from "../commands/proof.js";
import { describeMissed } from "../commands/recurring.js";
import {
  assertChosen,
  type CampaignResult,
  lockedError,
  type SendOptions,
  sendFailed,
  sendUnlessLocked,
} from "../commands/send.js";
import { type CampaignForecast, forecastSends, formatSendForecast } from "../commands/send-forecast.js";
import { formatVariants } from "../commands/send-variants.js";
import type { Session } from "../commands/session.js";
import { UsageError } from "../errors.js";
import type { Io } from "../present/io.js";
import { type ReportFormat, reportJson } from "./format.js";
import { presentProof } from "./proof.js";
import { cliSession } from "./session.js";

export interface RunSendOptions extends SendOptions {
  dir: string;
  target?: string;
  /** `--now`: the time to judge what is due by. */
  now?: string;
  /** Forecast instead: due states and audience counts (forecastSends); nothing sent or recorded. */
  dryRun?: boolean;
  /** A proof instead (commands/proof.ts): `--proof-to`, addresses comma-separated. */
  proofTo?: string;
  /** With --proof-to: render for this subscriber of the audience. */
  subscriber?: string;
  format?: ReportFormat;
  /** `--progress`: progress lines on stderr although it is not a terminal. */
  progress?: boolean;
}

export async function runSend(options: RunSendOptions, io: Io, factory?: TargetFactory): Promise<number> {
  const session = cliSession(options, io, factory);
  const format = options.format ?? "text";
  if (options.proofTo !== undefined) return runProof(options, session, format, io);
  if (options.subscriber !== undefined)
    throw new UsageError("--subscriber goes with --proof-to", "a campaign's send takes its whole audience");
  if (options.dryRun) {
    assertChosen(options);
    const forecasts = await forecastSends(session, options.campaign ? { campaign: options.campaign } : {});
    return presentSendForecast(forecasts, (await session.target()).name, format, io);
  }
  const report = await sendUnlessLocked(session, options);
  // Another run holds the send lock: the command ends as the lock's error (exit 1, its hint).
  if (report.locked) throw lockedError(report.locked);
  return presentSend(report.results, session.targetName, format, io);
}

async function runProof(
  options: RunSendOptions,
  session: Session,
  format: ReportFormat,
  io: Io,
): Promise<number> {
  if (!options.campaign || options.due || options.dryRun)
    throw new UsageError(
      "--proof-to sends one campaign's proof: give --campaign NAME, without --due or --dry-run",
      "e.g. mailops send --campaign holiday-promo --proof-to you@example.com",
    );
  const report = await sendProof(session, {
    campaign: options.campaign,
    proofTo: options.proofTo ?? "",
    ...(options.subscriber !== undefined ? { subscriber: options.subscriber } : {}),
  });
  return presentProof(report, (await session.target()).name, format, io);
}

export function presentSend(results: CampaignResult[], target: string, format: ReportFormat, io: Io): number {
  const failed = sendFailed(results);
  io.out(
    format === "json"
      ? reportJson("send", { target, campaigns: results, ok: !failed })
      : formatSendResults(results),
  );
  return failed ? 1 : 0;
}

export function presentSendForecast(
  forecasts: CampaignForecast[],
  target: string,
  format: ReportFormat,
  io: Io,
): number {
  const failed = forecasts.some((p) => p.error);
  io.out(
    format === "json"
      ? reportJson("send-preview", { target, campaigns: forecasts, ok: !failed })
      : formatSendForecast(forecasts, target),
  );
  return failed ? 1 : 0;
}

export function formatSendResults(results: CampaignResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const head = `${r.campaign}: ${r.state}${r.detail ? ` (${r.detail})` : ""}${r.early ? `, early: before its send_at ${r.early}` : ""}`;
    lines.push(head, ...recurringLines(r));
    if (r.localTime) lines.push(`  ${describeLocalTime(r.localTime)}`);
    if (r.counts) lines.push(...formatCounts(r.counts, "to send"));
    if (r.variants) lines.push(...formatVariants(r.variants));
    if (r.report) {
      const rep = r.report;
      lines.push(
        `  sent ${rep.sent}, failed ${rep.failed}, unknown ${rep.unknown}${rep.alreadyDone ? `, done in earlier attempts ${rep.alreadyDone}` : ""}`,
      );
      for (const [error, n] of Object.entries(rep.failures)) lines.push(`  failed: ${n} × ${error}`);
      if (rep.throttled.calls) {
        lines.push(
          `  throttled: ${rep.throttled.calls} call${rep.throttled.calls === 1 ? "" : "s"}, ${(rep.throttled.lostMs / 1000).toFixed(1)} s of sending lost to the lower rate`,
        );
      }
      for (const file of rep.unreadable) {
        lines.push(
          `  ledger: ${file} is unreadable (a write cut short, e.g. by a power loss): its batch's recipients count as unknown`,
        );
      }
      const interrupted = rep.unknown - rep.ambiguous;
      // A complete run is not revisited by --due: name the command that sends them again.
      const again = `Check delivery, then pass --resend-unknown to send them again (mailops send --campaign ${r.campaign} --resend-unknown).`;
      if (rep.ambiguous) {
        lines.push(
          `  ${rep.ambiguous} recipient${rep.ambiguous === 1 ? " was" : "s were"} in calls whose outcome is unknown (the connection broke, timed out or SES failed after the request was sent): not resent. ${again}`,
        );
      }
      if (interrupted) {
        lines.push(`  ${interrupted} recipients were in a batch interrupted mid-send: not resent. ${again}`);
      }
      if (r.state === "stopped" && r.counts) {
        // What the next run does: those with no outcome yet, and the unknown only when asked.
        const notYet = Math.max(0, r.counts.toSend - rep.alreadyDone - rep.sent - rep.failed - rep.unknown);
        lines.push(
          `  next run: sends the ${notYet} not yet sent${rep.unknown ? `; --resend-unknown also sends the ${rep.unknown} unknown` : ""}`,
        );
      }
    }
  }
  if (!results.length) lines.push("No campaigns.");
  return `${lines.join("\n")}\n`;
}

/** A recurring campaign's result: the occurrence sent, what was missed, what waits, what comes next. */
function recurringLines(r: CampaignResult): string[] {
  const lines: string[] = [];
  if (r.occurrence) lines.push(`  occurrence ${r.occurrence}`);
  if (r.missed?.count) lines.push(`  ${describeMissed(r.missed)}`);
  if (r.waiting)
    lines.push(
      `  occurrence ${r.waiting} waits: one occurrence at a time, it is sent once this run completes`,
    );
  if (r.next && r.state !== "scheduled") lines.push(`  next occurrence ${r.next}`);
  return lines;
}
