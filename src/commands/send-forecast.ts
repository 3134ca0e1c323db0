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
import {
  type AudienceCounts,
  type Counted,
  type CountRequest,
  countAudiences,
  formatCounts,
} from "./audience.js";
import { namedCampaign, runState, sourceFile, templateOnTarget } from "./campaigns.js";
import { describeLocalTime, hourLines, localForecast } from "./local-time.js";
import { runInstant } from "./recurring.js";
import { forecastRecurring, type RecurringForecast, recipientsCounted } from "./recurring-forecast.js";
import {
  forecastVariants,
  formatVariants,
  type OpenedVariants,
  type VariantSummary,
  winnerStageForecast,
} from "./send-variants.js";
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
  /** A campaign with variants: the stage a send would find, each variant's count. */
  variants?: VariantSummary;
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
  const planned: Planned[] = [];
  for (const c of campaigns) planned.push(await forecastOne(project, c, seen));
  // Every audience in one pass per source (commands/audience.ts countAudiences), then each forecast's notes.
  const counting = planned.filter((p) => p.countAt && countable(p.forecast, project, p.campaign, seen));
  await countForecasts(project, counting, seen);
  for (const p of planned) if (p.campaign.schedule) recipientsCounted(p.forecast, p.campaign);
  return planned.map((p) => p.forecast);
}

/** A campaign's forecast before counting, and the run to count (its send_at key) when a send takes it. */
interface Planned {
  campaign: Campaign;
  forecast: CampaignForecast;
  countAt?: string;
  /** A campaign with variants: who gets which, told each counted recipient (countRequest). */
  variants?: OpenedVariants;
  /** Sent in each recipient's local time: who is due when, told each counted recipient. */
  local?: ReturnType<typeof localForecast>;
}

async function forecastOne(project: Project, c: Campaign, o: Seen): Promise<Planned> {
  if (c.schedule) return { campaign: c, ...(await forecastRecurring(project, c, o)) };
  const read = await readRun(c, o);
  const { run, note } = c.variants
    ? await winnerStageForecast(o.store, c, read.run, o.now)
    : { run: read.run, note: undefined };
  const forecast = dueForecast(project, c, run, o);
  if (read.damage) forecast.notes.push(read.damage);
  if (note) forecast.notes.push(note);
  if (forecast.sends === "no") return { campaign: c, forecast };
  const byName = o.campaign !== undefined;
  if (run.started && !run.complete)
    forecast.notes.push("a run is under way: recipients it already sent to are not sent to again");
  if (run.complete && byName)
    forecast.notes.push("this run is complete: a send by name only reaches recipients added since");
  return { campaign: c, forecast, countAt: sendAtKey(c) };
}

/** Whether this run can count the campaign's audience: where not, a note says why. */
function countable(forecast: CampaignForecast, project: Project, c: Campaign, o: Seen): boolean {
  const unread = o.offline ? unreadableOffline(sourcesOf(project, c)) : undefined;
  if (unread) {
    forecast.notes.push(
      `the subscriber list is ${unread}, which this run has no credentials to read: not counted`,
    );
    return false;
  }
  return project.templates.has(c.template ?? "");
}

/** What the counts leave out, and what they will stop. */
function countNotes(forecast: CampaignForecast, c: Campaign, counts: AudienceCounts, o: Seen): void {
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
 * The audiences counted against the repository's templates, one pass per source for all of them,
 * into each forecast (or the error that stopped its count).
 */
async function countForecasts(project: Project, planned: Planned[], o: Seen): Promise<void> {
  const asked: { p: Planned; request: CountRequest }[] = [];
  for (const p of planned) {
    try {
      asked.push({ p, request: await countRequest(p, project, o) });
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      p.forecast.error = `audience not counted: ${e.message}`;
    }
  }
  const counted = await countAudiences(
    project,
    asked.map((a) => a.request),
    o.target,
  );
  asked.forEach(({ p }, i) => {
    const r = counted[i] as Counted;
    if ("error" in r) {
      p.forecast.error = `audience not counted: ${r.error.message}`;
      return;
    }
    p.forecast.counts = r.counts;
    if (p.variants) p.forecast.variants = p.variants.summary(r.counts);
    if (p.local) p.forecast.localTime = p.local.counts();
    if (r.counts.invalidRows.over) {
      // file:line only: the reasons may hold a (masked) address, and a forecast holds none.
      const why = describeTooManyInvalid(
        r.counts.invalidRows,
        project.settings.guardrails.maxInvalidRows,
        r.stats.invalidSamples,
        (name) => sourceFile(project, name),
        false,
      );
      p.forecast.notes.push(`the send will be refused: ${why}`);
    }
    countNotes(p.forecast, p.campaign, r.counts, o);
  });
}

/** What a campaign's count needs: the repository's template (compared with the target's), exclude_sent. */
async function countRequest(p: Planned, project: Project, o: Seen): Promise<CountRequest> {
  const { campaign: c, forecast } = p;
  const template = project.templates.get(c.template ?? "") as Template;
  const onTarget: TemplateOnTarget = o.offline
    ? "unknown"
    : (await templateOnTarget(template, o.target)).state;
  forecast.template = { name: template.name, source: "repository", onTarget };
  const sendAt = p.countAt as string;
  const run = { campaign: c.name, sendAt };
  const sent = o.store
    ? await sentByEarlierRuns(o.store, project.settings.project, c, run, runInstant(sendAt, o.now))
    : undefined;
  // Counting needs no real unsubscribe signature: the URL only goes into data that is never sent.
  const secret = process.env[SECRET_ENV] ?? STAND_IN_SECRET;
  if (c.variants) p.variants = await forecastVariants(project, c, sendAt, { ...o, secret });
  const messages = p.variants?.messages ?? messageBuilder(project, c, template, secret);
  p.local = localForecast(project, c, o.now, o.campaign !== undefined, messages);
  return { campaign: c, messages: p.local?.builder ?? messages, ...(sent ? { sent } : {}) };
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
    if (p.variants) lines.push(...formatVariants(p.variants));
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
