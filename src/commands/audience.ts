/** Wires a campaign's audience: sources (local or S3), segments, suppression from the target. */
import {
  type AudienceDeps,
  type AudienceStats,
  audience,
  type InvalidRows,
  judgeInvalidRows,
  openSource,
  type Recipient,
  type SentCheck,
  type SharedMember,
  type SharedResult,
  type SourceRows,
  type SuppressionCheck,
  sharedCounts,
} from "../audience/index.js";
import type { Campaign, Project, Settings } from "../config/model.js";
import type { MessageBuilder } from "../send/message.js";
import type { Target } from "../targets/port.js";

export interface AudienceCounts {
  read: number;
  invalid: number;
  notMatched: number;
  duplicates: number;
  excluded: number;
  /** Of `excluded`, those an earlier run reached (`exclude_sent`); only for a campaign that has it. */
  excludedSent?: number;
  suppressed: number;
  selected: number;
  /** Recipients the render check would skip, by reason. */
  skipped: Record<string, number>;
  toSend: number;
  /** guardrails.max_invalid_rows over every source read (exclude-only ones too); a send refuses when `over`. */
  invalidRows: InvalidRows;
}

export interface CampaignAudience {
  /** `duplicate` is told each row dropped as a repeat of an earlier row's address key. */
  count(messages: MessageBuilder, duplicate?: AudienceDeps["duplicate"]): Promise<AudienceCounts>;
  /**
   * Takes a shared count of this campaign (send-precount.ts) as its count: the send pass then
   * expects what that count read, and leaves out whoever that count's suppression list held as well
   * as whoever the current one holds, so the counts stay an upper bound of who is sent.
   */
  adopt(pre: { counts: AudienceCounts; stats: AudienceStats; suppression: SuppressionCheck }): AudienceCounts;
  /** After count(), a pass that reads the sources otherwise throws SourceChangedError (audience.ts). */
  recipients(): AsyncIterable<Recipient>;
  /** Stats of the last pass. */
  stats(): AudienceStats;
}

/** The suppression list and, in ses-list mode, the opt-outs of the campaign's topic. */
export function suppressionFor(
  project: Project,
  campaign: Campaign,
  target: Target,
): Promise<SuppressionCheck> {
  const { unsubscribe } = project.settings;
  const list =
    unsubscribe.mode === "ses-list" && unsubscribe.contactList
      ? { contactList: unsubscribe.contactList, ...(campaign.topic ? { topic: campaign.topic } : {}) }
      : undefined;
  return target.suppression(list);
}

/**
 * suppressionFor, each list read once for the campaigns of one topic: one read of SES's list, and
 * one object, which tells the shared pass that campaigns' audiences can be the same (shared-pass.ts).
 */
export function suppressionLists(
  project: Project,
  target: Target,
): (c: Campaign) => Promise<SuppressionCheck> {
  const lists = new Map<string, Promise<SuppressionCheck>>();
  return (campaign) => {
    const topic = campaign.topic ?? "";
    const list = lists.get(topic) ?? suppressionFor(project, campaign, target);
    lists.set(topic, list);
    return list;
  };
}

/** `sent`: whoever earlier runs reached, left out (`exclude_sent`, send/exclude-sent.ts). */
export async function openAudience(
  project: Project,
  campaign: Campaign,
  target: Target,
  sent?: SentCheck,
): Promise<CampaignAudience> {
  const { settings } = project;
  let suppression = await suppressionFor(project, campaign, target);
  const shared = sourceDeps(project);
  let last: AudienceStats | undefined;
  /** What the last count read: the send pass must read the same. */
  let counted: SourceRows[] | undefined;
  const pass = (duplicate?: AudienceDeps["duplicate"]) => {
    const a = audience(
      project,
      campaign,
      {
        ...shared,
        suppression,
        ...(duplicate ? { duplicate } : {}),
        ...(sent ? { sent } : {}),
      },
      counted ? { expect: counted } : {},
    );
    last = a.stats;
    return a.recipients;
  };
  return {
    async count(messages, duplicate) {
      const check = renderCheck(messages);
      counted = undefined;
      for await (const r of pass(duplicate)) check.add(r);
      const s = last as AudienceStats;
      counted = s.sources.map((r) => ({ ...r }));
      return countsOf(s, check, sent !== undefined, settings);
    },
    adopt(pre) {
      const now = suppression;
      suppression = { has: (key) => now.has(key) || pre.suppression.has(key) };
      counted = pre.stats.sources.map((r) => ({ ...r }));
      last = pre.stats;
      return pre.counts;
    },
    recipients: () => pass(),
    stats: () => last as AudienceStats,
  };
}

/**
 * The render check, a count's step per recipient (told each recipient of the campaign once, in
 * read order): who would be sent, and who skipped for which reason. What a forecast counts besides
 * (by variant, by hour) is in its builder (send-variants.ts, local-time.ts).
 */
interface RenderCheck {
  add(r: Recipient): void;
  toSend: number;
  skipped: Record<string, number>;
}

function renderCheck(messages: MessageBuilder): RenderCheck {
  const check: RenderCheck = {
    toSend: 0,
    skipped: {},
    add(r) {
      // The verdict only: building each recipient's data was a third of a campaign's count.
      const reason = messages.skipReason(r);
      if (reason === undefined) check.toSend++;
      else check.skipped[reason] = (check.skipped[reason] ?? 0) + 1;
    },
  };
  return check;
}

function countsOf(
  s: AudienceStats,
  check: RenderCheck,
  excludeSent: boolean,
  settings: Settings,
): AudienceCounts {
  return {
    read: s.read,
    invalid: s.invalid,
    notMatched: s.notMatched,
    duplicates: s.duplicates,
    excluded: s.excluded,
    ...(excludeSent ? { excludedSent: s.excludedSent } : {}),
    suppressed: s.suppressed,
    selected: s.selected,
    skipped: check.skipped,
    toSend: check.toSend,
    invalidRows: judgeInvalidRows(s, settings.guardrails.maxInvalidRows),
  };
}

/** One campaign of a shared count (countAudiences). */
export interface CountRequest {
  campaign: Campaign;
  /** The render check's messages. */
  messages: MessageBuilder;
  /** `exclude_sent`: whoever earlier runs reached. */
  sent?: SentCheck;
  /** Told each row dropped as a repeat of an earlier row's address key (CampaignAudience.count). */
  duplicate?: AudienceDeps["duplicate"];
  /** The suppression list to count against, read by the caller; read here otherwise. */
  suppression?: SuppressionCheck;
}

/** A campaign's counts and the stats behind them (its invalid samples, what each source read), or why not. */
export type Counted = { counts: AudienceCounts; stats: AudienceStats } | { error: Error };

/**
 * Every campaign of `requests` counted as CampaignAudience.count counts it, with one read of each
 * file or S3 source for all of them (audience/shared-pass.ts). Results in the order asked.
 */
export async function countAudiences(
  project: Project,
  requests: CountRequest[],
  target: Target,
): Promise<Counted[]> {
  const out: Counted[] = [];
  const joined: { at: number; check: RenderCheck; member: SharedMember }[] = [];
  const listOf = suppressionLists(project, target);
  for (const q of requests) {
    let suppression: SuppressionCheck;
    try {
      suppression = q.suppression ?? (await listOf(q.campaign));
    } catch (e) {
      // As openAudience: a campaign whose list cannot be read is not counted; the others are.
      if (!(e instanceof Error)) throw e;
      out.push({ error: e });
      continue;
    }
    const check = renderCheck(q.messages);
    const deps = {
      suppression,
      ...(q.sent ? { sent: q.sent } : {}),
      ...(q.duplicate ? { duplicate: q.duplicate } : {}),
    };
    joined.push({
      at: out.length,
      check,
      member: { campaign: q.campaign, deps, tally: (r) => check.add(r) },
    });
    out.push({ error: new Error("not counted") });
  }
  const results = await sharedCounts(
    project,
    joined.map((j) => j.member),
    sourceDeps(project),
  );
  joined.forEach(({ at, check }, k) => {
    const r = results[k] as SharedResult;
    const excludeSent = requests[at]?.sent !== undefined;
    out[at] =
      "error" in r ? r : { counts: countsOf(r.stats, check, excludeSent, project.settings), stats: r.stats };
  });
  return out;
}

/** How sources are opened and paged, the same for every campaign. */
function sourceDeps(project: Project): { open: ReturnType<typeof openSource>; pageRows?: number } {
  // Rows per page of a postgres source: a tuning knob (docs/postgres.md), and tests' way to many pages.
  const pageRows = Number(process.env.MAILOPS_PG_PAGE_ROWS) || undefined;
  return { open: openSource(project.root, project.settings.region), ...(pageRows ? { pageRows } : {}) };
}

/** The audience lines shared by the send report and the dry run. */
export function formatCounts(c: AudienceCounts, toSend: string, suffix = ""): string[] {
  // Invalid rows of exclude-only sources count toward guardrails.max_invalid_rows too.
  const inExcludes = c.invalidRows.invalid - c.invalid;
  const lines = [
    `  audience ${c.selected + c.excluded + c.suppressed + c.duplicates}, excluded ${c.excluded}${c.excludedSent !== undefined ? ` (${c.excludedSent} reached by an earlier run)` : ""}, suppressed ${c.suppressed}, duplicates ${c.duplicates}, invalid rows ${c.invalid}${inExcludes > 0 ? ` (and ${inExcludes} in exclude lists)` : ""}`,
  ];
  const skipped = Object.entries(c.skipped);
  if (skipped.length) lines.push(`  skipped: ${skipped.map(([k, v]) => `${v} ${k}`).join(", ")}`);
  lines.push(`  ${toSend} ${c.toSend}${suffix}`);
  return lines;
}
