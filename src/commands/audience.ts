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
  type SourceRows,
  type SuppressionCheck,
} from "../audience/index.js";
import type { Campaign, Project } from "../config/model.js";
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
  /** After count(), a pass that reads the sources otherwise throws SourceChangedError (audience.ts). */
  recipients(): AsyncIterable<Recipient>;
  /** Stats of the last pass. */
  stats(): AudienceStats;
}

/** The suppression list and, in ses-list mode, the opt-outs of the campaign's topic. */
function suppressionFor(project: Project, campaign: Campaign, target: Target): Promise<SuppressionCheck> {
  const { unsubscribe } = project.settings;
  const list =
    unsubscribe.mode === "ses-list" && unsubscribe.contactList
      ? { contactList: unsubscribe.contactList, ...(campaign.topic ? { topic: campaign.topic } : {}) }
      : undefined;
  return target.suppression(list);
}

/** `sent`: whoever earlier runs reached, left out (`exclude_sent`, send/exclude-sent.ts). */
export async function openAudience(
  project: Project,
  campaign: Campaign,
  target: Target,
  sent?: SentCheck,
): Promise<CampaignAudience> {
  const { settings } = project;
  const suppression = await suppressionFor(project, campaign, target);
  const open = openSource(project.root, settings.region);
  // Rows per page of a postgres source: a tuning knob (docs/postgres.md), and tests' way to many pages.
  const pageRows = Number(process.env.MAILOPS_PG_PAGE_ROWS) || undefined;
  let last: AudienceStats | undefined;
  /** What the last count read: the send pass must read the same. */
  let counted: SourceRows[] | undefined;
  const pass = (duplicate?: AudienceDeps["duplicate"]) => {
    const a = audience(
      project,
      campaign,
      {
        open,
        suppression,
        ...(pageRows ? { pageRows } : {}),
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
      const skipped: Record<string, number> = {};
      let toSend = 0;
      counted = undefined;
      for await (const r of pass(duplicate)) {
        const p = messages.prepare(r);
        if (p.ok) toSend++;
        else skipped[p.reason] = (skipped[p.reason] ?? 0) + 1;
      }
      const s = last as AudienceStats;
      counted = s.sources.map((r) => ({ ...r }));
      return {
        read: s.read,
        invalid: s.invalid,
        notMatched: s.notMatched,
        duplicates: s.duplicates,
        excluded: s.excluded,
        ...(sent ? { excludedSent: s.excludedSent } : {}),
        suppressed: s.suppressed,
        selected: s.selected,
        skipped,
        toSend,
        invalidRows: judgeInvalidRows(s, settings.guardrails.maxInvalidRows),
      };
    },
    recipients: () => pass(),
    stats: () => last as AudienceStats,
  };
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
