/**
 * What a merge would send: per campaign, when, to how many recipients of which segments, and how
 * many are left out and why. Counts only: no address ever leaves this module.
 */
import { type AudienceCounts, openAudience } from "../commands/audience.js";
import type { Campaign, Project } from "../config/model.js";
import { MailopsError } from "../errors.js";
import { dueState, sendAtKey } from "../send/due.js";
import { Ledger } from "../send/ledger.js";
import { messagePlan } from "../send/message.js";
import { SECRET_ENV } from "../send/unsubscribe.js";
import type { Store } from "../store/index.js";
import type { Target } from "../targets/port.js";
import { code, escapeMd, plural } from "./markdown.js";

/** The scheduled-send workflow runs every this many minutes (its cron is `*\/15 * * * *`). */
export const SEND_INTERVAL_MINUTES = 15;

export type PreviewState = "on-merge" | "due" | "scheduled" | "missed" | "complete" | "draft";

export interface CampaignPreview {
  campaign: string;
  state: PreviewState;
  /** send_at, for scheduled, due and missed campaigns (ISO). */
  at?: string;
  /** The first scheduled-send run at or after send_at (ISO). */
  firstRun?: string;
  to: string[];
  exclude: string[];
  counts?: AudienceCounts;
  /** Why there are no counts, or what will stop the send. */
  notes: string[];
}

export interface PreviewOptions {
  target: Target;
  /** The state store, for which runs already completed; undefined when it cannot be read (fork PRs). */
  store?: Store;
  now: Date;
  /** No credentials: only subscriber files in the repository can be read, and no suppression list. */
  offline: boolean;
  maxLatenessSeconds: number;
}

export async function previewSends(project: Project, options: PreviewOptions): Promise<CampaignPreview[]> {
  const out: CampaignPreview[] = [];
  const campaigns = [...project.campaigns.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const c of campaigns) out.push(await previewOne(project, c, options));
  return out;
}

async function previewOne(project: Project, c: Campaign, o: PreviewOptions): Promise<CampaignPreview> {
  const run = o.store ? await runState(o.store, c) : { started: false, complete: false };
  const due = dueState(c, run, o.now, o.maxLatenessSeconds);
  const state: PreviewState = due.state === "due" && c.sendAt?.kind === "on-merge" ? "on-merge" : due.state;
  const at = c.sendAt?.kind === "at" ? c.sendAt.iso : undefined;
  const preview: CampaignPreview = {
    campaign: c.name,
    state,
    ...(at ? { at } : {}),
    ...(at && state === "scheduled" ? { firstRun: firstScheduledRun(at) } : {}),
    to: c.to,
    exclude: c.exclude,
    notes: [],
  };
  if (state === "draft" || state === "complete") return preview;
  if (state === "missed") {
    preview.notes.push(
      "send_at is further in the past than guardrails.max_lateness: `send --due` will not send it (send it by name with the send workflow's `campaign` input)",
    );
    return preview;
  }
  const inS3 = sourcesOf(project, c).filter((s) => s.startsWith("s3://"));
  if (o.offline && inS3.length) {
    preview.notes.push(
      "the subscriber list is in S3, which this run has no credentials to read: not counted",
    );
    return preview;
  }
  const template = project.templates.get(c.template ?? "");
  if (!template) return preview;
  try {
    const audience = await openAudience(project, c, o.target);
    // Counting needs no real unsubscribe signature: the URL only goes into data that is never sent.
    const secret = process.env[SECRET_ENV] ?? "preview-only-secret";
    preview.counts = await audience.count(messagePlan(project, c, template, secret));
  } catch (e) {
    if (!(e instanceof MailopsError) && !(e instanceof Error)) throw e;
    preview.notes.push(`audience not counted: ${e.message}`);
    return preview;
  }
  if (o.offline)
    preview.notes.push(
      "suppression list and opt-outs not read (no credentials): counts are before suppression",
    );
  if (c.maxRecipients !== undefined && preview.counts.toSend > c.maxRecipients) {
    preview.notes.push(
      `${preview.counts.toSend} recipients exceed max_recipients ${c.maxRecipients}: the send will be refused`,
    );
  }
  return preview;
}

async function runState(store: Store, c: Campaign): Promise<{ started: boolean; complete: boolean }> {
  const state = await new Ledger(store, { campaign: c.name, sendAt: sendAtKey(c) }).load();
  return { started: state.run !== undefined, complete: state.run?.status === "complete" };
}

/** Where a campaign's recipients are read from (segment sources and sources named directly). */
function sourcesOf(project: Project, c: Campaign): string[] {
  const out: string[] = [];
  for (const name of [...c.to, ...c.exclude]) {
    const source = project.sources.get(project.segments.get(name)?.from ?? name);
    if (source?.location) out.push(source.location);
  }
  return out;
}

/** The first tick of the scheduled-send cron at or after `iso`. */
export function firstScheduledRun(iso: string): string {
  const step = SEND_INTERVAL_MINUTES * 60_000;
  return new Date(Math.ceil(Date.parse(iso) / step) * step).toISOString();
}

export function utc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

function when(p: CampaignPreview): string {
  switch (p.state) {
    case "on-merge":
      return "on merge";
    case "due":
      return `on merge (send_at ${utc(p.at ?? "")} has passed)`;
    case "scheduled":
      return p.firstRun === p.at
        ? `${utc(p.at ?? "")}, by the scheduled-send run at that time (GitHub may start it late)`
        : `${utc(p.at ?? "")}, by the scheduled-send run at ${utc(p.firstRun ?? "")} (GitHub may start it late)`;
    case "missed":
      return `missed (send_at ${utc(p.at ?? "")})`;
    default:
      return p.state;
  }
}

/** Everything not sent, by reason: `1 suppressed, 2 skipped (missing variable name)`. */
export function leftOut(c: AudienceCounts): string {
  const parts: string[] = [];
  if (c.suppressed) parts.push(`${c.suppressed} suppressed`);
  if (c.excluded) parts.push(`${c.excluded} excluded`);
  if (c.duplicates) parts.push(`${c.duplicates} duplicate${c.duplicates === 1 ? "" : "s"}`);
  if (c.invalid) parts.push(`${c.invalid} invalid row${c.invalid === 1 ? "" : "s"}`);
  for (const [reason, n] of Object.entries(c.skipped).sort(([a], [b]) => (a < b ? -1 : 1)))
    parts.push(`${n} skipped (${reason})`);
  return parts.length ? parts.join(", ") : "none";
}

export const sending = (p: CampaignPreview) =>
  p.state === "on-merge" || p.state === "due" || p.state === "scheduled";

/** One line for the comment's summary: `sends on merge: welcome (2 recipients); scheduled: holiday (1)`. */
export function sendsHeadline(previews: CampaignPreview[]): string {
  const now = previews.filter((p) => p.state === "on-merge" || p.state === "due");
  const later = previews.filter((p) => p.state === "scheduled");
  const count = (p: CampaignPreview) => (p.counts ? ` → ${plural(p.counts.toSend, "recipient")}` : "");
  const parts: string[] = [];
  if (now.length) parts.push(`on merge ${now.map((p) => `${code(p.campaign)}${count(p)}`).join(", ")}`);
  if (later.length)
    parts.push(
      `scheduled ${later.map((p) => `${code(p.campaign)} at ${utc(p.at ?? "")}${count(p)}`).join(", ")}`,
    );
  return parts.length ? parts.join("; ") : "nothing";
}

export function sendsTable(previews: CampaignPreview[]): string {
  const active = previews.filter((p) => sending(p) || p.state === "missed");
  const blocks: string[] = [];
  if (active.length) {
    const rows = ["| Campaign | When | Audience | Recipients | Not sent |", "|---|---|---|---|---|"];
    for (const p of active) {
      const audience = `${p.to.map(code).join(", ")}${p.exclude.length ? ` minus ${p.exclude.map(code).join(", ")}` : ""}`;
      const recipients = p.counts ? p.counts.toSend.toLocaleString("en-US") : "—";
      const notSent = p.counts ? leftOut(p.counts) : "—";
      rows.push(
        `| ${code(p.campaign)} | ${escapeMd(when(p))} | ${audience} | ${recipients} | ${escapeMd(notSent)} |`,
      );
    }
    blocks.push(rows.join("\n"));
    const notes = active.flatMap((p) => p.notes.map((n) => `- ${code(p.campaign)}: ${escapeMd(n)}`));
    if (notes.length) blocks.push(notes.join("\n"));
  } else {
    blocks.push("No campaign is sent or scheduled by this merge.");
  }
  const drafts = previews.filter((p) => p.state === "draft").map((p) => code(p.campaign));
  const done = previews.filter((p) => p.state === "complete").map((p) => code(p.campaign));
  if (drafts.length) blocks.push(`Drafts (no send_at, never sent): ${drafts.join(", ")}.`);
  if (done.length) blocks.push(`Already sent: ${done.join(", ")}.`);
  return `${blocks.join("\n\n")}\n`;
}
