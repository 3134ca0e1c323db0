/**
 * A postgres subscriber source (`kind: postgres`, docs/postgres.md): the rows of a query, read
 * in keyset-paginated pages by the source's `key`, each page in a short read-only transaction of
 * its own with a statement timeout, through a server-side cursor.
 *
 * Why pages and not one cursor: a send paced at SES's rate lasts hours, and a transaction held
 * open that long holds back vacuum and meets idle_in_transaction_session_timeout. A page is read
 * whole (at most PAGE_ROWS rows, fetched CURSOR_ROWS at a time), its transaction committed, and
 * only then are its rows handed on: a transaction lasts as long as the database takes to return
 * one page, however slowly mail goes out. The next page is read while one is handed on: memory is
 * two pages.
 *
 * Pages: `WHERE <segments> AND key >= $last ORDER BY key LIMIT n`. The row at `$last` was the
 * previous page's last one and is skipped; a second row with that key, or two rows with one key
 * in a page, mean the key is not unique, which would make pages skip rows: the read stops. A NULL
 * key stops it too. The connection is a pool of one: a page after a long pause connects again.
 *
 * Between passes (the count and the send, audience.ts): the count records the last key it read
 * (`KeyRange.last`), and the send reads no further (`through`): rows added after the count, with
 * keys past it, are not part of this run. Rows that changed below it are read as they are now.
 *
 * The URL is read from the environment variable `url_env` names, at read time, and never appears
 * in a message: errors say which variable, and what the server said (which holds no password).
 */
import { createRequire } from "node:module";
import type pg from "pg";
import type Cursor from "pg-cursor";
import type { Condition, PostgresQuery, Source } from "../config/model.js";
import { fromItem, quoteIdent, readQuery } from "../config/sql.js";
import { MailopsError } from "../errors.js";
import type { Row } from "./condition.js";
import type { Typer } from "./fields.js";
import { type Column, columnFits, fitHint, OID, type Parser, valueParsers } from "./pg-columns.js";
import { type Pushed, pushDown } from "./pushdown.js";
import type { RowSink } from "./rows.js";

/**
 * Rows in one page, hence in one transaction. Small enough that a page's rows die young (at
 * 1,000,000 rows, 10,000 a page spent a third more CPU, mostly in garbage collection).
 */
export const PAGE_ROWS = 2_500;
/** Rows fetched from the cursor at a time within a page. */
const CURSOR_ROWS = 1_000;
/** Rows handed to the sink between yields. */
const HAND_ON_ROWS = 512;
/** The extra column holding each row's key as text, for the next page's `>=`. */
const KEY_COLUMN = "__mailops_key";

/** A failed query, a refused login, a lost connection: nothing past it was read. */
export class DatabaseSourceError extends MailopsError {}

/** Where a pass over a keyed source stops, and where it got to. */
export interface KeyRange {
  /** Read no key past this one (the count's last key); null: the count read none, so read none. */
  through?: string | null;
  /** Set while reading: the last key read, null while none. */
  last?: string | null;
}

export interface PostgresRead {
  /** The `to` segments' conditions, to push down (undefined entries: the whole source). */
  where?: readonly (Condition | undefined)[];
  range: KeyRange;
  env: Readonly<Record<string, string | undefined>>;
  pageRows?: number;
}

/**
 * A sink that can take rows filtered by the database: told, before the first row, whether the
 * filter was the whole condition (`complete`), so the rows need no test of their own.
 */
export interface FilteredSink extends RowSink {
  pushedDown?(complete: boolean): void;
}

export async function* readPostgres(
  source: Source,
  typer: Typer,
  sink: FilteredSink,
  read: PostgresRead,
  where: string,
): AsyncGenerator<void> {
  const pgq = source.postgres as PostgresQuery;
  const db = new Database(connectionUrl(source, pgq, read.env, where), pgq.statementTimeoutMs, where);
  try {
    const shape = readQuery(pgq.query);
    if (shape.kind === "invalid") throw new MailopsError(`${where}: ${shape.reason}`, shape.hint);
    const from = fromItem(shape);
    // One transaction before the pages: the columns, the filter they allow, and no NULL key.
    const { columns, filter } = await db.transaction(async (c) => {
      const columns = await describe(c, from);
      checkColumns(source, pgq, columns, where);
      const filter = pushed(source, sink, read.where, columns);
      if (await nullKeys(c, from, pgq.key, filter)) {
        throw new DatabaseSourceError(
          `${where}: rows have no \`${pgq.key}\` (NULL): the key must be unique and never NULL`,
          "use a NOT NULL unique column as `key:`, such as the primary key",
        );
      }
      return { columns, filter };
    });
    const types = typesFor(columns);
    yield* pages(
      db,
      { from, key: pgq.key, filter, types, pageRows: read.pageRows ?? PAGE_ROWS },
      read.range,
      {
        typer,
        sink,
        where,
      },
    );
  } finally {
    await db.end();
  }
}

interface PageQuery {
  from: string;
  key: string;
  filter: Pushed;
  types: { getTypeParser: (oid: number) => Parser };
  pageRows: number;
}

async function* pages(
  db: Database,
  q: PageQuery,
  range: KeyRange,
  out: { typer: Typer; sink: RowSink; where: string },
): AsyncGenerator<void> {
  range.last = null;
  const through = range.through;
  if (through === null) return;
  const fetch = (after: string | undefined) => {
    const limit = q.pageRows + (after === undefined ? 0 : 1);
    const { text, values } = pageSql(q, after, through, limit);
    const rows = db.transaction((c) => fetchAll(c, text, values, q.types));
    // Awaited below; until then a failure must not count as unhandled.
    rows.catch(() => {});
    return { rows, limit };
  };
  let line = 0;
  let after: string | undefined;
  let page = fetch(after);
  for (;;) {
    const rows = await page.rows;
    const full = rows.length >= page.limit;
    const next = full ? ((rows.at(-1) as Row)[KEY_COLUMN] as string) : undefined;
    // The next page is read while this one is handed on: database time and mailops time overlap.
    if (next !== undefined) page = fetch(next);
    let repeats = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const key = row[KEY_COLUMN] as string;
      // The previous page's last row comes again first (when it still matches): skipped, once.
      if (key === after && ++repeats === 1) continue;
      if (key === range.last) throw notUnique(out.where, q.key);
      range.last = key;
      line++;
      const typed = out.typer.fromJson(row);
      if (typeof typed === "string") out.sink.bad(line, typed, out.typer.addressOfJson(row));
      else out.sink.row(typed, line);
      // Small batches: the recipients built from one are consumed before the next young-generation
      // collection, so they are never copied by it (as the file readers do).
      if (line % HAND_ON_ROWS === 0) yield;
    }
    yield;
    if (next === undefined) return;
    after = next;
  }
}

const notUnique = (where: string, key: string) =>
  new DatabaseSourceError(
    `${where}: two rows have the same \`${key}\`: the key must be unique`,
    "use a unique column as `key:`, such as the primary key: rows are read in pages ordered by it",
  );

/** One page's SQL: the filter's parameters first, then the key bounds. */
export function pageSql(
  q: Pick<PageQuery, "from" | "key" | "filter">,
  after: string | undefined,
  through: string | undefined,
  limit: number,
): { text: string; values: unknown[] } {
  const key = `q.${quoteIdent(q.key)}`;
  const values = [...q.filter.params];
  const conditions = q.filter.sql === "TRUE" ? [] : [`(${q.filter.sql})`];
  if (after !== undefined) {
    values.push(after);
    conditions.push(`${key} >= $${values.length}`);
  }
  if (through !== undefined) {
    values.push(through);
    conditions.push(`${key} <= $${values.length}`);
  }
  const text = [
    `SELECT q.*, (${key})::text AS ${quoteIdent(KEY_COLUMN)} FROM ${q.from}`,
    conditions.length ? `WHERE ${conditions.join(" AND ")}` : "",
    `ORDER BY ${key} LIMIT ${Math.trunc(limit)}`,
  ]
    .filter((s) => s !== "")
    .join("\n");
  return { text, values };
}

function pushed(source: Source, sink: FilteredSink, where: PostgresRead["where"], columns: Column[]): Pushed {
  // An exclude list's sink takes every row (an unreadable row still excludes its address).
  if (where === undefined || sink.pushedDown === undefined)
    return { sql: "TRUE", params: [], complete: false };
  const filter = pushDown(where, source.fields, new Map(columns.map((c) => [c.name, c.oid])));
  sink.pushedDown(filter.complete);
  return filter;
}

async function describe(c: pg.PoolClient, from: string): Promise<Column[]> {
  const shape = await c.query({ text: `SELECT * FROM ${from} LIMIT 0`, rowMode: "array" });
  const oids = shape.fields.map((f) => f.dataTypeID);
  const types = await c.query<{ oid: number; category: string; type: string }>(
    "SELECT t.oid::int AS oid, t.typcategory AS category, format_type(t.oid, NULL) AS type FROM pg_catalog.pg_type t WHERE t.oid = ANY($1::oid[])",
    [oids],
  );
  const byOid = new Map(types.rows.map((t) => [t.oid, t]));
  return shape.fields.map((f) => ({
    name: f.name,
    oid: f.dataTypeID,
    category: byOid.get(f.dataTypeID)?.category ?? "X",
    type: byOid.get(f.dataTypeID)?.type ?? `type ${f.dataTypeID}`,
  }));
}

async function nullKeys(c: pg.PoolClient, from: string, key: string, filter: Pushed): Promise<boolean> {
  const sql = filter.sql === "TRUE" ? "" : `(${filter.sql}) AND `;
  const r = await c.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ${from} WHERE ${sql}q.${quoteIdent(key)} IS NULL) AS found`,
    filter.params,
  );
  return r.rows[0]?.found === true;
}

/** Every declared field and the key are columns of the result, of types that can hold them. */
function checkColumns(source: Source, pgq: PostgresQuery, columns: Column[], where: string): void {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const names = columns.map((c) => `\`${c.name}\``).join(", ");
  for (const name of [...source.fields.keys(), pgq.key]) {
    if (byName.has(name)) continue;
    const folded = byName.has(name.toLowerCase());
    throw new MailopsError(
      `${where}: the query returns no column \`${name}\` (it returns ${names})`,
      folded
        ? `PostgreSQL folds unquoted names to lower case: select it \`AS "${name}"\` in ${source.file}`
        : `select it in the query, or fix the name in ${source.file}`,
    );
  }
  for (const field of source.fields.values()) {
    const column = byName.get(field.name) as Column;
    if (columnFits(field.type, column)) continue;
    throw new MailopsError(
      `${where}: field \`${field.name}\` is declared ${field.type}, but the column is ${column.type}`,
      fitHint(field, column),
    );
  }
}

type Driver = { pg: typeof pg; Cursor: typeof Cursor };
let driver: Driver | undefined;

/**
 * The driver, loaded when a database is first read: most runs read files, and loading it costs
 * every start time and memory. Its packages are CommonJS, as an `import` of them loads them too.
 */
function pgDriver(): Driver {
  if (!driver) {
    const require = createRequire(import.meta.url);
    driver = { pg: require("pg") as typeof pg, Cursor: require("pg-cursor") as typeof Cursor };
  }
  return driver;
}

/** The driver's own conversion of a type (text for types it does not know). */
const driverParser = (oid: number): Parser =>
  (pgDriver().pg.types.getTypeParser as (oid: number) => Parser)(oid);

function typesFor(columns: Column[]): PageQuery["types"] {
  const parsers = valueParsers(driverParser(OID.textArray));
  const known = new Set(columns.map((c) => c.oid));
  return {
    getTypeParser: (oid: number) => (known.has(oid) ? parsers.get(oid) : undefined) ?? driverParser(oid),
  };
}

async function fetchAll(
  c: pg.PoolClient,
  text: string,
  values: unknown[],
  types: PageQuery["types"],
): Promise<Row[]> {
  const cursor = c.query(new (pgDriver().Cursor)(text, values, { types }));
  const rows: Row[] = [];
  try {
    for (;;) {
      const chunk = (await cursor.read(CURSOR_ROWS)) as Row[];
      for (const r of chunk) rows.push(r);
      if (chunk.length < CURSOR_ROWS) return rows;
    }
  } finally {
    await cursor.close();
  }
}

function connectionUrl(source: Source, pgq: PostgresQuery, env: PostgresRead["env"], where: string): string {
  const url = env[pgq.urlEnv];
  if (url === undefined || url.trim() === "") {
    throw new MailopsError(
      `${where}: the environment variable ${pgq.urlEnv} is not set`,
      `set ${pgq.urlEnv} to the database's URL (postgres://user:password@host:5432/database), in CI from a secret; \`url_env\` in ${source.file} names it`,
    );
  }
  if (!/^postgres(ql)?:\/\//i.test(url.trim())) {
    throw new MailopsError(
      `${where}: ${pgq.urlEnv} does not hold a postgres:// URL`,
      `set ${pgq.urlEnv} to postgres://user:password@host:5432/database (its value is not shown here)`,
    );
  }
  return url.trim();
}

/** The pool of one connection a pass reads through, and its transactions. */
class Database {
  private readonly pool: pg.Pool;

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
    private readonly where: string,
  ) {
    this.pool = new (pgDriver().pg.Pool)({
      connectionString: url,
      max: 1,
      idleTimeoutMillis: 10_000,
      connectionTimeoutMillis: Math.min(timeoutMs, 30_000),
      application_name: "mailops",
    });
    // An idle connection the server dropped: the next page connects again.
    this.pool.on("error", () => {});
  }

  /** `fn` in a read-only transaction with the statement timeout and the settings values rely on. */
  async transaction<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.failed(error, true);
    }
    let broken: Error | undefined;
    // A connection lost mid-query fails the query, and the client also emits `error`: with no
    // listener while it is checked out of the pool, that would end the process.
    const lost = () => {};
    client.on("error", lost);
    try {
      await client.query("BEGIN TRANSACTION READ ONLY");
      await client.query(
        "SELECT set_config('statement_timeout', $1, true), set_config('idle_in_transaction_session_timeout', $1, true), set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true), set_config('extra_float_digits', '1', true)",
        [String(this.timeoutMs)],
      );
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      broken = error as Error;
      if (error instanceof MailopsError) throw error;
      throw this.failed(error, false);
    } finally {
      // A client that failed is discarded, not put back: its transaction may still be open.
      client.release(broken ?? false);
      client.removeListener("error", lost);
    }
  }

  async end(): Promise<void> {
    await this.pool.end().catch(() => {});
  }

  private failed(error: unknown, connecting: boolean): DatabaseSourceError {
    const e = error as { code?: string; message?: string };
    const said = scrub(e.message ?? String(error), this.url);
    const code = e.code ?? "";
    const [what, hint] = explain(code, connecting, this.timeoutMs);
    return new DatabaseSourceError(`${this.where}: ${what}: ${said}`, hint);
  }
}

function explain(code: string, connecting: boolean, timeoutMs: number): [string, string] {
  if (code === "57014")
    return [
      `a page took longer than the statement timeout (${timeoutMs / 1000}s)`,
      "index the key column (and the columns segments test), or raise `statement_timeout:` in the source",
    ];
  if (code === "28P01" || code === "28000")
    return ["the database refused the login", "check the user and password in the URL"];
  if (code === "42501")
    return [
      "the database role may not read this",
      "GRANT SELECT on the tables or views the query reads to the role in the URL (docs/postgres.md)",
    ];
  if (code === "25006")
    return ["the query tries to write, in a read-only transaction", "a source's query only reads"];
  if (code.startsWith("42"))
    return ["the query failed", "check `query:` and `key:` against the database (psql runs the same query)"];
  if (connecting)
    return [
      "cannot connect to the database",
      "check the host, port and database in the URL, and that this machine may reach it",
    ];
  return [
    "the database connection failed",
    "nothing past the last page read is used: run again once the database answers (a send resumes from its ledger)",
  ];
}

/** The URL, and its password, never appear in a message, whatever the driver put there. */
function scrub(message: string, url: string): string {
  let out = message.split(url).join("(the URL)");
  try {
    const password = new URL(url).password;
    for (const p of new Set([password, decodeURIComponent(password)]))
      if (p.length >= 3) out = out.split(p).join("***");
  } catch {
    // Not a URL the WHATWG parser reads: nothing more to hide than the whole of it.
  }
  return out;
}
