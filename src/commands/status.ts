/**
 * The status use case: per run, what the ledger says (and on aws, what CloudWatch saw), and each
 * declared sender identity's verification with its DNS records. Counts only: a report of plain
 * data, no subscriber addresses; `cli/status.ts` presents it.
 */

import type { Project } from "../config/model.js";
import { MailopsError, UsageError } from "../errors.js";
import { campaignDimension } from "../plan/desired.js";
import { type IdentityReport, identityReports } from "../plan/identities.js";
import { Ledger, LedgerDamagedError, type LedgerState, runKey } from "../send/ledger.js";
import type { CampaignMetrics, Sender } from "../targets/port.js";
import { type VariantStatus, variantStatus } from "./send-variants.js";
import type { Session } from "./session.js";

/** A run's status while an A/B test stage is sent and its winner stage is still to come. */
const AWAITING_WINNER = "awaiting-winner";

export interface RunSummary {
  campaign: string;
  sendAt: string;
  /** The ledger's (running, complete, stopped), `damaged`, or AWAITING_WINNER. */
  status: string;
  startedAt: string;
  updatedAt: string;
  stopReason?: string;
  /** A run in each recipient's local time, under way: recipients whose time was to come at its last send. */
  waiting?: number;
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
  /** A campaign with variants: the stage, the winner and why (commands/send-variants.ts). */
  variants?: VariantStatus;
}

export interface StatusReport {
  /** The campaign asked about; every campaign when unset. */
  campaign?: string;
  /** Each run in the ledger, by campaign then send_at. */
  runs: RunSummary[];
  /** A damaged ledger needs someone to act: the command (and a CI job running it) fails. */
  ok: boolean;
  /** Each identity of `identities:` as the target reports it (absent when none are declared). */
  identities?: IdentityReport[];
}

/** Each run in the session's ledger (of `campaign`, which must exist), and what its target saw of it. */
export async function collectStatus(session: Session, campaign?: string): Promise<StatusReport> {
  const { project } = session;
  const target = await session.target();
  const sender = target.sender();
  const dimension = campaignDimension(project.settings);
  if (campaign && !project.campaigns.has(campaign)) {
    throw new UsageError(
      `campaign \`${campaign}\` does not exist`,
      `campaigns: ${[...project.campaigns.keys()].join(", ")}`,
    );
  }
  const store = session.store();
  const out: RunSummary[] = [];
  for (const id of await Ledger.runs(store, campaign)) out.push(await summarize(new Ledger(store, id)));
  if (sender.campaignMetrics) for (const r of out) await addMetrics(r, out, project, sender, dimension);
  for (const r of out) {
    const c = project.campaigns.get(r.campaign);
    const since = r.startedAt ? new Date(r.startedAt) : undefined;
    const run = runKey({ campaign: r.campaign, sendAt: r.sendAt });
    if (!c?.variants) continue;
    r.variants = await variantStatus(project, c, run, store, target, since);
    // The ledger's run is complete as far as the test share goes: the rest wait for the winner.
    if (r.status === "complete" && r.variants.stage === "test") r.status = AWAITING_WINNER;
  }
  const declared = Object.keys(project.settings.identities);
  const identities = declared.length
    ? identityReports(
        project.settings,
        await target.read(declared.map((name) => ({ kind: "identity", name }))),
        { verifiesAtOnce: target.name === "local" },
      )
    : undefined;
  return {
    ...(campaign ? { campaign } : {}),
    runs: out,
    ok: !out.some((r) => r.status === "damaged"),
    ...(identities ? { identities } : {}),
  };
}

/** What a run's ledger says; a damaged ledger is a run of its own status, with why. */
async function summarize(ledger: Ledger): Promise<RunSummary> {
  const { id } = ledger;
  let state: LedgerState;
  try {
    state = await ledger.load();
  } catch (e) {
    if (!(e instanceof LedgerDamagedError)) throw e;
    return {
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
    };
  }
  const skipped = { ...state.skippedReasons };
  const run = state.run;
  return {
    campaign: id.campaign,
    sendAt: id.sendAt,
    status: run?.status ?? "unknown",
    startedAt: run?.startedAt ?? "",
    updatedAt: run?.updatedAt ?? "",
    // A complete run has no stop reason, whatever an earlier attempt wrote.
    ...(run?.stopReason && run.status !== "complete" ? { stopReason: run.stopReason } : {}),
    ...(run?.waiting && run.status === "running" ? { waiting: run.waiting } : {}),
    sent: state.sent.size,
    failed: state.failed.size,
    unknown: state.unknown.size,
    ...(ambiguousCount(state) ? { ambiguous: ambiguousCount(state) } : {}),
    ...(run?.throttled ? { throttled: run.throttled } : {}),
    skipped,
    ...(state.unreadable.length ? { unreadable: state.unreadable } : {}),
  };
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
