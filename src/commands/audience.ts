/** Wires a campaign's audience: sources (local or S3), segments, suppression from the target. */
import {
  type AudienceDeps,
  type AudienceStats,
  audience,
  openSource,
  type Recipient,
} from "../audience/index.js";
import type { Campaign, Project } from "../config/model.js";
import type { MessagePlan } from "../send/message.js";
import type { SuppressionCheck, Target } from "../targets/port.js";

export interface AudienceCounts {
  read: number;
  invalid: number;
  notMatched: number;
  duplicates: number;
  excluded: number;
  suppressed: number;
  selected: number;
  /** Recipients the render check would skip, by reason. */
  skipped: Record<string, number>;
  toSend: number;
}

export interface CampaignAudience {
  /** `duplicate` is told each row dropped as a repeat of an earlier row's address key. */
  count(plan: MessagePlan, duplicate?: AudienceDeps["duplicate"]): Promise<AudienceCounts>;
  recipients(): AsyncIterable<Recipient>;
  /** Stats of the last pass. */
  stats(): AudienceStats;
}

export async function openAudience(
  project: Project,
  campaign: Campaign,
  target: Target,
): Promise<CampaignAudience> {
  const { settings } = project;
  const list =
    settings.unsubscribe.mode === "ses-list" && settings.unsubscribe.contactList
      ? {
          contactList: settings.unsubscribe.contactList,
          ...(campaign.topic ? { topic: campaign.topic } : {}),
        }
      : undefined;
  const suppression: SuppressionCheck = await target.suppression(list);
  const open = openSource(project.root, settings.region);
  let last: AudienceStats | undefined;
  const pass = (duplicate?: AudienceDeps["duplicate"]) => {
    const a = audience(project, campaign, { open, suppression, ...(duplicate ? { duplicate } : {}) });
    last = a.stats;
    return a.recipients;
  };
  return {
    async count(plan, duplicate) {
      const skipped: Record<string, number> = {};
      let toSend = 0;
      for await (const r of pass(duplicate)) {
        const p = plan.prepare(r);
        if (p.ok) toSend++;
        else skipped[p.reason] = (skipped[p.reason] ?? 0) + 1;
      }
      const s = last as AudienceStats;
      return {
        read: s.read,
        invalid: s.invalid,
        notMatched: s.notMatched,
        duplicates: s.duplicates,
        excluded: s.excluded,
        suppressed: s.suppressed,
        selected: s.selected,
        skipped,
        toSend,
      };
    },
    recipients: () => pass(),
    stats: () => last as AudienceStats,
  };
}

/** The audience lines shared by the send report and the dry run. */
export function formatCounts(c: AudienceCounts, toSend: string, suffix = ""): string[] {
  const lines = [
    `  audience ${c.selected + c.excluded + c.suppressed + c.duplicates}, excluded ${c.excluded}, suppressed ${c.suppressed}, duplicates ${c.duplicates}, invalid rows ${c.invalid}`,
  ];
  const skipped = Object.entries(c.skipped);
  if (skipped.length) lines.push(`  skipped: ${skipped.map(([k, v]) => `${v} ${k}`).join(", ")}`);
  lines.push(`  ${toSend} ${c.toSend}${suffix}`);
  return lines;
}
