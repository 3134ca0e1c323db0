/**
 * A large JSONL file counted in two parts at once: the first part on this thread, the rest in a
 * worker (DESIGN §8: the preview of every campaign over a source, beside a bare read-and-parse).
 *
 * The counts are exactly those of one read from the start. A row of the second part depends on
 * the first part only through each campaign's dedupe set: its row tests (fields, segments, a row
 * exclude) and its render verdict are its own. So the worker counts its part with dedupe sets of
 * its own and no suppression or read-ahead exclusions, and hands back per campaign the addresses
 * it met first: those its row exclude dropped, and the recipients with their render verdicts.
 * This thread then takes each through the rest of the campaign's checks, in a pass's order: a
 * repeat of an address of the first part is a duplicate; then the exclude lists; then
 * suppression; then the render verdict.
 *
 * Only campaigns whose count is exactly that split: each needs a `recipe`, what the worker makes
 * its render check from (commands/count-part.ts), and no `exclude_sent` or duplicate callback. If
 * the worker fails, this thread reads the rest itself, as the one read would have (its errors,
 * their line numbers).
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import type { Campaign, Project, Source } from "../config/model.js";
import { normalizeAddress } from "../util/email.js";
import { type Dedupe, KeySet, MarkedKeySet } from "../util/key-set.js";
import {
  type AudiencePass,
  AudienceSink,
  type AudienceStats,
  emptyStats,
  type InvalidSample,
  MAX_INVALID_SAMPLES,
  type Recipient,
  readSource,
  type SourceDeps,
  type SuppressionCheck,
  sourcePasses,
} from "./audience.js";
import type { Row } from "./condition.js";
import { openLocal } from "./open.js";
import type { RowSink, SourcePart } from "./rows.js";

/** How a source is split: given in SourceDeps by the command line, which has the worker. */
export interface SplitOptions {
  /** Counts a part elsewhere (a worker thread: commands/count-worker.ts); `cancel` stops it. */
  run(input: PartInput): { result: Promise<PartResult>; cancel(): void };
  /** A source smaller than this is read whole: a worker's start-up would cost more than it saves. */
  minBytes: number;
  /** This thread's share of the bytes (FIRST_PART unless given). */
  firstPart?: number;
}

/** What the worker is given: structured-clonable (no functions, no positions). */
export interface PartInput {
  project: Project;
  source: string;
  /** The part's first byte: the one after a line end. */
  start: number;
  members: { campaign: Campaign; recipe: unknown }[];
}

/** One campaign's count of a part. Lines of samples count from the part's start. */
export interface PartCount {
  read: number;
  invalid: number;
  notMatched: number;
  duplicates: number;
  samples: InvalidSample[];
  /** Address keys met first in the part that the row's own exclude dropped, one per line. */
  excluded: string;
  /** Address keys met first in the part that passed, one per line, in read order. */
  recipients: string;
  /** Each recipient's render verdict: 0 sent, k skipped for reasons[k - 1]. */
  verdicts: Uint16Array;
  reasons: string[];
}

export type PartResult = { counts: PartCount[] } | { error: string };

/** A render verdict: the skip reason, or undefined when the recipient would be sent. */
export type Verdict = (r: Recipient) => string | undefined;

/** One campaign of a split read, as shared-pass.ts holds it. */
export interface SplitMember {
  campaign: Campaign;
  recipe: unknown;
  dedupe: Dedupe;
  excludedKeys: KeySet;
  suppression: SuppressionCheck;
  stats: AudienceStats;
  samples: InvalidSample[];
  verdict(reason: string | undefined): void;
}

/**
 * This thread's share of the bytes: more than half, as the worker starts later (a thread and
 * its modules, some 0.1-0.2 s) and this thread then takes the worker's counts through the checks.
 */
const FIRST_PART = 0.6;

/** Where to split `source`: the byte after a line end near the middle; undefined to read it whole. */
export async function splitPoint(
  project: Project,
  source: Source,
  options: SplitOptions,
  deps: SourceDeps,
): Promise<number | undefined> {
  if (source.format !== "jsonl" || source.gzip || source.postgres || source.localPath === undefined) return;
  if (source.location?.startsWith("s3://")) return;
  let size: number;
  try {
    size = (await stat(path.resolve(project.root, source.localPath))).size;
  } catch {
    return undefined; // the read reports it
  }
  if (size < options.minBytes) return undefined;
  // Row lines are at most MAX_ROW_CHARS: a line end is found within a few chunks of the middle.
  const middle = Math.floor(size * (options.firstPart ?? FIRST_PART));
  const input = await deps.open(source, { start: middle, end: Math.min(size - 1, middle + (1 << 22)) });
  let at = middle;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const nl = chunk.indexOf(10);
      if (nl !== -1) return at + nl + 1 < size ? at + nl + 1 : undefined;
      at += chunk.length;
    }
  } finally {
    (input as { destroy?: () => void }).destroy?.();
  }
  return undefined;
}

/**
 * Reads `to`'s source for every member: up to `start` here, from there in the worker, then the
 * worker's counts through each member's remaining checks. `chunk` after each chunk read here.
 */
export async function readSplit(
  project: Project,
  to: AudiencePass,
  members: SplitMember[],
  start: number,
  options: SplitOptions,
  deps: SourceDeps,
  sink: RowSink,
  chunk: () => void,
): Promise<void> {
  const worker = options.run({
    project: portable(project),
    source: to.source.name,
    start,
    members: members.map((m) => ({ campaign: withoutDoc(m.campaign), recipe: m.recipe })),
  });
  const first: SourcePart = { range: { start: 0, end: start - 1 }, line: 0 };
  try {
    for await (const _ of readSource(to, sink, deps, {}, first)) chunk();
    chunk();
  } catch (error) {
    worker.cancel();
    throw error;
  }
  const result = await worker.result;
  worker.cancel();
  if ("error" in result) {
    // As one read would go on: this thread reads the rest, with the same sinks.
    const rest: SourcePart = { range: { start }, line: first.line };
    for await (const _ of readSource(to, sink, deps, {}, rest)) chunk();
    chunk();
    return;
  }
  members.forEach((m, k) => {
    merge(m, result.counts[k] as PartCount, first.line);
  });
}

/** A part's count of one member through its remaining checks (see the module comment). */
function merge(m: SplitMember, part: PartCount, linesBefore: number): void {
  const { stats, dedupe } = m;
  stats.read += part.read;
  stats.invalid += part.invalid;
  stats.notMatched += part.notMatched;
  stats.duplicates += part.duplicates;
  for (const s of part.samples) {
    if (m.samples.length >= MAX_INVALID_SAMPLES) break;
    m.samples.push({ ...s, line: s.line + linesBefore });
  }
  for (const key of lines(part.excluded)) {
    if (dedupe.add(key)) stats.excluded++;
    else stats.duplicates++;
  }
  const keys = lines(part.recipients);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (!dedupe.add(key)) stats.duplicates++;
    else if (m.excludedKeys.size > 0 && m.excludedKeys.has(key)) stats.excluded++;
    else if (m.suppression.has(key)) stats.suppressed++;
    else {
      stats.selected++;
      const v = part.verdicts[i] as number;
      m.verdict(v === 0 ? undefined : part.reasons[v - 1]);
    }
  }
}

const lines = (text: string): string[] => (text === "" ? [] : text.split("\n"));

/**
 * The worker's side: counts `input`'s part for each member, `verdictOf` making each one's render
 * check from its recipe. Any failure is returned, not thrown: the caller then reads the part itself.
 */
export async function countPart(
  input: PartInput,
  verdictOf: (project: Project, recipe: unknown) => Verdict,
): Promise<PartResult> {
  try {
    const { project } = input;
    const n = input.members.length;
    const keys = n > 1 ? new MarkedKeySet(n) : undefined;
    const parts = input.members.map((m, k) => {
      const to = sourcePasses(project, m.campaign).to[0] as AudiencePass;
      const excluded: string[] = [];
      const emailField = to.typer.emailField;
      const exclude = to.exclude;
      // The row exclude is asked only of an address met first: what it drops is recorded.
      const recording =
        exclude &&
        ((row: Row) => exclude(row) && excluded.push(normalizeAddress(row[emailField] as string)) > 0);
      const stats = emptyStats();
      const samples: InvalidSample[] = [];
      const sink = new AudienceSink(
        { ...to, exclude: recording || undefined },
        keys ? keys.view(k) : new KeySet(),
        new KeySet(),
        { suppression: { has: () => false } },
        stats,
        samples,
      );
      return {
        to,
        sink,
        stats,
        samples,
        excluded,
        verdict: verdictOf(project, m.recipe),
        recipients: [] as string[],
        codes: [] as number[],
        reasons: new Map<string, number>(),
      };
    });
    const to = (parts[0] as (typeof parts)[number]).to;
    const sink: RowSink = {
      row: (fields, line) => {
        for (const p of parts) p.sink.row(fields, line);
      },
      bad: (line, reason) => {
        for (const p of parts) p.sink.bad(line, reason);
      },
    };
    const handOn = () => {
      for (const p of parts) {
        for (const r of p.sink.out) {
          p.recipients.push(r.key);
          const why = p.verdict(r);
          let code = 0;
          if (why !== undefined) {
            code = p.reasons.get(why) ?? p.reasons.size + 1;
            p.reasons.set(why, code);
          }
          p.codes.push(code);
        }
        p.sink.out = [];
      }
    };
    const open = openLocal(project.root);
    for await (const _ of readSource(to, sink, { open }, {}, { range: { start: input.start }, line: 0 }))
      handOn();
    handOn();
    const counts = parts.map((p): PartCount => {
      if (p.reasons.size >= 0xffff) throw new Error("too many skip reasons to hand back");
      return {
        read: p.stats.read,
        invalid: p.stats.invalid,
        notMatched: p.stats.notMatched,
        duplicates: p.stats.duplicates,
        samples: p.samples,
        excluded: p.excluded.join("\n"),
        recipients: p.recipients.join("\n"),
        verdicts: Uint16Array.from(p.codes),
        reasons: [...p.reasons.keys()],
      };
    });
    return { counts };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The project as a worker needs it to read a source: its sources, segments and settings, without
 * the YAML documents (positions are for findings) or the templates (each recipe has its own).
 */
function portable(project: Project): Project {
  const strip = <T extends { doc?: unknown }>(m: Map<string, T>) =>
    new Map([...m].map(([k, v]) => [k, withoutDoc(v)] as const));
  return {
    ...project,
    templates: new Map(),
    campaigns: new Map(),
    sources: strip(project.sources),
    segments: strip(project.segments),
  };
}

function withoutDoc<T extends { doc?: unknown }>(entity: T): T {
  const { doc: _, ...rest } = entity;
  return rest as T;
}
