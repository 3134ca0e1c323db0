/**
 * A subscriber row checked against its source's declared fields: typed values, defaults applied,
 * undeclared keys dropped. One compiled typer per source; per row it is a loop over the declared
 * fields with no closures. A row that does not fit yields the reason it is skipped, never a value
 * (rows are personal data: reasons name the field and the expected type, and mask addresses).
 * The email field's value is the address as it will be sent: trimmed, an internationalized domain
 * in its ASCII (punycode) form (SES needs it so), which every consumer then sees.
 */
import type { Field, FieldType, Source } from "../config/model.js";
import { MailopsError } from "../errors.js";
import { hasNonAsciiLocalPart } from "../util/email.js";
import { maskAddress } from "./address.js";
import type { Row } from "./condition.js";
import { emailFast } from "./email-fast.js";
import { parseInstant } from "./instant.js";
import { describeJson } from "./rows.js";

export const EMAIL = 0;
export const STRING = 1;
export const NUMBER = 2;
export const BOOLEAN = 3;
export const DATE = 4;
export const LIST = 5;
const TYPE_CODE: Record<FieldType, number> = {
  email: EMAIL,
  string: STRING,
  number: NUMBER,
  boolean: BOOLEAN,
  date: DATE,
  list: LIST,
};
const EXPECTED = ["an email address", "text", "a number", "true or false", "a date", "a list"];

export interface Spec {
  name: string;
  type: number;
  required: boolean;
  /** The declared default, or undefined for none. */
  fallback: unknown;
  /** The name is also a property of Object.prototype (`constructor`, `toString`): look it up as own. */
  inherited: boolean;
}

/** The typed fields of a row, or the reason it is skipped. */
export type Typed = Row | string;

export interface Typer {
  readonly emailField: string;
  /** The declared fields, in declaration order (the order of a typed row's keys). */
  readonly specs: readonly Spec[];
  fromJson(obj: Record<string, unknown>): Typed;
  /** The address of a row that failed for another reason, when it has a valid one. */
  addressOfJson(obj: Record<string, unknown>): string | undefined;
  /** A typer for CSV rows with this header; throws when the header lacks a needed column. */
  forCsv(header: string[], where: string): CsvTyper;
}

export interface CsvTyper {
  readonly columns: number;
  fromCells(cells: string[]): Typed;
  addressOfCells(cells: string[]): string | undefined;
}

export function compileTyper(source: Source): Typer {
  const emailField = source.emailField;
  if (emailField === undefined) {
    throw new MailopsError(
      `subscriber source \`${source.name}\` has no single field of type email`,
      `declare exactly one field with \`type: email\` in ${source.file}`,
    );
  }
  const specs: Spec[] = [];
  for (const f of source.fields.values()) specs.push(spec(source, f));
  const emailIndex = specs.findIndex((s) => s.name === emailField);

  const fromJson = (obj: Record<string, unknown>): Typed => {
    const out: Row = {};
    for (let i = 0; i < specs.length; i++) {
      const s = specs[i] as Spec;
      let v = s.inherited ? (Object.hasOwn(obj, s.name) ? obj[s.name] : undefined) : obj[s.name];
      if (v === undefined || v === null) {
        const missing = fillMissing(s, out);
        if (missing !== undefined) return missing;
        continue;
      }
      switch (s.type) {
        case EMAIL: {
          if (typeof v !== "string") return wrongType(s, v);
          const a = emailFast(v.trim());
          if (a === undefined) return badEmail(s, v.trim());
          v = a;
          break;
        }
        case STRING:
          if (typeof v !== "string") return wrongType(s, v);
          break;
        case NUMBER:
          if (typeof v !== "number") return wrongType(s, v);
          break;
        case BOOLEAN:
          if (typeof v !== "boolean") return wrongType(s, v);
          break;
        case DATE:
          if (typeof v !== "string") return wrongType(s, v);
          if (Number.isNaN(parseInstant(v))) return badDate(s);
          break;
        default:
          if (!Array.isArray(v)) return wrongType(s, v);
      }
      out[s.name] = v;
    }
    return out;
  };

  const addressOfJson = (obj: Record<string, unknown>): string | undefined => {
    const v = Object.hasOwn(obj, emailField) ? obj[emailField] : undefined;
    return validAddress(v);
  };

  const forCsv = (header: string[], where: string): CsvTyper => {
    const index = specs.map((s) => {
      const at = header.indexOf(s.name);
      if (at !== -1 && header.indexOf(s.name, at + 1) !== -1) {
        throw new MailopsError(
          `${where}: the header names column \`${s.name}\` twice`,
          "rename or remove one of them",
        );
      }
      if (at === -1 && (s.type === EMAIL || (s.required && s.fallback === undefined))) {
        // Every row would be skipped; say so once instead. A header cell with an `@` is probably
        // a subscriber (a file without a header row), so it is masked.
        throw new MailopsError(
          `${where}: the header has no column \`${s.name}\`, a required field`,
          `the header is: ${header.map((c) => (c.includes("@") ? maskAddress(c) : c)).join(", ")}`,
        );
      }
      return at;
    });
    const emailColumn = index[emailIndex] as number;
    return {
      columns: header.length,
      fromCells(cells: string[]): Typed {
        const out: Row = {};
        for (let i = 0; i < specs.length; i++) {
          const s = specs[i] as Spec;
          const col = index[i] as number;
          const text = col === -1 ? undefined : cells[col];
          // An empty cell is how CSV says "no value".
          if (text === undefined || text === "") {
            const missing = fillMissing(s, out);
            if (missing !== undefined) return missing;
            continue;
          }
          const v = fromText(s, text);
          if (v instanceof Bad) return v.reason;
          out[s.name] = v;
        }
        return out;
      },
      addressOfCells(cells: string[]): string | undefined {
        return validAddress(cells[emailColumn]);
      },
    };
  };

  return { emailField, specs, fromJson, addressOfJson, forCsv };
}

function spec(source: Source, f: Field): Spec {
  if (f.name === "__proto__") {
    throw new MailopsError(
      `subscriber source \`${source.name}\` declares a field named __proto__`,
      "rename the field",
    );
  }
  const type = TYPE_CODE[f.type];
  if (type === undefined) {
    throw new MailopsError(`field \`${f.name}\` of \`${source.name}\` has unknown type \`${f.type}\``);
  }
  let fallback: unknown;
  if (f.hasDefault && f.default !== null && f.default !== undefined) {
    fallback = f.default;
    if (!defaultFits(type, fallback)) {
      throw new MailopsError(
        `the default of \`${f.name}\` in \`${source.name}\` is not ${EXPECTED[type]}`,
        `fix \`default:\` in ${source.file}`,
      );
    }
    // An address as rows give it: trimmed, the domain in ASCII form.
    if (type === EMAIL) fallback = emailFast((fallback as string).trim());
  }
  return { name: f.name, type, required: f.required || type === EMAIL, fallback, inherited: f.name in {} };
}

function defaultFits(type: number, v: unknown): boolean {
  switch (type) {
    case EMAIL:
      return typeof v === "string" && emailFast(v.trim()) !== undefined;
    case STRING:
      return typeof v === "string";
    case NUMBER:
      return typeof v === "number" && Number.isFinite(v);
    case BOOLEAN:
      return typeof v === "boolean";
    case DATE:
      return typeof v === "string" && !Number.isNaN(parseInstant(v));
    default:
      return Array.isArray(v);
  }
}

/** Applies the default of a field with no value; returns the reason when the row cannot go without it. */
export function fillMissing(s: Spec, out: Row): string | undefined {
  if (s.fallback !== undefined) {
    // A fresh list per row: a consumer that changes one recipient's list must not change them all.
    out[s.name] = Array.isArray(s.fallback) ? s.fallback.slice() : s.fallback;
    return undefined;
  }
  if (s.type === EMAIL) return `no email address in \`${s.name}\``;
  if (s.required) return `missing required field \`${s.name}\``;
  return undefined;
}

function wrongType(s: Spec, v: unknown): string {
  return `\`${s.name}\` should be ${EXPECTED[s.type]}, found ${describeJson(v)}`;
}

function badEmail(s: Spec, v: string): string {
  const why = hasNonAsciiLocalPart(v)
    ? ": the part before @ has non-ASCII characters, which SES does not accept (no SMTPUTF8 addresses)"
    : "";
  return `invalid email address ${maskAddress(v)} in \`${s.name}\`${why}`;
}

function badDate(s: Spec): string {
  return `\`${s.name}\` is not an ISO date (2026-01-31) or date-time (2026-01-31T09:00:00Z)`;
}

function validAddress(v: unknown): string | undefined {
  return typeof v === "string" ? emailFast(v.trim()) : undefined;
}

const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A cell that does not convert; only allocated on failure. */
class Bad {
  constructor(readonly reason: string) {}
}

/** A CSV cell as the field's type, or Bad. */
function fromText(s: Spec, text: string): unknown {
  switch (s.type) {
    case EMAIL: {
      const a = text.trim();
      return emailFast(a) ?? new Bad(badEmail(s, a));
    }
    case STRING:
      return text;
    case NUMBER:
      return NUMBER_TEXT.test(text) ? Number(text) : new Bad(`\`${s.name}\` should be a number`);
    case BOOLEAN: {
      const t = text.toLowerCase();
      if (t === "true") return true;
      if (t === "false") return false;
      return new Bad(`\`${s.name}\` should be true or false`);
    }
    case DATE:
      return Number.isNaN(parseInstant(text)) ? new Bad(badDate(s)) : text;
    default:
      return listFromText(s, text);
  }
}

/** `a;b;c`, or a JSON array written into the cell. */
function listFromText(s: Spec, text: string): unknown {
  if (text.charCodeAt(0) === 91 /* [ */) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      v = undefined;
    }
    return Array.isArray(v) ? v : new Bad(`\`${s.name}\` starts with [ but is not a JSON array`);
  }
  const items: string[] = [];
  for (const part of text.split(";")) {
    const item = part.trim();
    if (item !== "") items.push(item);
  }
  return items;
}
