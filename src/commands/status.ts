/** `mailops status`: per run, what the ledger says (and on aws, what CloudWatch saw). Counts only. */

import type { Project } from "../config/model.js";
import { MailopsError, UsageError } from "../errors.js";
import { campaignDimension } from "../plan/desired.js";
import { Ledger } from "../send/ledger.js";
import type { CampaignMetrics, Sender } from "../targets/port.js";
import { type Io, loadValid, openTarget, projectStore, type TargetFactory, targetName } from "./context.js";

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
  skipped: Record<string, number>;
  /** From the target's event metrics (CloudWatch on aws), when it has them. */
  metrics?: CampaignMetrics;
  /** Why metrics are missing when the target has them but could not be read (the ledger counts stand). */
  metricsError?: string;
}

export async function collectStatus(
  dir: string,
  io: Io,
  campaign?: string,
  metricsFrom?: { target?: string; factory: TargetFactory },
): Promise<RunSummary[]> {
  const project = loadValid(dir, io);
  const sender = metricsFrom
    ? (await metricsFrom.factory(targetName(project, metricsFrom.target), project)).sender()
    : undefined;
  const dimension = campaignDimension(project.settings);
  if (campaign && !project.campaigns.has(campaign)) {
    throw new UsageError(
      `campaign \`${campaign}\` does not exist`,
      `campaigns: ${[...project.campaigns.keys()].join(", ")}`,
    );
  }
  const store = projectStore(project);
  const out: RunSummary[] = [];
  for (const id of await Ledger.runs(store, campaign)) {
    const state = await new Ledger(store, id).load();
    const skipped: Record<string, number> = {};
    for (const reason of state.skipped.values()) skipped[reason] = (skipped[reason] ?? 0) + 1;
    const run = state.run;
    out.push({
      campaign: id.campaign,
      sendAt: id.sendAt,
      status: run?.status ?? "unknown",
      startedAt: run?.startedAt ?? "",
      updatedAt: run?.updatedAt ?? "",
      ...(run?.stopReason ? { stopReason: run.stopReason } : {}),
      sent: state.sent.size,
      failed: state.failed.size,
      unknown: state.unknown.size,
      skipped,
    });
  }
  if (sender?.campaignMetrics) for (const r of out) await addMetrics(r, out, project, sender, dimension);
  return out;
}

export async function runStatus(
  options: StatusOptions,
  io: Io,
  factory: TargetFactory = openTarget,
): Promise<number> {
  const runs = await collectStatus(options.dir, io, options.campaign, { target: options.target, factory });
  if (!runs.length) {
    io.out(options.campaign ? `No runs of ${options.campaign} yet.\n` : "No campaign runs yet.\n");
    return 0;
  }
  const lines: string[] = [];
  for (const r of runs) {
    lines.push(`${r.campaign} (send_at ${r.sendAt}): ${r.status}${r.stopReason ? ` — ${r.stopReason}` : ""}`);
    lines.push(`  started ${r.startedAt}, last update ${r.updatedAt}`);
    const skipped = Object.entries(r.skipped).map(([k, v]) => `${v} ${k}`);
    lines.push(
      `  sent ${r.sent}, failed ${r.failed}, unknown ${r.unknown}, skipped ${skipped.length ? skipped.join(", ") : 0}`,
    );
    if (r.metricsError) lines.push(`  metrics unavailable: ${r.metricsError}`);
    const m = r.metrics;
    if (m) {
      lines.push(
        `  delivered ${m.delivered}, bounced ${m.bounced}, complained ${m.complained}, opened ${m.opened}, clicked ${m.clicked}`,
      );
    }
  }
  io.out(`${lines.join("\n")}\n`);
  return 0;
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
