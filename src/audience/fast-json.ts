/**
 * The JSONL fast path: reads a flat JSON object straight from the read buffer into a typed row,
 * without JSON.parse building an object of every key first and without slicing out the line.
 * It takes only the common, unambiguous shape: string values without escapes, numbers, true,
 * false, null, and lists of those. Anything else (an escape, a nested object, a duplicate key, a
 * value of the wrong type, a syntax error) returns undefined, and the caller parses the line with
 * JSON.parse and the typer, which decide validity and word the reason. So the fast path can only
 * be right or decline: test/audience/fast-json.test.ts checks it against the slow path.
 */
import type { ChunkBytes } from "./chunk-bytes.js";
import type { Row } from "./condition.js";
import { emailFast } from "./email-fast.js";
import { BOOLEAN, DATE, EMAIL, LIST, NUMBER, type Spec } from "./fields.js";
import { parseInstant } from "./instant.js";

export interface FastRow {
  /**
   * The typed row of the JSON object in `s` from `start` to `end`, or undefined to decline.
   * `clean`: the text holds no backslash and no control character but line breaks (\n, \r\n),
   * so a string token ends at the next quote and the scan can jump to it.
   * `bytes`: the loaded bytes of `s` when each character of `s` is the byte at its offset (an
   * ASCII chunk): an address is checked there.
   */
  parse(s: string, start: number, end: number, clean: boolean, bytes?: ChunkBytes): Row | undefined;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it detects
const CONTROL = /[\x00-\x09\x0b\x0c\x0e-\x1f]/;
const LONE_CR = /\r(?!\n)/;

/** Whether a chunk is clean (see FastRow). Three native scans, cheapest first; LF-only files skip the last. */
export function isClean(text: string): boolean {
  return (
    text.indexOf("\\") === -1 && !CONTROL.test(text) && (text.indexOf("\r") === -1 || !LONE_CR.test(text))
  );
}

/**
 * isClean() of the text UTF-8 `bytes` decode to. A backslash is found by one native search; a
 * control character four bytes at a time (a regular expression over the decoded text was a
 * tenth of a campaign's count): it is a single byte no other character's UTF-8 holds, and a word
 * has one when it has a byte below 0x20. Such a word is looked at byte by byte unless each of
 * those bytes is a line feed (every line end's word has one).
 */
export function isCleanBytes(bytes: Uint8Array): boolean {
  // Buffer's indexOf is memchr; a plain Uint8Array's is five times slower.
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.indexOf(0x5c) !== -1) return false;
  const n = bytes.length;
  // Byte by byte up to the first word boundary (all of a chunk too short for a word).
  const head = (4 - (bytes.byteOffset & 3)) & 3;
  let i = 0;
  for (; i < Math.min(n, head); i++) if (!cleanByte(bytes, i, n)) return false;
  if (i === n) return true;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, (n - i) >>> 2);
  for (let k = 0; k < words.length; k++) {
    const w = words[k] as number;
    // Bit 7 of a byte is set where that byte is below 0x20, with no misses.
    if (((w - 0x20202020) & ~w & 0x80808080) === 0) continue;
    // Zero where a byte is a line feed.
    const lf = w ^ 0x0a0a0a0a;
    if (
      ((w & 0xff) < 32 && (lf & 0xff) !== 0) ||
      (((w >>> 8) & 0xff) < 32 && ((lf >>> 8) & 0xff) !== 0) ||
      (((w >>> 16) & 0xff) < 32 && ((lf >>> 16) & 0xff) !== 0) ||
      (w >>> 24 < 32 && lf >>> 24 !== 0)
    ) {
      const at = i + 4 * k;
      for (let j = at; j < at + 4; j++) if (!cleanByte(bytes, j, n)) return false;
    }
  }
  for (i += 4 * words.length; i < n; i++) if (!cleanByte(bytes, i, n)) return false;
  return true;
}

/** Not a backslash nor a control character but a line end (a CR only before an LF). */
function cleanByte(bytes: Uint8Array, i: number, n: number): boolean {
  const b = bytes[i] as number;
  if (b >= 32) return b !== 92;
  if (b === 10) return true;
  return b === 13 && i + 1 < n && bytes[i + 1] === 10;
}

/** Declared fields are tracked in a 31-bit mask; more than that takes the slow path. */
const MAX_FIELDS = 31;
/** Key positions whose field is remembered from the previous row. */
const GUESSES = 64;

export function compileFastRow(specs: readonly Spec[]): FastRow | undefined {
  if (specs.length > MAX_FIELDS) return undefined;
  return new FastParser(specs);
}

/** Distinct sets of present fields given their own builder; past that, rows are built key by key. */
const MAX_BUILDS = 64;

type Build = (vals: unknown[]) => Row;

function generic(specs: readonly Spec[], present: number, vals: unknown[]): Row {
  const out: Row = {};
  for (let j = 0; j < specs.length; j++)
    if ((present & (1 << j)) !== 0) out[(specs[j] as Spec).name] = vals[j];
  return out;
}

/** Returned by value readers for "decline". */
const FAIL: unique symbol = Symbol("fail");

class FastParser implements FastRow {
  private readonly names: string[];
  private readonly quoted: string[];
  private readonly types: Int8Array;
  private readonly vals: unknown[];
  /** The field matched at each key position in the previous row: rows of one file share an order. */
  private readonly guess = new Int8Array(GUESSES).fill(-1);
  /** Cursor, shared by the readers below. */
  private i = 0;
  /** Bounds of the last string token's content. */
  private a = 0;
  private b = 0;
  private clean = false;
  private bytes: ChunkBytes | undefined;
  private readonly scratch: unknown[] = [];
  private readonly builds = new Map<number, Build>();
  private lastPresent = -1;
  private lastBuild: Build = () => ({});

  constructor(private readonly specs: readonly Spec[]) {
    this.names = specs.map((s) => s.name);
    // JSON.stringify writes the one spelling of each name that needs no decoding to compare.
    this.quoted = specs.map((s) => `${JSON.stringify(s.name)}:`);
    this.types = Int8Array.from(specs.map((s) => s.type));
    this.vals = specs.map(() => undefined);
  }

  parse(s: string, start: number, end: number, clean: boolean, bytes?: ChunkBytes): Row | undefined {
    this.clean = clean;
    this.bytes = bytes;
    const vals = this.vals;
    let found = 0;
    let i = ws(s, start, end);
    if (i >= end || s.charCodeAt(i) !== 123 /* { */) return undefined;
    i = ws(s, i + 1, end);
    if (i < end && s.charCodeAt(i) === 125 /* } */) {
      i++;
    } else {
      for (let k = 0; ; k++) {
        if (i >= end || s.charCodeAt(i) !== 34) return undefined;
        let f: number;
        const g = k < GUESSES ? (this.guess[k] as number) : -1;
        const quoted = g >= 0 ? (this.quoted[g] as string) : "";
        if (g >= 0 && i + quoted.length <= end && s.substring(i, i + quoted.length) === quoted) {
          // The key this position held in the previous row, written `"name":`: one native
          // comparison (a substring of a few characters is cheaper than a loop over them).
          f = g;
          i += quoted.length;
        } else {
          this.i = i;
          if (!this.string(s, end)) return undefined;
          f = this.field(s, this.a, this.b - this.a, k);
          i = this.i;
          // Compact JSON has no space around : and , (ws only when there is some).
          if (s.charCodeAt(i) !== 58 /* : */) {
            i = ws(s, i, end);
            if (i >= end || s.charCodeAt(i) !== 58) return undefined;
          }
          i++;
        }
        this.i = s.charCodeAt(i) <= 32 ? ws(s, i, end) : i;
        if (f < 0) {
          if (!this.skip(s, end)) return undefined;
        } else {
          const bit = 1 << f;
          // JSON.parse keeps the last of duplicate keys; leave that to it.
          if ((found & bit) !== 0) return undefined;
          found |= bit;
          const v = this.value(s, end, this.types[f] as number);
          if (v === FAIL) return undefined;
          vals[f] = v;
        }
        i = this.i;
        let c = s.charCodeAt(i);
        if (c <= 32) {
          i = ws(s, i, end);
          c = s.charCodeAt(i);
        }
        if (i >= end) return undefined;
        if (c === 44 /* , */) {
          i++;
          if (s.charCodeAt(i) <= 32) i = ws(s, i, end);
          continue;
        }
        if (c !== 125) return undefined;
        i++;
        break;
      }
    }
    if (i !== end && ws(s, i, end) !== end) return undefined;
    // Absent and null values take the default, or fail a required field.
    const n = this.specs.length;
    let present = 0;
    for (let j = 0; j < n; j++) {
      const bit = 1 << j;
      if ((found & bit) !== 0 && vals[j] !== null) {
        present |= bit;
        continue;
      }
      const spec = this.specs[j] as Spec;
      const fallback = spec.fallback;
      if (fallback !== undefined) {
        vals[j] = Array.isArray(fallback) ? fallback.slice() : fallback;
        present |= bit;
      } else if (spec.required) {
        return undefined;
      }
    }
    return this.builder(present)(vals);
  }

  /**
   * A function building the row for one set of present fields as an object literal: one
   * allocation with a fixed shape, where assigning keys one by one would go through a
   * megamorphic keyed store per field (about a tenth of the row's cost). Keys are in
   * declaration order, as the slow path builds them; absent fields stay absent.
   */
  private builder(present: number): Build {
    if (present === this.lastPresent) return this.lastBuild;
    let build = this.builds.get(present);
    if (build === undefined) {
      const props: string[] = [];
      this.specs.forEach((spec, j) => {
        // JSON.stringify makes any field name a safe property name literal.
        if ((present & (1 << j)) !== 0) props.push(`${JSON.stringify(spec.name)}: v[${j}]`);
      });
      build =
        this.builds.size < MAX_BUILDS
          ? (new Function("v", `return { ${props.join(", ")} };`) as Build)
          : (v) => generic(this.specs, present, v);
      this.builds.set(present, build);
    }
    this.lastPresent = present;
    this.lastBuild = build;
    return build;
  }

  private field(s: string, at: number, len: number, k: number): number {
    const names = this.names;
    const g = k < GUESSES ? (this.guess[k] as number) : -1;
    if (g >= 0) {
      const name = names[g] as string;
      if (name.length === len && matchAt(s, at, name)) return g;
    }
    for (let j = 0; j < names.length; j++) {
      const name = names[j] as string;
      if (name.length === len && matchAt(s, at, name)) {
        if (k < GUESSES) this.guess[k] = j;
        return j;
      }
    }
    return -1;
  }

  /** A value of a declared field, typed; FAIL when it is not the plain JSON of its type. */
  private value(s: string, end: number, type: number): unknown {
    const c = s.charCodeAt(this.i);
    if (c === 110 /* n */) return this.literal(s, end, "null", null);
    switch (type) {
      case EMAIL: {
        if (c !== 34 || !this.string(s, end)) return FAIL;
        // A slice of the read buffer, like every value here: nothing keeps it past the
        // recipient (the dedupe set copies keys into its own arena, see util/key-set.ts).
        let v = s.slice(this.a, this.b);
        // The usual address, as written: its bytes say so (chunk-bytes.ts), in about a third of
        // the time of emailFast's regular expression.
        if (this.bytes?.email(this.a, this.b)) return v;
        if (v.length > 0 && (v.charCodeAt(0) <= 32 || v.charCodeAt(v.length - 1) <= 32)) v = v.trim();
        return emailFast(v) ?? FAIL;
      }
      case NUMBER:
        return this.number(s, end);
      case BOOLEAN:
        if (c === 116 /* t */) return this.literal(s, end, "true", true);
        if (c === 102 /* f */) return this.literal(s, end, "false", false);
        return FAIL;
      case DATE: {
        if (c !== 34 || !this.string(s, end)) return FAIL;
        const v = s.slice(this.a, this.b);
        return Number.isNaN(parseInstant(v)) ? FAIL : v;
      }
      case LIST:
        return c === 91 /* [ */ ? this.list(s, end) : FAIL;
      default:
        // STRING
        if (c !== 34 || !this.string(s, end)) return FAIL;
        return s.slice(this.a, this.b);
    }
  }

  /** A string token with no escapes or control characters; sets a, b to its content. */
  private string(s: string, end: number): boolean {
    let j = this.i + 1;
    if (this.clean) {
      j = s.indexOf('"', j);
      if (j === -1 || j >= end) return false;
    } else {
      for (; j < end; j++) {
        const c = s.charCodeAt(j);
        if (c === 34) break;
        if (c === 92 || c < 32) return false;
      }
      if (j >= end) return false;
    }
    this.a = this.i + 1;
    this.b = j;
    this.i = j + 1;
    return true;
  }

  private literal<T>(s: string, end: number, word: string, v: T): T | typeof FAIL {
    if (this.i + word.length > end || !matchAt(s, this.i, word)) return FAIL;
    this.i += word.length;
    return v;
  }

  /** A JSON number, exactly the grammar JSON.parse takes. */
  private number(s: string, end: number): number | typeof FAIL {
    const start = this.i;
    let i = start;
    if (i < end && s.charCodeAt(i) === 45 /* - */) i++;
    if (i >= end) return FAIL;
    const first = s.charCodeAt(i);
    if (first === 48 /* 0 */) i++;
    else if (first >= 49 && first <= 57) i = digitsEnd(s, i + 1, end);
    else return FAIL;
    let integer = true;
    if (i < end && s.charCodeAt(i) === 46 /* . */) {
      const d = digitsEnd(s, i + 1, end);
      if (d === i + 1) return FAIL;
      i = d;
      integer = false;
    }
    if (i < end && (s.charCodeAt(i) | 32) === 101 /* e, E */) {
      i++;
      if (i < end && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) i++;
      const d = digitsEnd(s, i, end);
      if (d === i) return FAIL;
      i = d;
      integer = false;
    }
    this.i = i;
    // Up to 15 digits an integer is exact in a double: no string needed.
    if (integer && i - start <= 15) {
      let v = 0;
      let j = start;
      const negative = s.charCodeAt(j) === 45;
      if (negative) j++;
      for (; j < i; j++) v = v * 10 + (s.charCodeAt(j) - 48);
      return negative ? -v : v;
    }
    return Number(s.slice(start, i));
  }

  /** A list of strings, numbers, booleans and nulls. */
  private list(s: string, end: number): unknown[] | typeof FAIL {
    // Items gather in a reused scratch list and leave as an exact-size list: one grown by push
    // keeps room for 17 items, which the recipient would carry around.
    const items = this.scratch;
    let n = 0;
    this.i = ws(s, this.i + 1, end);
    if (this.i < end && s.charCodeAt(this.i) === 93 /* ] */) {
      this.i++;
      return [];
    }
    for (;;) {
      if (this.i >= end) return FAIL;
      const c = s.charCodeAt(this.i);
      let v: unknown;
      if (c === 34) v = this.string(s, end) ? s.slice(this.a, this.b) : FAIL;
      else if (c === 116) v = this.literal(s, end, "true", true);
      else if (c === 102) v = this.literal(s, end, "false", false);
      else if (c === 110) v = this.literal(s, end, "null", null);
      else v = this.number(s, end);
      if (v === FAIL) return FAIL;
      items[n++] = v;
      let i = this.i;
      if (s.charCodeAt(i) <= 32) i = ws(s, i, end);
      if (i >= end) return FAIL;
      const d = s.charCodeAt(i);
      i++;
      this.i = s.charCodeAt(i) <= 32 ? ws(s, i, end) : i;
      if (d === 93) {
        // Literals for the usual short lists: exact size, no builtin call.
        if (n === 1) return [items[0]];
        if (n === 2) return [items[0], items[1]];
        if (n === 3) return [items[0], items[1], items[2]];
        return items.slice(0, n);
      }
      if (d !== 44) return FAIL;
    }
  }

  /** Steps over the value of an undeclared key; nested values are left to JSON.parse. */
  private skip(s: string, end: number): boolean {
    if (this.i >= end) return false;
    const c = s.charCodeAt(this.i);
    if (c === 34) return this.string(s, end);
    if (c === 116) return this.literal(s, end, "true", true) !== FAIL;
    if (c === 102) return this.literal(s, end, "false", false) !== FAIL;
    if (c === 110) return this.literal(s, end, "null", null) !== FAIL;
    return this.number(s, end) !== FAIL;
  }
}

/** `s` holds `word` at `at`; startsWith does the same with more checks than this needs. */
function matchAt(s: string, at: number, word: string): boolean {
  for (let j = 0; j < word.length; j++) if (s.charCodeAt(at + j) !== word.charCodeAt(j)) return false;
  return true;
}

/** JSON whitespace: space, tab, line feed, carriage return. */
function ws(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
    i++;
  }
  return i;
}

function digitsEnd(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  return i;
}
