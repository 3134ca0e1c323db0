/** `mailops status`: per run, what the ledger says (and on aws, what CloudWatch saw). Counts only. */
import { UsageError } from "../errors.js";
import { Ledger } from "../send/ledger.js";
import { type Io, loadValid, projectStore } from "./context.js";

export interface StatusOptions {
  dir: string;
  campaign?: string;
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
}

export async function collectStatus(dir: string, io: Io, campaign?: string): Promise<RunSummary[]> {
  const project = loadValid(dir, io);
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
  return out;
}

export async function runStatus(options: StatusOptions, io: Io): Promise<number> {
  const runs = await collectStatus(options.dir, io, options.campaign);
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
  }
  io.out(`${lines.join("\n")}\n`);
  return 0;
}
