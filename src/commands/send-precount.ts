/**
 * A send's shared count: the due campaigns that read the same file or S3 source are counted in one
 * pass over it (countAudiences), under the lock before the first send, and each campaign's send
 * takes its own counts from it at its turn instead of reading the source once more to count.
 *
 * A campaign's sends may come hours after that count (an earlier campaign's paced run), so a count
 * is taken only while every source it read is what it was (sourceVersion: size, modification time,
 * inode, or an S3 object's ETag); otherwise, or when that cannot be told, the campaign is counted
 * alone at its turn, as a send always did. The send pass still checks it reads what was counted
 * (audience.ts SourceChangedError), and it leaves out whoever the suppression list holds at its
 * turn as well as whoever it held at the count (CampaignAudience.adopt).
 *
 * Counted alone at their turn, as before: a campaign alone over its source (one campaign's send is
 * as it always was), one that reads a database or more than one `to` source, one with variants,
 * local-time delivery or `exclude_sent` (what it counts depends on its run and on the sends before
 * it), and one whose run collects an old address key's spellings while counting (ledger.ts).
 */
import {
  type AudienceStats,
  type SourceVersion,
  type SuppressionCheck,
  sourcePasses,
  sourceVersion,
} from "../audience/index.js";
import type { Campaign, Project, Source } from "../config/model.js";
import { messageBuilder } from "../send/message.js";
import { SECRET_ENV } from "../send/unsubscribe.js";
import type { Target } from "../targets/port.js";
import { type AudienceCounts, type CountRequest, countAudiences, suppressionLists } from "./audience.js";

/** One campaign's counts from the shared pass, and what its sources were when it read them. */
export interface PreCount {
  counts: AudienceCounts;
  stats: AudienceStats;
  suppression: SuppressionCheck;
  versions: string[];
}

/** The shared counts a send holds, by campaign, each taken at most once. */
export interface PreCounts {
  counts: Map<string, PreCount>;
  version: SourceVersion;
}

/** Counts the campaigns that share a source, one pass per source; the others are left to their turn. */
export async function preCount(project: Project, campaigns: Campaign[], target: Target): Promise<PreCounts> {
  const version = sourceVersion(project.root, project.settings.region);
  const counts = new Map<string, PreCount>();
  const bySource = new Map<string, Campaign[]>();
  for (const c of campaigns) {
    const to = sharedSource(project, c);
    if (to !== undefined) bySource.set(to, [...(bySource.get(to) ?? []), c]);
  }
  const asked: { request: CountRequest; versions: string[] }[] = [];
  const listOf = suppressionLists(project, target);
  for (const group of bySource.values()) {
    if (group.length < 2) continue;
    for (const c of group) {
      const ask = await request(project, c, listOf, version);
      if (ask) asked.push(ask);
    }
  }
  if (asked.length < 2) return { counts, version };
  const counted = await countAudiences(
    project,
    asked.map((a) => a.request),
    target,
  );
  asked.forEach(({ request: q, versions }, i) => {
    const r = counted[i];
    // A count that failed is left to the campaign's turn, which fails (or refuses) as it always did.
    if (!r || "error" in r || !q.suppression) return;
    counts.set(q.campaign.name, { counts: r.counts, stats: r.stats, suppression: q.suppression, versions });
  });
  return { counts, version };
}

/** The campaign's shared count, unless a source it read has changed since (then: count it alone). */
export async function takePreCount(
  pre: PreCounts | undefined,
  project: Project,
  campaign: Campaign,
): Promise<PreCount | undefined> {
  const p = pre?.counts.get(campaign.name);
  if (!pre || !p) return undefined;
  // Once: a recurring campaign's newer occurrence, sent after this one, is counted again.
  pre.counts.delete(campaign.name);
  const now = await versionsOf(project, campaign, pre.version);
  const same =
    now !== undefined && now.length === p.versions.length && now.every((v, i) => v === p.versions[i]);
  return same ? p : undefined;
}

/** The one file or S3 `to` source a campaign may share, or undefined when it counts alone. */
function sharedSource(project: Project, c: Campaign): string | undefined {
  if (c.variants || c.sendAt?.kind === "local" || c.excludeSent?.length) return undefined;
  if (!project.templates.has(c.template ?? "")) return undefined;
  try {
    const passes = sourcePasses(project, c);
    const all = [...passes.exclusions, ...passes.to].map((p) => p.source);
    if (passes.to.length !== 1 || all.some((s) => s.postgres)) return undefined;
    return passes.to[0]?.source.name;
  } catch {
    // A campaign whose audience does not resolve says so at its turn.
    return undefined;
  }
}

/** What a campaign's count needs, its suppression list (read once per topic), and its sources' versions before the read. */
async function request(
  project: Project,
  c: Campaign,
  listOf: (c: Campaign) => Promise<SuppressionCheck>,
  version: SourceVersion,
): Promise<{ request: CountRequest; versions: string[] } | undefined> {
  try {
    const versions = await versionsOf(project, c, version);
    if (!versions) return undefined;
    const template = project.templates.get(c.template ?? "");
    if (!template) return undefined;
    const messages = messageBuilder(project, c, template, process.env[SECRET_ENV]);
    const suppression = await listOf(c);
    return { request: { campaign: c, messages, suppression }, versions };
  } catch (e) {
    // Whatever stops it here stops it at its turn too, and is reported there.
    if (!(e instanceof Error)) throw e;
    return undefined;
  }
}

/** Each source the campaign reads, as it is now; undefined when one cannot be told. */
async function versionsOf(
  project: Project,
  c: Campaign,
  version: SourceVersion,
): Promise<string[] | undefined> {
  const passes = sourcePasses(project, c);
  const sources: Source[] = [...passes.exclusions, ...passes.to].map((p) => p.source);
  const out: string[] = [];
  for (const s of sources) {
    const v = await version(s);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}
