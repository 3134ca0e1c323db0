/**
 * Segment conditions compiled into a parameterised WHERE clause for a postgres source, so only
 * matching rows leave the database. Pure: SQL text and its parameters, never a value spliced into
 * the text (identifiers are quoted, values are `$n` parameters with an explicit type).
 *
 * The clause is a necessary condition: every row the segments match satisfies it. It is
 * `complete` when it is also sufficient (every condition was pushed down), and then mailops need
 * not test the rows again; otherwise mailops tests the whole condition on the rows that arrive.
 * Not pushed down (tested in mailops):
 * - conditions on `email` fields: the address key's IDNA step has no SQL equivalent;
 * - conditions on fields with a `default`: mailops fills it in where the column is NULL;
 * - columns whose values mailops converts (json, float4, char(n), text holding dates…);
 * - under `any` or `not`, a part that is not pushed down takes the whole `any` or `not` with it.
 *
 * Every pushed test is two-valued, as condition.ts's predicates are: a NULL column makes `eq`
 * false and `ne` true (COALESCE), never SQL's unknown. Text compares in the "C" collation (code
 * point order and equality, as JavaScript does); numbers compare as float8 (JavaScript numbers);
 * dates as instants truncated to the millisecond (what parseInstant reads), a date or a timestamp
 * without zone being UTC.
 */
import type { Condition, Field, Operator } from "../config/model.js";
import { quoteIdent } from "../config/sql.js";
import { parseInstant } from "./instant.js";
import { OID } from "./pg-columns.js";

export interface Pushed {
  /** A boolean SQL expression over the subquery `q`, with `$1…` placeholders. */
  sql: string;
  params: unknown[];
  /** True: the expression is exactly the segments' condition, so rows need no test in mailops. */
  complete: boolean;
}

/**
 * A compiled condition. Its parameters stand in `sql` as PARAM, in the order of `params`, and are
 * numbered once the whole is known: a part dropped on the way (under an `any` that cannot be
 * pushed down) takes its parameters with it.
 */
interface Part {
  sql: string;
  complete: boolean;
  params: unknown[];
}

/** No identifier holds a NUL (PostgreSQL refuses it), so no quoted column name holds this. */
const PARAM = "\u0000";

const TRUE: Part = { sql: "TRUE", complete: true, params: [] };
const FALSE: Part = { sql: "FALSE", complete: true, params: [] };
/** Nothing pushed down: every row may match. */
const UNKNOWN: Part = { sql: "TRUE", complete: false, params: [] };

/**
 * The union of `where` (one entry per `to` segment of the source; undefined for the whole
 * source) over columns of these types (by name; a field without a column is not pushed down).
 */
export function pushDown(
  where: readonly (Condition | undefined)[],
  fields: ReadonlyMap<string, Field>,
  columns: ReadonlyMap<string, number>,
): Pushed {
  const compiler = new Compiler(fields, columns);
  const part = or(where.map((c) => (c === undefined ? TRUE : compiler.compile(c))));
  let n = 0;
  return { sql: part.sql.replaceAll(PARAM, () => `$${++n}`), params: part.params, complete: part.complete };
}

function and(parts: Part[]): Part {
  if (parts.some((p) => p.sql === "FALSE")) return FALSE;
  const complete = parts.every((p) => p.complete);
  const kept = parts.filter((p) => p.sql !== "TRUE");
  if (kept.length === 0) return { sql: "TRUE", complete, params: [] };
  return { sql: join(kept, "AND"), complete, params: kept.flatMap((p) => p.params) };
}

function or(parts: Part[]): Part {
  if (parts.some((p) => p.sql === "TRUE" && p.complete)) return TRUE;
  // A part with nothing pushed down lets any row through: so does the union.
  if (parts.some((p) => p.sql === "TRUE")) return UNKNOWN;
  const kept = parts.filter((p) => p.sql !== "FALSE");
  if (kept.length === 0) return FALSE;
  return {
    sql: join(kept, "OR"),
    complete: parts.every((p) => p.complete),
    params: kept.flatMap((p) => p.params),
  };
}

const join = (parts: Part[], op: string): string =>
  parts.length === 1 ? (parts[0] as Part).sql : parts.map((p) => `(${p.sql})`).join(` ${op} `);

const COMPARE: Partial<Record<Operator, string>> = {
  eq: "=",
  gt: ">",
  after: ">",
  gte: ">=",
  lt: "<",
  before: "<",
  lte: "<=",
};

/** Year 1: PostgreSQL has no year 0, which parseInstant reads. */
const YEAR_ONE = Date.parse("0001-01-01T00:00:00Z");

class Compiler {
  /** The parameters of the test being compiled, in the order their PARAMs stand in its SQL. */
  private params: unknown[] = [];

  constructor(
    private readonly fields: ReadonlyMap<string, Field>,
    private readonly columns: ReadonlyMap<string, number>,
  ) {}

  compile(c: Condition): Part {
    switch (c.kind) {
      case "all":
        return and(c.items.map((item) => this.compile(item)));
      case "any":
        return or(c.items.map((item) => this.compile(item)));
      case "not": {
        const inner = this.compile(c.item);
        if (!inner.complete) return UNKNOWN;
        if (inner.sql === "TRUE") return FALSE;
        if (inner.sql === "FALSE") return TRUE;
        return { sql: `NOT (${inner.sql})`, complete: true, params: inner.params };
      }
      case "field":
        return and(c.tests.map((t) => this.test(c.field, t.op, t.value)));
    }
  }

  private param(value: unknown, type: string): string {
    this.params.push(value);
    return `${PARAM}::${type}`;
  }

  private test(name: string, op: Operator, value: unknown): Part {
    const field = this.fields.get(name);
    const oid = this.columns.get(name);
    // mailops fills a default where the column is NULL; SQL would see the NULL.
    if (field === undefined || oid === undefined || (field.hasDefault && field.default != null))
      return UNKNOWN;
    const col = `q.${quoteIdent(name)}`;
    this.params = [];
    const sql = this.typed(field, oid, col, op, value);
    return sql === undefined ? UNKNOWN : { sql, complete: true, params: this.params };
  }

  /** The two-valued SQL of one test, or undefined when it is not pushed down. */
  private typed(field: Field, oid: number, col: string, op: Operator, value: unknown): string | undefined {
    const native = nativeColumn(field, oid);
    if (native === undefined) return undefined;
    if (op === "exists") {
      if (typeof value !== "boolean") return undefined;
      return value ? `${col} IS NOT NULL` : `${col} IS NULL`;
    }
    if (op === "ne" || op === "not_in") {
      const positive = this.typed(field, oid, col, op === "ne" ? "eq" : "in", value);
      return positive === undefined ? undefined : `NOT ${positive}`;
    }
    switch (native) {
      case "text":
        return this.text(col, op, value);
      case "number":
        return this.number(oid === OID.numeric ? numericAsFloat(col) : `${col}::float8`, op, value);
      case "bool":
        return op === "eq" && typeof value === "boolean"
          ? `COALESCE(${col} = ${this.param(value, "boolean")}, false)`
          : undefined;
      case "date":
        return this.date(instantOf(col, oid), op, value);
      case "list":
        return this.list(col, op, value);
    }
  }

  private text(col: string, op: Operator, value: unknown): string | undefined {
    const c = `${col} COLLATE "C"`;
    if (op === "in") {
      const list = Array.isArray(value) ? value : [value];
      if (!list.every((v) => typeof v === "string")) return undefined;
      return `COALESCE(${c} = ANY(${this.param(list, "text[]")}), false)`;
    }
    if (typeof value !== "string") return undefined;
    const p = () => this.param(value, "text");
    switch (op) {
      case "eq":
        return `COALESCE(${c} = ${p()}, false)`;
      case "contains":
        return `COALESCE(strpos(${c}, ${p()}) > 0, false)`;
      case "starts_with":
        return `COALESCE(starts_with(${c}, ${p()}), false)`;
      case "ends_with":
        return `COALESCE(right(${c}, length(${p()})) = ${p()}, false)`;
      default:
        return undefined;
    }
  }

  private number(expr: string, op: Operator, value: unknown): string | undefined {
    const finite = (v: unknown) => typeof v === "number" && Number.isFinite(v);
    if (op === "in") {
      const list = Array.isArray(value) ? value : [value];
      if (!list.every(finite)) return undefined;
      return `COALESCE(${expr} = ANY(${this.param(list, "float8[]")}), false)`;
    }
    const cmp = COMPARE[op];
    if (cmp === undefined || !finite(value)) return undefined;
    return `COALESCE(${expr} ${cmp} ${this.param(value, "float8")}, false)`;
  }

  private date(expr: string, op: Operator, value: unknown): string | undefined {
    const cmp = COMPARE[op];
    const ms = typeof value === "string" ? parseInstant(value) : Number.NaN;
    if (cmp === undefined || Number.isNaN(ms) || ms < YEAR_ONE) return undefined;
    return `COALESCE(${expr} ${cmp} ${this.param(new Date(ms).toISOString(), "timestamptz")}, false)`;
  }

  private list(col: string, op: Operator, value: unknown): string | undefined {
    if (op !== "contains" || value === null || typeof value === "object") return undefined;
    // A list that holds lists matches no item in mailops; ANY would look inside them.
    return `COALESCE(array_ndims(${col}) = 1 AND ${this.param(String(value), "text")} = ANY(${col}::text[]), false)`;
  }
}

type Native = "text" | "number" | "bool" | "date" | "list";

/** The columns whose values mailops reads unchanged in meaning, by field type. */
const NATIVE: Record<Native, ReadonlySet<number>> = {
  text: new Set([OID.text, OID.varchar]),
  number: new Set([OID.int2, OID.int4, OID.int8, OID.float8, OID.numeric]),
  bool: new Set([OID.bool]),
  date: new Set([OID.date, OID.timestamp, OID.timestamptz]),
  list: new Set([
    OID.textArray,
    OID.varcharArray,
    OID.int2Array,
    OID.int4Array,
    OID.int8Array,
    OID.numericArray,
  ]),
};

function nativeColumn(field: Field, oid: number): Native | undefined {
  const want: Native | undefined =
    field.type === "string"
      ? "text"
      : field.type === "number"
        ? "number"
        : field.type === "boolean"
          ? "bool"
          : field.type === "date"
            ? "date"
            : field.type === "list"
              ? "list"
              : undefined;
  return want !== undefined && NATIVE[want].has(oid) ? want : undefined;
}

/** numeric beyond float8's range is NULL here (mailops reads it as Infinity: an invalid row). */
function numericAsFloat(col: string): string {
  return `(CASE WHEN abs(${col}) <= 1.7976931348623157e308 THEN ${col}::float8 END)`;
}

function instantOf(col: string, oid: number): string {
  if (oid === OID.timestamptz) return `date_trunc('milliseconds', ${col})`;
  if (oid === OID.timestamp) return `date_trunc('milliseconds', ${col} AT TIME ZONE 'UTC')`;
  return `(${col}::timestamp AT TIME ZONE 'UTC')`;
}
