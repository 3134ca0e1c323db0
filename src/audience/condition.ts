/**
 * Segment conditions compiled once into plain predicates over a row's typed fields (operators: README.md).
 * Everything that can be decided up front (operator against field type, test values, date
 * parsing, `in` sets) is, so evaluating a row is a few comparisons.
 */
import { OPERATORS_BY_TYPE } from "../config/lint/segments.js";
import type { Condition, Field, FieldType, Operator } from "../config/model.js";
import { MailopsError } from "../errors.js";
import { normalizeAddress } from "../util/email.js";
import { parseInstant } from "./instant.js";

export type Row = Record<string, unknown>;
export type Predicate = (fields: Row) => boolean;

const always: Predicate = () => true;
const never: Predicate = () => false;

/**
 * Semantics, per row:
 * - a field with no value (absent or null) fails every test except `ne`, `not_in` and
 *   `exists: false`, which are the negations of `eq`, `in` and `exists: true`;
 * - `email` fields are compared in key form (domain lowercased), like dedupe and suppression;
 * - `date` fields compare as instants: `2026-01-31` equals `2026-01-31T00:00:00Z`;
 * - `contains` is membership on a list and a substring test on text; text tests are case-sensitive;
 * - several operators on one field must all hold; an empty `all` holds, an empty `any` does not.
 * Throws a MailopsError for what lint reports (an undeclared field, an operator the type does not
 * take, a test value of the wrong type), so a campaign never goes out to a silently wrong audience.
 */
export function compileCondition(c: Condition, fields: Map<string, Field>): Predicate {
  switch (c.kind) {
    case "all":
      return allOf(c.items.map((item) => compileCondition(item, fields)));
    case "any":
      return anyOf(c.items.map((item) => compileCondition(item, fields)));
    case "not": {
      const inner = compileCondition(c.item, fields);
      return (row) => !inner(row);
    }
    case "field": {
      const field = fields.get(c.field);
      if (field === undefined) {
        throw new MailopsError(
          `condition on \`${c.field}\`, which the subscriber source does not declare`,
          `declare it under \`fields:\`, or use one of ${[...fields.keys()].join(", ")}`,
        );
      }
      return allOf(c.tests.map((t) => compileTest(field, t.op, t.value)));
    }
  }
}

export function allOf(ps: Predicate[]): Predicate {
  if (ps.length === 0) return always;
  if (ps.length === 1) return ps[0] as Predicate;
  if (ps.length === 2) {
    const [a, b] = ps as [Predicate, Predicate];
    return (row) => a(row) && b(row);
  }
  return (row) => {
    for (let i = 0; i < ps.length; i++) if (!(ps[i] as Predicate)(row)) return false;
    return true;
  };
}

export function anyOf(ps: Predicate[]): Predicate {
  if (ps.length === 0) return never;
  if (ps.length === 1) return ps[0] as Predicate;
  if (ps.length === 2) {
    const [a, b] = ps as [Predicate, Predicate];
    return (row) => a(row) || b(row);
  }
  return (row) => {
    for (let i = 0; i < ps.length; i++) if ((ps[i] as Predicate)(row)) return true;
    return false;
  };
}

function compileTest(field: Field, op: Operator, value: unknown): Predicate {
  const { name, type } = field;
  if (!OPERATORS_BY_TYPE[type].includes(op)) {
    throw new MailopsError(
      `\`${op}\` does not apply to \`${name}\`, a ${type} field`,
      `for a ${type} field use ${OPERATORS_BY_TYPE[type].join(", ")}`,
    );
  }
  if (op === "exists") {
    if (typeof value !== "boolean") throw badValue(name, op, "true or false", value);
    return value ? (row) => row[name] != null : (row) => row[name] == null;
  }
  if (type === "list") return listContains(name, value);
  if (op === "ne") return negate(compileTest(field, "eq", value));
  if (op === "not_in") return negate(compileTest(field, "in", value));
  if (type === "date") return dateTest(name, op, value);
  if (type === "number") return numberTest(name, op, value);
  if (type === "boolean") {
    if (typeof value !== "boolean") throw badValue(name, op, "true or false", value);
    return (row) => row[name] === value;
  }
  return textTest(name, type, op, value);
}

function negate(p: Predicate): Predicate {
  return (row) => !p(row);
}

/** `in` takes a list; a single value is read as a list of one. */
function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function badValue(name: string, op: Operator, expected: string, found: unknown): MailopsError {
  return new MailopsError(
    `\`${op}\` on \`${name}\` needs ${expected}, found ${JSON.stringify(found) ?? String(found)}`,
  );
}

function textTest(name: string, type: FieldType, op: Operator, value: unknown): Predicate {
  // Unquoted `eq: 5` is a number to YAML: refused (as lint does), not guessed to mean "5".
  const text = (v: unknown): string => {
    if (typeof v === "string") return type === "email" ? normalizeAddress(v) : v;
    throw badValue(name, op, "text (quote it)", v);
  };
  // Email fields are tested in key form, so `eq: Ann@Example.COM` finds ann@example.com's row.
  const norm = type === "email" ? normalizeAddress : (s: string) => s;
  switch (op) {
    case "eq": {
      const t = text(value);
      return (row) => {
        const v = row[name];
        return typeof v === "string" && norm(v) === t;
      };
    }
    case "in": {
      const set = new Set(asList(value).map(text));
      return (row) => {
        const v = row[name];
        return typeof v === "string" && set.has(norm(v));
      };
    }
    case "contains": {
      const t = text(value);
      return (row) => {
        const v = row[name];
        return typeof v === "string" && norm(v).includes(t);
      };
    }
    case "starts_with": {
      const t = text(value);
      return (row) => {
        const v = row[name];
        return typeof v === "string" && norm(v).startsWith(t);
      };
    }
    case "ends_with": {
      const t = text(value);
      return (row) => {
        const v = row[name];
        return typeof v === "string" && norm(v).endsWith(t);
      };
    }
    default:
      throw new Error(`unhandled text operator ${op}`);
  }
}

function numberTest(name: string, op: Operator, value: unknown): Predicate {
  const num = (v: unknown): number => {
    if (typeof v !== "number" || !Number.isFinite(v)) throw badValue(name, op, "a number", v);
    return v;
  };
  if (op === "in") {
    const set = new Set(asList(value).map(num));
    return (row) => set.has(row[name] as number);
  }
  const t = num(value);
  switch (op) {
    case "eq":
      return (row) => row[name] === t;
    case "gt":
      return (row) => (row[name] as number) > t;
    case "gte":
      return (row) => (row[name] as number) >= t;
    case "lt":
      return (row) => (row[name] as number) < t;
    case "lte":
      return (row) => (row[name] as number) <= t;
    default:
      throw new Error(`unhandled number operator ${op}`);
  }
}

function dateTest(name: string, op: Operator, value: unknown): Predicate {
  const instant = (v: unknown): number => {
    const ms = typeof v === "string" ? parseInstant(v) : Number.NaN;
    if (Number.isNaN(ms)) throw badValue(name, op, "a date like 2026-01-31 or 2026-01-31T09:00:00Z", v);
    return ms;
  };
  // A row's date that does not parse is NaN, and every comparison with NaN is false.
  const at = (row: Row): number => {
    const v = row[name];
    return typeof v === "string" ? parseInstant(v) : Number.NaN;
  };
  const t = instant(value);
  switch (op) {
    case "eq":
      return (row) => at(row) === t;
    case "gt":
    case "after":
      return (row) => at(row) > t;
    case "gte":
      return (row) => at(row) >= t;
    case "lt":
    case "before":
      return (row) => at(row) < t;
    case "lte":
      return (row) => at(row) <= t;
    default:
      throw new Error(`unhandled date operator ${op}`);
  }
}

/** Membership; a list read from CSV holds text, so `contains: 5` also finds "5". */
function listContains(name: string, value: unknown): Predicate {
  if (value === null || typeof value === "object") throw badValue(name, "contains", "a single value", value);
  const text = String(value);
  return (row) => {
    const v = row[name];
    if (!Array.isArray(v)) return false;
    for (let i = 0; i < v.length; i++) {
      const el = v[i];
      if (el === value || ((typeof el === "string" || typeof el === "number") && String(el) === text))
        return true;
    }
    return false;
  };
}
