/**
 * What a send would do, without sending or recording anything: per campaign its due state and,
 * for the campaigns a send takes now or later, the audience counts. `mailops send --dry-run`
 * prints it; the pull-request comment formats it. Counts only: no address ever leaves this module.
 *
 * The render check uses the repository's template content, never the target's: a pull request
 * that changes a template is counted against its new version, before it is applied. Each forecast
 * says how the target's copy compares; a real send refuses until they match (deploy applies first).
 */
import { describeTooManyInvalid } from "../audience/index.js";
import type { Campaign, Project, Source, Template } from "../config/model.js";
import { dueState, sendAtKey } from "../send/due.js";
import { sentByEarlierRuns } from "../send/exclude-sent.js";
import { LedgerDamagedError } from "../send/ledger.js";
import type { LocalTimeCounts } from "../send/local-time.js";
import { messageBuilder } from "../send/message.js";
import { SECRET_ENV, STAND_IN_SECRET } from "../send/unsubscribe.js";
import type { Store } from "../store/index.js";
import type { Target } from "../targets/port.js";
import { type AudienceCounts, formatCounts, openAudience } from "./audience.js";
import { namedCampaign, runState, sourceFile, templateOnTarget } from "./campaigns.js";
import { describeLocalTime, hourLines, localForecast } from "./local-time.js";
import { runInstant } from "./recurring.js";
import { forecastRecurring, type RecurringForecast } from "./recurring-forecast.js";
import type { Session } from "./session.js";

/** A campaign's due state; `on-merge` is a due campaign whose send_at is `on-merge`. */
export type ForecastState = "on-merge" | "due" | "scheduled" | "missed" | "complete" | "draft";

/** How the target's copy of the template compares with the repository's; `unknown` when not read. */
export type TemplateOnTarget = "same" | "differs" | "absent" | "unknown";

export interface CampaignForecast {
  campaign: string;
  state: ForecastState;
  /** Whether the send asked for takes this campaign now, later (scheduled), or not at all. */
  sends: "now" | "later" | "no";
  /** send_at (ISO), when it is a date-time. */
  at?: string;
  to: string[];
  exclude: string[];
  /**
   * The template the render check used: always the repository's content (`source`), with how the
   * target's copy compares. Set when the audience was counted.
   */
  template?: { name: string; source: "repository"; onTarget: TemplateOnTarget };
  counts?: AudienceCounts;
  /** Why there are no counts, or what will stop the send. */
  notes: string[];
  /** Counting failed (an unreadable source, a missing secret): the send would fail the same way. */
  error?: string;
  /** A recurring campaign: its schedule and next occurrences (`at` is the one counted). */
  schedule?: RecurringForecast;
  /** Sent in each recipient's local time: who is due now, waits, is missed, and by UTC hour. */
  localTime?: LocalTimeCounts;
}

export interface ForecastOptions {
  /** Only this campaign, taken as `send --campaign` takes it: counted whatever its due state. */
  campaign?: string;
}

/** What the forecast reads, from the session. */
export interface Seen {
  target: Target;
  /** The state store, for which runs started or completed; undefined when it cannot be read (fork PRs). */
  store?: Store;
  now: Date;
  /** No credentials: only subscriber files in the repository are read, and no suppression list. */
  offline: boolean;
  campaign?: string;
}

/** Due states and audience counts at `session.now()`; an offline session reads no store or live state. */
export async function forecastSends(
  session: Session,
  options: ForecastOptions = {},
): Promise<CampaignForecast[]> {
  const { project } = session;
  const seen: Seen = {
    target: await session.target(),
    ...(session.offline ? {} : { store: session.store() }),
    now: session.now(),
    offline: session.offline,
    ...(options.campaign ? { campaign: options.campaign } : {}),
  };
  const campaigns = seen.campaign
    ? [namedCampaign(project, seen.campaign)]
    : [...project.campaigns.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const out: CampaignForecast[] = [];
  for (const c of campaigns) out.push(await forecastOne(project, c, seen));
  return out;
}

async function forecastOne(project: Project, c: Campaign, o: Seen): Promise<CampaignForecast> {
  if (c.schedule)
    return forecastRecurring(project, c, o, (forecast, sendAt) =>
      countForecast(forecast, project, c, o, sendAt),
    );
  const { run, damage } = await readRun(c, o);
  const forecast = dueForecast(project, c, run, o);
  if (damage) forecast.notes.push(damage);
  if (forecast.sends === "no") return forecast;
  const byName = o.campaign !== undefined;
  if (run.started && !run.complete)
    forecast.notes.push("a run is under way: recipients it already sent to are not sent to again");
  if (run.complete && byName)
    forecast.notes.push("this run is complete: a send by name only reaches recipients added since");
  await countForecast(forecast, project, c, o, sendAtKey(c));
  return forecast;
}

/** The audience counted for the run `sendAt` into `forecast`, with what the counts leave out. */
async function countForecast(
  forecast: CampaignForecast,
  project: Project,
  c: Campaign,
  o: Seen,
  sendAt: string,
): Promise<void> {
  const unread = o.offline ? unreadableOffline(sourcesOf(project, c)) : undefined;
  if (unread) {
    forecast.notes.push(
      `the subscriber list is ${unread}, which this run has no credentials to read: not counted`,
    );
    return;
  }
  const template = project.templates.get(c.template ?? "");
  if (!template) return;
  const counts = await countInto(forecast, project, c, template, o, sendAt);
  if (!counts) return;
  if (o.offline)
    forecast.notes.push(
      "suppression list and opt-outs not read (no credentials): counts are before suppression",
    );
  if (c.maxRecipients !== undefined && counts.toSend > c.maxRecipients) {
    forecast.notes.push(
      `${counts.toSend} recipients exceed max_recipients ${c.maxRecipients}: the send will be refused`,
    );
  }
  if (c.excludeSent?.length && !o.store)
    forecast.notes.push(
      "exclude_sent not applied: the state store was not read (no credentials), so counts include whoever earlier runs reached",
    );
}

type RunSeen = Awaited<ReturnType<typeof runState>>;

/**
 * The run record alone: a forecast must not read every batch of every campaign's ledger. A
 * damaged ledger refuses the send (send.ts); the forecast says so (`damage`) and counts on.
 */
async function readRun(c: Campaign, o: Seen): Promise<{ run: RunSeen; damage?: string }> {
  if (!o.store) return { run: { started: false, complete: false } };
  try {
    return { run: await runState(o.store, c) };
  } catch (e) {
    if (!(e instanceof LedgerDamagedError)) throw e;
    const damage = `sending refuses this campaign: ${e.withHint()}`;
    return { run: { started: true, complete: false }, damage };
  }
}

/** The campaign's due state, and whether the send asked for takes it (a missed one says why not). */
function dueForecast(project: Project, c: Campaign, run: RunSeen, o: Seen): CampaignForecast {
  const due = dueState(c, run, o.now, project.settings.guardrails.maxLatenessSeconds);
  const state: ForecastState = due.state === "due" && c.sendAt?.kind === "on-merge" ? "on-merge" : due.state;
  const byName = o.campaign !== undefined;
  const sends =
    byName || state === "on-merge" || state === "due" ? "now" : state === "scheduled" ? "later" : "no";
  // In each recipient's local time: the first zone's (scheduled) or the last's (missed).
  const at = c.sendAt?.kind === "at" ? c.sendAt.iso : "at" in due ? due.at : undefined;
  const forecast: CampaignForecast = {
    campaign: c.name,
    state,
    sends,
    ...(at ? { at } : {}),
    to: c.to,
    exclude: c.exclude,
    notes: [],
  };
  if (state === "missed" && !byName) {
    forecast.notes.push(
      "send_at is further in the past than guardrails.max_lateness: `send --due` does not send it; a send by name (`--campaign`, or the send workflow's `campaign` input) does",
    );
  }
  return forecast;
}

/**
 * The audience counted against the repository's template, into `forecast`; undefined (with the
 * error in `forecast`) when it could not be.
 */
async function countInto(
  forecast: CampaignForecast,
  project: Project,
  c: Campaign,
  template: Template,
  o: Seen,
  sendAt: string,
): Promise<AudienceCounts | undefined> {
  try {
    const onTarget: TemplateOnTarget = o.offline
      ? "unknown"
      : (await templateOnTarget(template, o.target)).state;
    forecast.template = { name: template.name, source: "repository", onTarget };
    const run = { campaign: c.name, sendAt };
    const sent = o.store
      ? await sentByEarlierRuns(o.store, project.settings.project, c, run, runInstant(sendAt, o.now))
      : undefined;
    const audience = await openAudience(project, c, o.target, sent);
    // Counting needs no real unsubscribe signature: the URL only goes into data that is never sent.
    const secret = process.env[SECRET_ENV] ?? STAND_IN_SECRET;
    const messages = messageBuilder(project, c, template, secret);
    const local = localForecast(project, c, o.now, o.campaign !== undefined, messages);
    const counts = await audience.count(local?.builder ?? messages);
    forecast.counts = counts;
    if (local) forecast.localTime = local.counts();
    if (counts.invalidRows.over) {
      // file:line only: the reasons may hold a (masked) address, and a forecast holds none.
      const why = describeTooManyInvalid(
        counts.invalidRows,
        project.settings.guardrails.maxInvalidRows,
        audience.stats().invalidSamples,
        (name) => sourceFile(project, name),
        false,
      );
      forecast.notes.push(`the send will be refused: ${why}`);
    }
    return counts;
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    forecast.error = `audience not counted: ${e.message}`;
    return undefined;
  }
}

/** Where a fork's pull request (no credentials) cannot count from. */
function unreadableOffline(sources: Source[]): string | undefined {
  if (sources.some((s) => s.location?.startsWith("s3://"))) return "in S3";
  if (sources.some((s) => s.postgres)) return "in a PostgreSQL database";
  return undefined;
}

/** Where a campaign's recipients are read from (segment sources and sources named directly). */
function sourcesOf(project: Project, c: Campaign): Source[] {
  const out: Source[] = [];
  for (const name of [...c.to, ...c.exclude]) {
    const source = project.sources.get(project.segments.get(name)?.from ?? name);
    if (source) out.push(source);
  }
  return out;
}

const ON_TARGET: Record<TemplateOnTarget, (target: string) => string> = {
  same: (t) => `same as on the ${t} target`,
  differs: (t) => `differs from the ${t} target's: a send refuses until \`mailops apply\` (deploy does both)`,
  absent: (t) => `not on the ${t} target yet: a send refuses until \`mailops apply\` (deploy does both)`,
  unknown: () => "the target's copy was not read",
};

/** A recurring campaign's schedule and next occurrences, each with its recipients where known. */
function formatSchedule(r: RecurringForecast): string[] {
  const occ = r.occurrences.map((o) => `${o.at}${o.recipients !== undefined ? ` (${o.recipients})` : ""}`);
  return [`  schedule: ${r.description}`, `  next occurrences: ${occ.join(", ") || "none"}`];
}

/** `mailops send --dry-run`: the forecast as text, counts only. */
export function formatSendForecast(forecasts: CampaignForecast[], target: string): string {
  const lines = ["Dry run: nothing is sent or recorded."];
  for (const p of forecasts) {
    const byName = p.sends === "now" && p.state !== "on-merge" && p.state !== "due";
    lines.push(`${p.campaign}: ${p.state}${p.at ? ` (${p.at})` : ""}${byName ? ", sent by name" : ""}`);
    if (p.schedule) lines.push(...formatSchedule(p.schedule));
    const later = p.schedule
      ? ` at ${p.schedule.occurrences[0]?.at ?? "its next occurrence"}`
      : " once send_at comes";
    if (p.counts) lines.push(...formatCounts(p.counts, "would send", p.sends === "later" ? later : ""));
    if (p.localTime)
      lines.push(
        `  ${describeLocalTime(p.localTime)}`,
        "  by UTC hour:",
        ...hourLines(p.localTime).map((h) => `    ${h}`),
      );
    if (p.template)
      lines.push(
        `  render check: the repository's template ${p.template.name}, ${ON_TARGET[p.template.onTarget](target)}`,
      );
    for (const n of p.notes) lines.push(`  note: ${n}`);
    if (p.error) lines.push(`  error: ${p.error}`);
  }
  if (!forecasts.length) lines.push("No campaigns.");
  return `${lines.join("\n")}\n`;
}
