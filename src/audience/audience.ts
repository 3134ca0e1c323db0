/**
 * A campaign's audience as a stream (source ▸ segment ▸ exclude ▸ suppression; docs/architecture.md).
 *
 * Per row of a `to` source, in this order, each row landing in exactly one counter:
 *   invalid (does not fit the declared fields) → notMatched (in no `to` segment) → duplicates (an
 *   address seen before: the first occurrence wins, whatever became of it) → excluded → suppressed
 *   → selected.
 * So `read = invalid + notMatched + duplicates + excluded + suppressed + selected` once the stream
 * is consumed.
 *
 * Sources are read in the order `to` first names them, each once, with all its `to` segments
 * tested on the same row. An `exclude` over the same (only) source is tested on the row too; an
 * `exclude` that must also apply to rows of other sources is read first, keeping only the excluded
 * keys. Memory is the dedupe set (one key per distinct address, kept as bytes: util/key-set.ts), those
 * exclusion keys, one read chunk and a small batch of recipients; never the list.
 */
import type { Campaign, Condition, Project, Source } from "../config/model.js";
import { MailopsError } from "../errors.js";
import { normalizeAddress } from "../util/email.js";
import { type Dedupe, KeySet } from "../util/key-set.js";
import { anyOf, compileCondition, type Predicate, type Row } from "./condition.js";
import { readCsv } from "./csv.js";
import { compileTyper, type Typer } from "./fields.js";
import { readJsonArray } from "./json-array.js";
import { readJsonl } from "./jsonl.js";
import { fileSize, type OpenSource, sourceBytes } from "./open.js";
import { type FilteredSink, type KeyRange, readPostgres } from "./postgres.js";
import { DamagedSourceError, InputFailed, type RowSink } from "./rows.js";

/**
 * Recipients earlier runs reached (`exclude_sent`, send/exclude-sent.ts): checked by address and
 * address key, after `exclude`; counted as excluded (and in `excludedSent`).
 */
export interface SentCheck {
  has(address: string, key: string): boolean;
}

/** All the audience asks of a suppression list; every target returns one (targets/port.ts). */
export interface SuppressionCheck {
  has(key: string): boolean;
}

export interface Recipient {
  /**
   * The address as sent: the first row's own spelling of it, trimmed, an internationalized domain
   * in ASCII form (audience/fields.ts).
   */
  address: string;
  /** The address key (util/email.ts normalizeAddress): dedupe, exclusion, suppression, ledger ids. */
  key: string;
  /** The subscriber's fields, typed per the source declaration, defaults applied. */
  fields: Record<string, unknown>;
  source: string;
  /** 1-based line (jsonl/csv) or array index+1 (json) in the source, for messages. */
  line: number;
}

export interface InvalidSample {
  source: string;
  line: number;
  /** Names the field and what was expected; an address appears only masked (j***@example.com). */
  reason: string;
}

export const MAX_INVALID_SAMPLES = 20;

/**
 * One pass over one source: its rows and how many were invalid, before any segment filter (for a
 * postgres source whose segments the database filtered: the rows it returned).
 */
export interface SourceRows {
  source: string;
  read: number;
  invalid: number;
  /** A postgres source's `to` pass: the last key read (null: none). The send pass reads no further. */
  through?: string | null;
}

export interface AudienceStats {
  /**
   * Rows read from the `to` sources. A postgres source whose segments are pushed down into its
   * query returns only the rows that may match: those are the rows read (and checked, and counted
   * toward max_invalid_rows); the rest never leave the database.
   */
  read: number;
  /** Rows skipped: bad email, wrong type, missing required field, unparseable line. */
  invalid: number;
  /** The first skipped rows of any source read (exclude sources too), each row once. */
  invalidSamples: InvalidSample[];
  /** Rows outside the `to` segments. */
  notMatched: number;
  /** Repeated addresses, sent once. */
  duplicates: number;
  /** Removed by `exclude`, and by `exclude_sent`. */
  excluded: number;
  /** Of `excluded`, those an earlier run reached (`exclude_sent`). */
  excludedSent: number;
  /** Removed by suppression (account list, topic opt-outs, local file). */
  suppressed: number;
  /** Recipients yielded so far. The other counters may run up to one read chunk ahead of it. */
  selected: number;
  /** The first pass over exclude sources whose keys are collected (see the module comment). */
  exclusion: {
    read: number;
    /**
     * Rows skipped as invalid. One with a valid address is still excluded: when a row of an
     * exclude list cannot be checked, not sending is the safe side.
     */
    invalid: number;
    /** Distinct addresses collected. */
    keys: number;
  };
  /**
   * Every pass in read order (exclusion passes first), updated as each chunk is read. The same
   * source may appear twice (an exclude also read as a `to` source): sourceTotals counts it once.
   */
  sources: SourceRows[];
}

export interface AudienceDeps {
  open: OpenSource;
  suppression: SuppressionCheck;
  /**
   * Told the address of each row dropped as a repeat of an earlier row's key: a run recorded
   * under the old key may know the person by that spelling (send/ledger.ts).
   */
  duplicate?: (address: string, key: string) => void;
  /** `exclude_sent`: who earlier runs reached. */
  sent?: SentCheck;
  /** Where a postgres source's `url_env` is looked up: process.env unless given. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Rows per page of a postgres source (audience/postgres.ts PAGE_ROWS unless given). */
  pageRows?: number;
}

/** What reading a source needs, the same for every campaign over it. */
export type SourceDeps = Pick<AudienceDeps, "open" | "env" | "pageRows">;

export function emptyStats(): AudienceStats {
  return {
    read: 0,
    invalid: 0,
    invalidSamples: [],
    notMatched: 0,
    duplicates: 0,
    excluded: 0,
    excludedSent: 0,
    suppressed: 0,
    selected: 0,
    exclusion: { read: 0, invalid: 0, keys: 0 },
    sources: [],
  };
}

export interface AudienceOptions {
  /**
   * The passes a count of the same audience saw (its stats.sources). A pass that reads otherwise
   * (the file changed, or its reading failed) throws SourceChangedError: before the recipients
   * past the count are handed out, or at the end of a pass that read fewer rows.
   */
  expect?: SourceRows[];
}

/** The sources read differently from the count the send was checked against. */
export class SourceChangedError extends MailopsError {}

/**
 * Resolves the campaign's audience now (unknown names, bad conditions and undeclared fields throw
 * a MailopsError here, before anything is read) and returns a stream that reads it lazily.
 */
export function audience(
  project: Project,
  campaign: Campaign,
  deps: AudienceDeps,
  options: AudienceOptions = {},
): { recipients: AsyncIterable<Recipient>; stats: AudienceStats } {
  const passes = sourcePasses(project, campaign);
  const stats = emptyStats();
  return { recipients: new RecipientStream(batches(passes, deps, stats, options.expect), stats), stats };
}

export interface Pass {
  source: Source;
  typer: Typer;
  match: Predicate;
  /** The conditions behind `match`, one per segment (undefined: the whole source), to push down. */
  where: (Condition | undefined)[];
}
export interface AudiencePass extends Pass {
  /** Excludes tested on the row itself; undefined when none apply by row. */
  exclude: Predicate | undefined;
}
/** A campaign's reads of its sources: `exclusions` first (the address keys they exclude), then each `to` source. */
export interface SourcePasses {
  exclusions: Pass[];
  to: AudiencePass[];
}

const everyone: Predicate = () => true;

export function sourcePasses(project: Project, campaign: Campaign): SourcePasses {
  if (campaign.to.length === 0) {
    throw new MailopsError(`campaign \`${campaign.name}\` has no \`to\``, `set \`to:\` in ${campaign.file}`);
  }
  const typers = new Map<string, Typer>();
  const typerOf = (source: Source) => {
    let t = typers.get(source.name);
    if (t === undefined) {
      t = compileTyper(source);
      typers.set(source.name, t);
    }
    return t;
  };
  const group = (names: string[], key: "to" | "exclude") => {
    const bySource = new Map<
      string,
      { source: Source; tests: Predicate[]; where: (Condition | undefined)[] }
    >();
    for (const name of names) {
      const { source, test, where } = resolve(project, campaign, name, key);
      let g = bySource.get(source.name);
      if (g === undefined) {
        g = { source, tests: [], where: [] };
        bySource.set(source.name, g);
      }
      g.tests.push(test);
      g.where.push(where);
    }
    return [...bySource.values()].map(({ source, tests, where }) => ({
      source,
      // A source named outright covers all its rows, whatever segments of it are also listed.
      match: tests.includes(everyone) ? everyone : anyOf(tests),
      where,
    }));
  };
  const to = group(campaign.to, "to");
  const exclude = group(campaign.exclude, "exclude");
  const exclusions: Pass[] = [];
  const byRow = new Map<string, Predicate>();
  for (const e of exclude) {
    // Rows of another `to` source can only be excluded by address: collect the keys first.
    if (to.some((t) => t.source.name !== e.source.name)) {
      exclusions.push({ ...e, typer: typerOf(e.source) });
    } else {
      byRow.set(e.source.name, e.match);
    }
  }
  return {
    exclusions,
    to: to.map((t) => ({ ...t, typer: typerOf(t.source), exclude: byRow.get(t.source.name) })),
  };
}

function resolve(
  project: Project,
  campaign: Campaign,
  name: string,
  key: "to" | "exclude",
): { source: Source; test: Predicate; where?: Condition } {
  const segment = project.segments.get(name);
  const direct = project.sources.get(name);
  if (segment !== undefined && direct !== undefined) {
    throw new MailopsError(
      `\`${name}\` in \`${key}\` of campaign \`${campaign.name}\` names both a segment and a subscriber source`,
      "rename one of them",
    );
  }
  if (direct !== undefined) return { source: direct, test: everyone };
  if (segment === undefined) {
    throw new MailopsError(
      `\`${name}\` in \`${key}\` of campaign \`${campaign.name}\` is neither a segment nor a subscriber source`,
      `check ${campaign.file}`,
    );
  }
  const source = segment.from === undefined ? undefined : project.sources.get(segment.from);
  if (source === undefined) {
    throw new MailopsError(
      `segment \`${name}\` is over \`${segment.from ?? "(none)"}\`, which is not a subscriber source`,
      `set \`from:\` in ${segment.file}`,
    );
  }
  if (segment.where === undefined) return { source, test: everyone };
  try {
    return { source, test: compileCondition(segment.where, source.fields), where: segment.where };
  } catch (error) {
    if (error instanceof MailopsError) {
      throw new MailopsError(`segment \`${name}\` (${segment.file}): ${error.message}`, error.hint);
    }
    throw error;
  }
}

/** The recipients in batches, one per read chunk: the per-recipient work is in RecipientStream. */
async function* batches(
  passes: SourcePasses,
  deps: AudienceDeps,
  stats: AudienceStats,
  expect: SourceRows[] | undefined,
): AsyncGenerator<Recipient[]> {
  const excludedKeys = new KeySet();
  const audienceSources = new Set(passes.to.map((t) => t.source.name));
  const { exclusion } = stats;
  for (const pass of passes.exclusions) {
    // A source also read row by row below reports its bad rows there, once.
    const samples = audienceSources.has(pass.source.name) ? undefined : stats.invalidSamples;
    const sink = new ExclusionSink(pass, excludedKeys, stats, samples);
    const rows = { source: pass.source.name, read: 0, invalid: 0 };
    const [read0, invalid0] = [exclusion.read, exclusion.invalid];
    stats.sources.push(rows);
    // A database's exclude list is read as it is now, unbounded: a row added since the count
    // keeps one more person out, the safe side.
    for await (const _ of readSource(pass, sink, deps, {})) {
      // The sink has done the work.
    }
    rows.read = exclusion.read - read0;
    rows.invalid = exclusion.invalid - invalid0;
    if (expect && !pass.source.postgres)
      sameAsCounted(rows, expect[stats.sources.length - 1], pass.source, true);
  }
  stats.exclusion.keys = excludedKeys.size;
  const seen = new KeySet();
  for (const pass of passes.to) {
    const sink = new AudienceSink(pass, seen, excludedKeys, deps, stats);
    const rows: SourceRows = { source: pass.source.name, read: 0, invalid: 0 };
    const [read0, invalid0] = [stats.read, stats.invalid];
    stats.sources.push(rows);
    const counted = expect?.[stats.sources.length - 1];
    const range: KeyRange = expect ? { through: counted?.through ?? null } : {};
    for await (const _ of readSource(pass, sink, deps, range)) {
      // Per chunk, not per row: this chunk's recipients are held back if it read past the count.
      rows.read = stats.read - read0;
      rows.invalid = stats.invalid - invalid0;
      if (expect) sameAsCounted(rows, counted, pass.source, false);
      const out = sink.take();
      if (out.length === 0) continue;
      yield out;
    }
    rows.read = stats.read - read0;
    rows.invalid = stats.invalid - invalid0;
    if (pass.source.postgres) rows.through = range.last ?? null;
    if (expect) sameAsCounted(rows, counted, pass.source, true);
  }
}

/** Throws unless the pass so far fits the count's (`done`: it must equal it). */
function sameAsCounted(
  rows: SourceRows,
  counted: SourceRows | undefined,
  source: Source,
  done: boolean,
): void {
  // A database changes while it is read: fewer rows than counted (deleted, or out of the segment
  // now) are fine, they are simply not sent; more than the count checked are not.
  const exact = done && source.postgres === undefined;
  const fits =
    counted !== undefined &&
    (exact
      ? rows.read === counted.read && rows.invalid === counted.invalid
      : rows.read <= counted.read && rows.invalid <= counted.invalid);
  if (fits) return;
  const was = counted ? `${counted.read} rows (${counted.invalid} invalid)` : "nothing";
  throw new SourceChangedError(
    `${describeSource(source)} changed after it was counted: the count read ${was}, this pass ${done ? "read" : "has read"} ${rows.read} (${rows.invalid} invalid)${done ? "" : " so far"}`,
    "the run stops here, not complete: the next send counts the sources again and sends only to those not sent to yet",
  );
}

/**
 * One recipient at a time from the batches. Hand-written rather than an async generator: a
 * generator's per-item bookkeeping (request queue, awaits, promises) was a tenth of the audience
 * budget; here an item from the current batch costs one resolved promise.
 */
class RecipientStream implements AsyncIterableIterator<Recipient> {
  private batch: Recipient[] = [];
  private next_ = 0;
  private done = false;
  /** A batch being fetched; next() calls made meanwhile wait for it, so order is kept. */
  private fetching: Promise<unknown> | undefined;

  constructor(
    private readonly source: AsyncGenerator<Recipient[]>,
    private readonly stats: AudienceStats,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Recipient>> {
    if (this.fetching === undefined && this.next_ < this.batch.length) {
      this.stats.selected++;
      return Promise.resolve({ value: this.batch[this.next_++] as Recipient, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    if (this.fetching !== undefined) return this.fetching.then(() => this.next());
    const fetching = this.fetch();
    this.fetching = fetching;
    return fetching.then(
      () => {
        this.fetching = undefined;
        return this.next();
      },
      (error: unknown) => {
        this.fetching = undefined;
        this.done = true;
        throw error;
      },
    );
  }

  async return(): Promise<IteratorResult<Recipient>> {
    this.done = true;
    this.batch = [];
    // Closes the source: the reader's finally blocks destroy the open streams.
    await this.source.return(undefined);
    return { value: undefined, done: true };
  }

  private async fetch(): Promise<void> {
    const r = await this.source.next();
    if (r.done) this.done = true;
    else {
      this.batch = r.value;
      this.next_ = 0;
    }
  }
}

function sample(samples: InvalidSample[], source: string, line: number, reason: string): void {
  if (samples.length < MAX_INVALID_SAMPLES) samples.push({ source, line, reason });
}

/**
 * Matched rows a sink holds before it decides them: about a read chunk's (readers yield every 512
 * or 1,024 rows); more between two yields are decided 512 at a time.
 */
const PENDING = 512;

/**
 * Per row of a `to` source. A class, not closures: one monomorphic call site per row.
 *
 * A row in the campaign's segments waits, and the waiting rows are decided together (flush):
 * dedupe, exclude, suppression, in read order, as each row alone would be. Together, because
 * the dedupe set is probed for all of them in one loop (Dedupe.addAll), where its cache misses
 * overlap: a third of the shared forecast's time went to them one row at a time. take() decides
 * what waits, so the counters are whole whenever the recipients are handed on.
 */
export class AudienceSink implements FilteredSink {
  private out: Recipient[] = [];
  private pending = 0;
  private readonly rows: (Row | undefined)[] = [];
  private readonly lines = new Int32Array(PENDING);
  private readonly keys: string[] = [];
  private readonly fresh = new Uint8Array(PENDING);
  private readonly hashes = new Int32Array(PENDING);
  private readonly name: string;
  private readonly emailField: string;
  private match: Predicate;
  private readonly exclude: Predicate | undefined;
  /** The suppression check when it is a KeySet (localSuppression's): probed with the dedupe hash. */
  private readonly localSuppression: KeySet | undefined;
  private readonly suppression: SuppressionCheck;
  private readonly duplicate: AudienceDeps["duplicate"];
  private readonly sent: SentCheck | undefined;

  constructor(
    pass: AudiencePass,
    /** The campaign's dedupe set: its own KeySet, or its view of a shared pass's MarkedKeySet. */
    private readonly seen: Dedupe,
    private readonly excludedKeys: KeySet,
    deps: Pick<AudienceDeps, "suppression" | "duplicate" | "sent">,
    private readonly stats: AudienceStats,
    /** Where its invalid rows' samples go: the stats' own list unless a shared pass keeps them per pass. */
    private readonly samples: InvalidSample[] = stats.invalidSamples,
  ) {
    this.suppression = deps.suppression;
    this.duplicate = deps.duplicate;
    this.sent = deps.sent;
    this.name = pass.source.name;
    this.emailField = pass.typer.emailField;
    this.match = pass.match;
    this.exclude = pass.exclude;
    this.localSuppression = deps.suppression instanceof KeySet ? deps.suppression : undefined;
  }

  /** The database filtered the rows; when by the whole condition, they need no test here. */
  pushedDown(complete: boolean): void {
    if (complete) this.match = everyone;
  }

  /**
   * Room in the dedupe set for the recipients `rows` rows would give at the share of the rows so
   * far in the campaign's segments, in one step instead of a dozen doublings (each a copy of the
   * table, about 2% of a dry run over a million rows). A little under the estimate: one a little
   * over a power of two would double the table for nothing, one under costs one last doubling.
   */
  expect(rows: number): void {
    const { read, notMatched, invalid } = this.stats;
    const matched = read - notMatched - invalid;
    if (read > 0 && matched > 0) this.seen.reserve(Math.floor((0.9 * rows * matched) / read));
  }

  row(fields: Row, line: number): void {
    const stats = this.stats;
    stats.read++;
    if (!this.match(fields)) {
      stats.notMatched++;
      return;
    }
    const n = this.pending;
    this.rows[n] = fields;
    this.lines[n] = line;
    this.pending = n + 1;
    if (n + 1 === PENDING) this.flush();
  }

  /** The recipients so far, handed over: the rows waiting are decided first. */
  take(): Recipient[] {
    this.flush();
    const out = this.out;
    this.out = [];
    return out;
  }

  /** Decides the rows waiting, in read order; each ends in exactly one counter, or in `out`. */
  private flush(): void {
    const n = this.pending;
    if (n === 0) return;
    this.pending = 0;
    const { rows, lines, keys, fresh, hashes, stats } = this;
    const emailField = this.emailField;
    for (let k = 0; k < n; k++) keys[k] = normalizeAddress((rows[k] as Row)[emailField] as string);
    this.seen.addAll(keys, n, fresh, hashes);
    const local = this.localSuppression;
    for (let k = 0; k < n; k++) {
      const fields = rows[k] as Row;
      const key = keys[k] as string;
      const address = fields[emailField] as string;
      rows[k] = undefined;
      keys[k] = "";
      if (fresh[k] === 0) {
        stats.duplicates++;
        this.duplicate?.(address, key);
        continue;
      }
      const h = hashes[k] as number;
      if (this.exclude?.(fields) || (this.excludedKeys.size > 0 && this.excludedKeys.hasHashed(key, h))) {
        stats.excluded++;
        continue;
      }
      if (this.sent?.has(address, key)) {
        stats.excluded++;
        stats.excludedSent++;
        continue;
      }
      // An empty list (a new repository's, a dry run's) is not probed per recipient.
      if (local ? local.size > 0 && local.hasHashed(key, h) : this.suppression.has(key)) {
        stats.suppressed++;
        continue;
      }
      this.out.push({ address, key, fields, source: this.name, line: lines[k] as number });
    }
  }

  bad(line: number, reason: string): void {
    this.stats.read++;
    this.stats.invalid++;
    sample(this.samples, this.name, line, reason);
  }
}

/** Per row of an exclude source read ahead: keeps only the keys. */
export class ExclusionSink implements RowSink {
  private readonly name: string;
  private readonly emailField: string;
  private readonly match: Predicate;

  constructor(
    pass: Pass,
    private readonly keys: KeySet,
    private readonly stats: AudienceStats,
    /** Where its invalid rows' samples go; undefined when the row is reported by a `to` pass. */
    private readonly samples: InvalidSample[] | undefined,
  ) {
    this.name = pass.source.name;
    this.emailField = pass.typer.emailField;
    this.match = pass.match;
  }

  row(fields: Row): void {
    this.stats.exclusion.read++;
    if (this.match(fields)) this.keys.add(normalizeAddress(fields[this.emailField] as string));
  }

  bad(line: number, reason: string, address: string | undefined): void {
    this.stats.exclusion.read++;
    this.stats.exclusion.invalid++;
    if (address !== undefined) this.keys.add(normalizeAddress(address));
    if (this.samples) sample(this.samples, this.name, line, reason);
  }
}

export async function* readSource(
  pass: Pass,
  sink: FilteredSink,
  deps: SourceDeps,
  range: KeyRange,
): AsyncGenerator<void> {
  const { source, typer } = pass;
  const where = describeSource(source);
  if (source.postgres) {
    const env = deps.env ?? process.env;
    yield* readPostgres(
      source,
      typer,
      sink,
      { where: pass.where, range, env, pageRows: deps.pageRows },
      where,
    );
    return;
  }
  const open = deps.open;
  if (source.format === undefined) {
    throw new MailopsError(
      `${where}: the format is not known`,
      `name the file .csv, .json or .jsonl (optionally .gz), or set \`format:\` in ${source.file}`,
    );
  }
  let input: AsyncIterable<Buffer | string>;
  try {
    input = await sourceBytes(source, open);
  } catch (error) {
    throw readError(error, where, source);
  }
  try {
    if (source.format === "jsonl") yield* readJsonl(input, typer, sink, where, fileSize(input));
    else if (source.format === "json") yield* readJsonArray(input, typer, sink, where);
    else yield* readCsv(input, typer, sink, where);
  } catch (error) {
    throw readError(error, where, source);
  } finally {
    (input as { destroy?: () => void }).destroy?.();
  }
}

/** How messages name a source: its name and its file (repository-relative) or S3 location. */
export function describeSource(source: Source): string {
  const at = source.postgres
    ? `postgres, $${source.postgres.urlEnv}`
    : (source.localPath ?? source.location ?? source.file);
  return `subscriber source \`${source.name}\` (${at})`;
}

/**
 * A failure of the bytes under a reader. Like a structural error it stops the read: the rows past
 * it were never seen, so a send must not go ahead as if the source ended there.
 */
function readError(error: unknown, where: string, source: Source): MailopsError {
  if (error instanceof MailopsError) return error;
  const line = error instanceof InputFailed ? error.line : undefined;
  const cause = error instanceof InputFailed ? error.cause : error;
  const after = line === undefined ? "" : ` after line ${line}`;
  const code = (cause as { code?: string }).code;
  if (code === "Z_BUF_ERROR") {
    // zlib's "unexpected end of file": the compressed stream stops mid-way.
    return new DamagedSourceError(
      `${where} is cut short: the gzip data ends${after} (${(cause as Error).message})`,
      "the file is incomplete, so nothing is sent from it: export, compress or upload it again",
    );
  }
  if (code === "Z_DATA_ERROR") {
    return new DamagedSourceError(
      `${where} is not valid gzip data${after} (${(cause as Error).message})`,
      source.gzip ? "the name ends in .gz: compress the file with gzip, or drop the .gz" : undefined,
    );
  }
  return new MailopsError(`${where} could not be read${after}: ${(cause as Error).message ?? String(cause)}`);
}
