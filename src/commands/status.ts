/** `mailops status`: per run, what the ledger says (and on aws, what CloudWatch saw). Counts only. */

import type { Project } from "../config/model.js";
import { MailopsError, UsageError } from "../errors.js";
import { campaignDimension } from "../plan/desired.js";
import { Ledger, LedgerDamagedError, type LedgerState } from "../send/ledger.js";
import type { CampaignMetrics, Sender } from "../targets/port.js";
import type { Io, TargetFactory } from "./context.js";
import { openSession, type Session } from "./session.js";

export interface StatusOptions {
  dir: string;
  campaign?: string;
  target?: string;
}

export interface RunSummary {
  campaign: string;
  sendAt: string;
  status: string;
  startedAt: string;
  updatedAt: string;
  stopReason?: string;
  sent: number;
  failed: number;
  unknown: number;
  /** Of `unknown`, those whose own send call's outcome is unknown (not a crash's batch). */
  ambiguous?: number;
  /** Throttled send calls over the run's attempts, and the sending time they cost. */
  throttled?: { calls: number; lostSeconds: number };
  skipped: Record<string, number>;
  /** Ledger outcome files that could not be read (their recipients count as unknown). */
  unreadable?: string[];
  /** From the target's event metrics (CloudWatch on aws), when it has them. */
  metrics?: CampaignMetrics;
  /** Why metrics are missing when the target has them but could not be read (the ledger counts stand). */
  metricsError?: string;
}

/** Each run in the session's ledger; with `metrics`, what the session's target saw of it too. */
export async function collectStatus(
  session: Session,
  campaign?: string,
  metrics = true,
): Promise<RunSummary[]> {
  const { project } = session;
  const sender = metrics ? (await session.target()).sender() : undefined;
  const dimension = campaignDimension(project.settings);
  if (campaign && !project.campaigns.has(campaign)) {
    throw new UsageError(
      `campaign \`${campaign}\` does not exist`,
      `campaigns: ${[...project.campaigns.keys()].join(", ")}`,
    );
  }
  const store = session.store();
  const out: RunSummary[] = [];
  for (const id of await Ledger.runs(store, campaign)) {
    let state: LedgerState;
    try {
      state = await new Ledger(store, id).load();
    } catch (e) {
      if (!(e instanceof LedgerDamagedError)) throw e;
      out.push({
        campaign: id.campaign,
        sendAt: id.sendAt,
        status: "damaged",
        startedAt: "",
        updatedAt: "",
        stopReason: `${e.message}; ${e.hint ?? ""}`.trim(),
        sent: 0,
        failed: 0,
        unknown: 0,
        skipped: {},
      });
      continue;
    }
    const skipped: Record<string, number> = {};
    for (const reason of state.skipped.values()) skipped[reason] = (skipped[reason] ?? 0) + 1;
    const run = state.run;
    out.push({
      campaign: id.campaign,
      sendAt: id.sendAt,
      status: run?.status ?? "unknown",
      startedAt: run?.startedAt ?? "",
      updatedAt: run?.updatedAt ?? "",
      // A complete run has no stop reason, whatever an earlier attempt wrote.
      ...(run?.stopReason && run.status !== "complete" ? { stopReason: run.stopReason } : {}),
      sent: state.sent.size,
      failed: state.failed.size,
      unknown: state.unknown.size,
      ...(ambiguousCount(state) ? { ambiguous: ambiguousCount(state) } : {}),
      ...(run?.throttled ? { throttled: run.throttled } : {}),
      skipped,
      ...(state.unreadable.length ? { unreadable: state.unreadable } : {}),
    });
  }
  if (sender?.campaignMetrics) for (const r of out) await addMetrics(r, out, project, sender, dimension);
  return out;
}

export async function runStatus(options: StatusOptions, io: Io, factory?: TargetFactory): Promise<number> {
  const session = openSession({ dir: options.dir, target: options.target, io, factory });
  const runs = await collectStatus(session, options.campaign);
  if (!runs.length) {
    io.out(options.campaign ? `No runs of ${options.campaign} yet.\n` : "No campaign runs yet.\n");
    return 0;
  }
  const lines: string[] = [];
  for (const r of runs) {
    lines.push(`${r.campaign} (send_at ${r.sendAt}): ${r.status}${r.stopReason ? ` — ${r.stopReason}` : ""}`);
    if (r.status === "damaged") continue;
    lines.push(`  started ${r.startedAt}, last update ${r.updatedAt}`);
    const skipped = Object.entries(r.skipped).map(([k, v]) => `${v} ${k}`);
    lines.push(
      `  sent ${r.sent}, failed ${r.failed}, unknown ${r.unknown}, skipped ${skipped.length ? skipped.join(", ") : 0}`,
    );
    if (r.ambiguous) {
      lines.push(
        `  unknown: ${r.ambiguous} in send calls whose outcome is unknown (a broken connection, a timeout, a 500); \`send --resend-unknown\` sends them again`,
      );
    }
    if (r.throttled) {
      lines.push(
        `  throttled: ${r.throttled.calls} send call${r.throttled.calls === 1 ? "" : "s"}, ${r.throttled.lostSeconds.toFixed(1)} s of sending lost to the lower rate`,
      );
    }
    for (const file of r.unreadable ?? [])
      lines.push(`  ledger: ${file} is unreadable: its batch counts as unknown`);
    if (r.metricsError) lines.push(`  metrics unavailable: ${r.metricsError}`);
    const m = r.metrics;
    if (m) {
      lines.push(
        `  delivered ${m.delivered}, bounced ${m.bounced}, complained ${m.complained}, opened ${m.opened}, clicked ${m.clicked}`,
      );
    }
  }
  io.out(`${lines.join("\n")}\n`);
  // A damaged ledger needs someone to act: fail the command (and a CI job running it).
  return runs.some((r) => r.status === "damaged") ? 1 : 0;
}

/**
 * A campaign's metrics carry no run: a run's window ends where the campaign's next run starts.
 * Metrics are extra to the ledger's counts: when they cannot be read (no credentials, no
 * CloudWatch access) the run says why and keeps its counts.
 */
async function addMetrics(
  r: RunSummary,
  all: RunSummary[],
  project: Project,
  sender: Sender,
  dimension: string | undefined,
): Promise<void> {
  if (!r.startedAt || !sender.campaignMetrics) return;
  const since = Date.parse(r.startedAt);
  const next = Math.min(
    ...all
      .filter((o) => o.campaign === r.campaign && o.startedAt)
      .map((o) => Date.parse(o.startedAt))
      .filter((t) => t > since),
  );
  const value = project.campaigns.get(r.campaign)?.tags.campaign ?? r.campaign;
  try {
    const metrics = await sender.campaignMetrics(
      { dimension, value, name: r.campaign },
      new Date(since),
      Number.isFinite(next) ? new Date(next) : undefined,
    );
    if (metrics) r.metrics = metrics;
  } catch (e) {
    if (!(e instanceof MailopsError)) throw e;
    r.metricsError = e.message;
  }
}

function ambiguousCount(state: LedgerState): number {
  let n = 0;
  for (const id of state.unknown) if (state.ambiguous.has(id)) n++;
  return n;
}
