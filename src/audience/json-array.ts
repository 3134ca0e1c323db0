/**
 * A .json source: one top-level array of objects, streamed. A small scanner finds where each
 * element starts and ends (tracking strings, escapes and nesting across chunk boundaries); each
 * element is then handed to JSON.parse on its own. Memory is one element, never the whole file,
 * and a malformed element is skipped like a bad JSONL line while the rest of the array is read.
 * Rows are numbered by element: index + 1.
 */
import { MailopsError } from "../errors.js";
import { decoder } from "./decode.js";
import type { Typer } from "./fields.js";
import { describeJson, MAX_ROW_CHARS, type RowSink } from "./rows.js";

export async function* readJsonArray(
  input: AsyncIterable<Buffer | string>,
  typer: Typer,
  sink: RowSink,
  where: string,
): AsyncGenerator<void> {
  const scanner = new ArrayScanner(typer, sink, where);
  const decode = decoder();
  for await (const chunk of input) {
    scanner.push(typeof chunk === "string" ? chunk : decode(chunk));
    yield;
  }
  scanner.push(decode());
  scanner.end();
  yield;
}

const BEFORE = 0;
const INSIDE = 1;
const AFTER = 2;

class ArrayScanner {
  private phase = BEFORE;
  /** Nesting inside the current element: 0 is directly in the top-level array. */
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The current element's text from earlier chunks. */
  private pending = "";
  private oversized = false;
  /** Elements finished so far; the current one is number `index + 1`. */
  private index = 0;
  private commas = 0;
  private trailingReported = false;

  constructor(
    private readonly typer: Typer,
    private readonly sink: RowSink,
    private readonly where: string,
  ) {}

  push(text: string): void {
    let from = 0;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (this.phase === INSIDE) {
        if (this.inString) {
          if (this.escaped) this.escaped = false;
          else if (c === 92 /* \ */) this.escaped = true;
          else if (c === 34 /* " */) this.inString = false;
          continue;
        }
        if (c === 34) this.inString = true;
        else if (c === 123 /* { */ || c === 91 /* [ */) this.depth++;
        else if (c === 125 /* } */) {
          if (this.depth > 0) this.depth--;
        } else if (c === 93 /* ] */) {
          if (this.depth > 0) this.depth--;
          else {
            this.finish(text.slice(from, i), true);
            this.phase = AFTER;
          }
        } else if (c === 44 /* , */ && this.depth === 0) {
          this.finish(text.slice(from, i), false);
          this.commas++;
          from = i + 1;
        }
      } else if (this.phase === BEFORE) {
        if (isSpace(c)) continue;
        if (c !== 91) {
          throw new MailopsError(
            `${this.where} is not a JSON array`,
            "a .json subscriber file holds one array of objects: [{...}, {...}]; for one object per line use .jsonl",
          );
        }
        this.phase = INSIDE;
        from = i + 1;
      } else if (!isSpace(c) && !this.trailingReported) {
        this.trailingReported = true;
        this.sink.bad(this.index + 1, "text after the closing ] of the array", undefined);
      }
    }
    if (this.phase === INSIDE && !this.oversized) {
      this.pending += from === 0 ? text : text.slice(from);
      if (this.pending.length > MAX_ROW_CHARS) {
        this.oversized = true;
        this.pending = "";
      }
    }
  }

  end(): void {
    if (this.phase === BEFORE) {
      throw new MailopsError(`${this.where} is empty`, "write [] for a source with no subscribers");
    }
    if (this.phase === INSIDE) {
      this.index++;
      this.sink.bad(this.index, "the file ends before the array is closed (truncated?)", undefined);
    }
  }

  private finish(tail: string, closing: boolean): void {
    const text = this.pending === "" ? tail : this.pending + tail;
    this.pending = "";
    if (this.oversized) {
      this.oversized = false;
      this.index++;
      this.sink.bad(this.index, `longer than ${MAX_ROW_CHARS} characters`, undefined);
      return;
    }
    if (text.trim() === "") {
      // `[]` is an empty source; any other empty element is a stray comma.
      if (closing && this.index === 0 && this.commas === 0) return;
      this.index++;
      this.sink.bad(this.index, "an empty element (a stray comma?)", undefined);
      return;
    }
    this.index++;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      this.sink.bad(this.index, "not valid JSON", undefined);
      return;
    }
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
      this.sink.bad(this.index, `not a JSON object (found ${describeJson(obj)})`, undefined);
      return;
    }
    const row = obj as Record<string, unknown>;
    const typed = this.typer.fromJson(row);
    if (typeof typed === "string") this.sink.bad(this.index, typed, this.typer.addressOfJson(row));
    else this.sink.row(typed, this.index);
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff;
}
