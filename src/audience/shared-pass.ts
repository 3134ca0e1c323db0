/**
 * One read of a file or S3 source for every campaign counted over it (`send --due --dry-run`, the
 * pull request's send forecast, deploy's count pass): each row is read and typed once, then each
 * campaign's segments, dedupe, exclude and suppression run on it, each campaign with its own
 * dedupe answers (one table of keys with a bit per campaign), exclusion keys and stats, exactly
 * as its own pass (audience.ts) would have them.
 * Each campaign is told each of its recipients once, in read order, by its own `tally`: what a
 * count does per recipient (the render check, and whatever else is tallied) plugs in there.
 *
 * Exclude lists read ahead (their address keys) are read first, one read per source for every
 * campaign that needs it; then each `to` source, one read for every campaign over it. A campaign
 * reads alone, as its own pass does, when its `to` is a database (one pushed-down query per
 * campaign) or more than one source (the order its sources are read in decides which of two
 * rows of one address wins). A read that fails fails the campaigns over it, not the others.
 */
import type { Campaign, Project } from "../config/model.js";
import { KeySet, MarkedKeySet } from "../util/key-set.js";
import {
  type AudienceDeps,
  type AudiencePass,
  AudienceSink,
  type AudienceStats,
  audience,
  ExclusionSink,
  emptyStats,
  type InvalidSample,
  MAX_INVALID_SAMPLES,
  type Pass,
  type Recipient,
  readSource,
  type SourceDeps,
  type SourceRows,
  type SuppressionCheck,
  sourcePasses,
} from "./audience.js";
import type { Row } from "./condition.js";
import type { RowSink } from "./rows.js";

/** One campaign of a shared count. */
export interface SharedMember {
  campaign: Campaign;
  /** The campaign's own checks: suppression (a topic's opt-outs differ), `exclude_sent`, duplicates told. */
  deps: Pick<AudienceDeps, "suppression" | "duplicate" | "sent">;
  /** Told each recipient of the campaign once, in read order. */
  tally(r: Recipient): void;
}

/** A member's stats as its own pass would have them, or why it could not be counted. */
export type SharedResult = { stats: AudienceStats } | { error: Error };

interface Member {
  m: SharedMember;
  stats: AudienceStats;
  /** Its exclude lists read ahead, and its one `to` source. */
  passes: { exclusions: Pass[]; to: AudiencePass };
  excludedKeys: KeySet;
  /** Per pass, in the campaign's read order (exclusions, then `to`): its rows, its samples. */
  rows: SourceRows[];
  samples: InvalidSample[][];
  error?: Error;
}

/** Counts every member, one read per source where it can (see the module comment). */
export async function sharedCounts(
  project: Project,
  members: SharedMember[],
  shared: SourceDeps,
): Promise<SharedResult[]> {
  const results: (SharedResult | undefined)[] = members.map(() => undefined);
  const joined: Member[] = [];
  const alone: number[] = [];
  members.forEach((m, i) => {
    try {
      const passes = sourcePasses(project, m.campaign);
      const to = passes.to[0] as AudiencePass;
      if (passes.to.length !== 1 || to.source.postgres) alone.push(i);
      else joined.push(member(m, { exclusions: passes.exclusions, to }));
    } catch (error) {
      results[i] = { error: asError(error) };
    }
  });
  await readExclusions(joined, shared);
  await readAudiences(joined, shared);
  for (const j of joined) {
    const i = members.indexOf(j.m);
    results[i] = j.error ? { error: j.error } : { stats: finished(j) };
  }
  for (const i of alone) results[i] = await ownPass(project, members[i] as SharedMember, shared);
  return results as SharedResult[];
}

function member(m: SharedMember, passes: Member["passes"]): Member {
  const stats = emptyStats();
  const all: Pass[] = [...passes.exclusions, passes.to];
  const rows = all.map((p) => ({ source: p.source.name, read: 0, invalid: 0 }));
  stats.sources.push(...rows);
  return { m, stats, passes, excludedKeys: new KeySet(), rows, samples: all.map(() => []) };
}

/** A campaign that reads alone: its own pass, each recipient to its tally. */
async function ownPass(project: Project, m: SharedMember, shared: SourceDeps): Promise<SharedResult> {
  try {
    const a = audience(project, m.campaign, { ...shared, ...m.deps });
    for await (const r of a.recipients) m.tally(r);
    return { stats: a.stats };
  } catch (error) {
    return { error: asError(error) };
  }
}

/** The exclude lists read ahead, one read per source for every campaign that needs its keys. */
async function readExclusions(joined: Member[], shared: SourceDeps): Promise<void> {
  const reads = new Map<string, { pass: Pass; members: { j: Member; at: number }[] }>();
  for (const j of joined) {
    j.passes.exclusions.forEach((pass, at) => {
      // A database's exclude list is one query per campaign, as in its own pass.
      const key = pass.source.postgres ? `${pass.source.name}\0${j.m.campaign.name}` : pass.source.name;
      const read = reads.get(key) ?? { pass, members: [] };
      read.members.push({ j, at });
      reads.set(key, read);
    });
  }
  for (const { pass, members } of reads.values()) {
    const live = members.filter(({ j }) => !j.error);
    const sinks = live.map(({ j, at }) => {
      // The source is also this campaign's `to`: its bad rows are reported there, once.
      const samples = j.passes.to.source.name === pass.source.name ? undefined : j.samples[at];
      return new ExclusionSink(j.passes.exclusions[at] as Pass, j.excludedKeys, j.stats, samples);
    });
    const before = live.map(({ j }) => [j.stats.exclusion.read, j.stats.exclusion.invalid] as const);
    await readInto(pass, sinks, live, shared, () => {});
    live.forEach(({ j, at }, k) => {
      const [read0, invalid0] = before[k] as readonly [number, number];
      const rows = j.rows[at] as SourceRows;
      rows.read = j.stats.exclusion.read - read0;
      rows.invalid = j.stats.exclusion.invalid - invalid0;
    });
  }
  for (const j of joined) j.stats.exclusion.keys = j.excludedKeys.size;
}

/** Each `to` source, one read for every campaign over it; recipients to each tally per chunk. */
async function readAudiences(joined: Member[], shared: SourceDeps): Promise<void> {
  const reads = new Map<string, Member[]>();
  for (const j of joined) {
    if (j.error) continue;
    const name = j.passes.to.source.name;
    reads.set(name, [...(reads.get(name) ?? []), j]);
  }
  for (const group of reads.values()) {
    // Campaigns with the same audience (a recurring one and a one-off over one segment, say)
    // share one sink: their rows, dedupe and stats are the same; each keeps its own tally.
    const { leaders, twins } = twinsOf(group);
    // One table of the distinct keys for the group, a bit per campaign: each campaign's view
    // answers as its own set would, in the memory of one set (util/key-set.ts).
    // A campaign reading alone keeps a plain KeySet: the same answers, without the marks.
    const keys = leaders.length > 1 ? new MarkedKeySet(leaders.length) : undefined;
    const sinks = leaders.map(
      (j, k) =>
        new AudienceSink(
          j.passes.to,
          keys ? keys.view(k) : new KeySet(),
          j.excludedKeys,
          j.m.deps,
          j.stats,
          j.samples.at(-1) as InvalidSample[],
        ),
    );
    const handOn = () =>
      leaders.forEach((leader, k) => {
        const sink = sinks[k] as AudienceSink;
        const out = sink.take();
        for (const j of [leader, ...(twins.get(leader) ?? [])]) {
          j.stats.selected += out.length;
          for (const r of out) j.m.tally(r);
        }
      });
    await readInto(
      group[0]?.passes.to as Pass,
      sinks,
      group.map((j) => ({ j })),
      shared,
      handOn,
    );
    for (const [leader, followers] of twins) for (const j of followers) sameAs(j, leader);
    for (const j of group) {
      const rows = j.rows.at(-1) as SourceRows;
      rows.read = j.stats.read;
      rows.invalid = j.stats.invalid;
    }
  }
}

/**
 * The group's campaigns by audience: a campaign whose `to` and `exclude` name the same segments
 * as an earlier one's, against the same suppression list, with no `exclude_sent` or duplicate
 * callback on either, is that one's twin. `leaders` are the others, in the group's order.
 */
function twinsOf(group: Member[]): { leaders: Member[]; twins: Map<Member, Member[]> } {
  const leaders: Member[] = [];
  const twins = new Map<Member, Member[]>();
  const byAudience = new Map<SuppressionCheck, Map<string, Member>>();
  const names = (xs: string[]) => JSON.stringify([...new Set(xs)].sort());
  for (const j of group) {
    const { deps, campaign } = j.m;
    if (deps.sent || deps.duplicate) {
      leaders.push(j);
      continue;
    }
    const audience = `${names(campaign.to)} ${names(campaign.exclude)}`;
    const same = byAudience.get(deps.suppression) ?? new Map<string, Member>();
    byAudience.set(deps.suppression, same);
    const leader = same.get(audience);
    if (leader) twins.set(leader, [...(twins.get(leader) ?? []), j]);
    else {
      same.set(audience, j);
      leaders.push(j);
    }
  }
  return { leaders, twins };
}

/** A twin's stats of the `to` pass: its leader's (`selected` is counted as each is handed on). */
function sameAs(j: Member, leader: Member): void {
  const from = leader.stats;
  const to = j.stats;
  to.read = from.read;
  to.invalid = from.invalid;
  to.notMatched = from.notMatched;
  to.duplicates = from.duplicates;
  to.excluded = from.excluded;
  to.excludedSent = from.excludedSent;
  to.suppressed = from.suppressed;
  (j.samples.at(-1) as InvalidSample[]).push(...(leader.samples.at(-1) as InvalidSample[]));
  if (leader.error) j.error = leader.error;
}

/** One read of `pass`'s source into every sink; `chunk` after each read chunk. A failure fails them all. */
async function readInto(
  pass: Pass,
  sinks: RowSink[],
  members: { j: Member }[],
  shared: SourceDeps,
  chunk: () => void,
): Promise<void> {
  if (sinks.length === 0) return;
  try {
    const sink = sinks.length === 1 ? (sinks[0] as RowSink) : new FanOut(sinks);
    for await (const _ of readSource(pass, sink, shared, {})) chunk();
    chunk();
  } catch (error) {
    for (const { j } of members) j.error = asError(error);
  }
}

/** One row to every campaign's sink, in the order given. */
class FanOut implements RowSink {
  constructor(private readonly sinks: RowSink[]) {}

  row(fields: Row, line: number): void {
    for (const s of this.sinks) s.row(fields, line);
  }

  bad(line: number, reason: string, address: string | undefined): void {
    for (const s of this.sinks) s.bad(line, reason, address);
  }

  expect(rows: number): void {
    for (const s of this.sinks) s.expect?.(rows);
  }
}

/** The samples as its own pass takes them: the first ones in its read order. */
function finished(j: Member): AudienceStats {
  j.stats.invalidSamples = j.samples.flat().slice(0, MAX_INVALID_SAMPLES);
  return j.stats;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
