/**
 * The columns of a postgres source's query, as the database describes them: which declared field
 * types each column can hold, and how its values become the values a file would give (so the row
 * typer, segments and templates see the same thing whichever the source). Pure.
 *
 * Values, by column type (the session runs with TimeZone UTC and DateStyle ISO: postgres.ts):
 * - integers, floats and numeric: a number; NaN and ±Infinity stay text, so a `number` field
 *   finds the row invalid (no JSON file can hold them either);
 * - date: `2026-01-31`; timestamp: `2026-01-31T09:00:00.123456` (UTC, as mailops reads a
 *   date-time without an offset); timestamptz: `2026-01-31T09:00:00.123456Z`. A year past 9999
 *   or BC, or `infinity`, does not parse as a date, and the row is invalid;
 * - arrays: lists (numeric[] elements as their exact text); json and jsonb: parsed;
 * - anything else: the driver's own conversion, text for most types.
 */
import type { Field, FieldType } from "../config/model.js";

/** A column of the result: its name, type OID, pg_type.typcategory and SQL type name. */
export interface Column {
  name: string;
  oid: number;
  category: string;
  type: string;
}

export const OID = {
  bool: 16,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  money: 790,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  timetz: 1266,
  numeric: 1700,
  jsonb: 3802,
  int2Array: 1005,
  int4Array: 1007,
  textArray: 1009,
  varcharArray: 1015,
  int8Array: 1016,
  timestampArray: 1115,
  dateArray: 1182,
  timestamptzArray: 1185,
  numericArray: 1231,
} as const;

const JSON_TYPES = new Set<number>([OID.json, OID.jsonb]);
const DATE_TYPES = new Set<number>([OID.date, OID.timestamp, OID.timestamptz]);

/** Whether values of the column can be of the field's type (each row is still checked). */
export function columnFits(type: FieldType, c: Column): boolean {
  if (JSON_TYPES.has(c.oid)) return true;
  switch (type) {
    case "email":
    case "string":
      return !["N", "B", "D", "A", "T", "G", "V"].includes(c.category);
    case "number":
      return c.category === "N" && c.oid !== OID.money;
    case "boolean":
      return c.oid === OID.bool;
    case "date":
      // ISO text is read as a file's would be, row by row.
      return DATE_TYPES.has(c.oid) || c.category === "S";
    case "list":
      return c.category === "A";
  }
}

/** What a column of the wrong type should be declared as, or cast to, for the hint. */
export function fitHint(field: Field, c: Column): string {
  const cast: Record<FieldType, string> = {
    email: "text",
    string: "text",
    number: "numeric",
    boolean: "boolean",
    date: "timestamptz",
    list: "text[]",
  };
  return `cast it in the query (\`${field.name}::${cast[field.type]} AS ${field.name}\`), or declare the field with the type its ${c.type} values have`;
}

export type Parser = (text: string) => unknown;

/** Converters by type OID; `stringArray` is the driver's parser of a text[] literal. */
export function valueParsers(stringArray: Parser): Map<number, Parser> {
  const iso =
    (p: Parser): Parser =>
    (text) =>
      (stringArray(text) as (string | null)[]).map((e) => e && p(e));
  const numbers: [number, Parser][] = [
    OID.int2,
    OID.int4,
    OID.int8,
    OID.oid,
    OID.float4,
    OID.float8,
    OID.numeric,
  ].map((oid) => [oid, numberOrText]);
  return new Map<number, Parser>([
    ...numbers,
    [OID.bool, (t) => t === "t"],
    [OID.date, (t) => t],
    [OID.timestamp, timestampText],
    [OID.timestamptz, timestamptzText],
    [OID.dateArray, stringArray],
    [OID.timestampArray, iso(timestampText)],
    [OID.timestamptzArray, iso(timestamptzText)],
    [OID.numericArray, stringArray],
  ]);
}

function numberOrText(text: string): number | string {
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

/** `2026-01-31 09:00:00.5` → `2026-01-31T09:00:00.5` (no offset: UTC to mailops). */
export function timestampText(text: string): string {
  return text.length > 10 && text.charCodeAt(10) === 32 ? `${text.slice(0, 10)}T${text.slice(11)}` : text;
}

/** `2026-01-31 09:00:00+00` → `2026-01-31T09:00:00Z`; another offset gains its minutes (`+05:30`). */
export function timestamptzText(text: string): string {
  const t = timestampText(text);
  if (t.endsWith("+00")) return `${t.slice(0, -3)}Z`;
  return /[+-]\d\d$/.test(t) ? `${t}:00` : t;
}
