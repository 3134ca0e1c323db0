/**
 * A .json source: one top-level array of objects, streamed. A small scanner finds where each
 * element starts and ends (tracking strings, escapes and nesting across chunk boundaries); each
 * element is then handed to JSON.parse on its own. Memory is one element, never the whole file.
 * Rows are numbered by element: index + 1.
 *
 * What makes the file not JSON is a structural error that stops the read (DamagedSourceError),
 * named by line and element: an element JSON.parse rejects, an empty element (a stray comma), an
 * element over MAX_ROW_CHARS, an array the file ends inside (cut short), text after its `]`. An
 * element that is JSON but not an object, or not typed as declared, is one invalid row, skipped.
 */
import { MailopsError } from "../errors.js";
import { decoder } from "./decode.js";
import type { Typer } from "./fields.js";
import { damaged, describeJson, inputFailed, MAX_ROW_CHARS, type RowSink } from "./rows.js";

export async function* readJsonArray(
  input: AsyncIterable<Buffer | string>,
  typer: Typer,
  sink: RowSink,
  where: string,
): AsyncGenerator<void> {
  const scanner = new ArrayScanner(typer, sink, where);
  const decode = decoder();
  try {
    for await (const chunk of input) {
      scanner.push(typeof chunk === "string" ? chunk : decode(chunk));
      yield;
    }
  } catch (error) {
    throw inputFailed(error, scanner.lines);
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
  /** Elements finished so far; the current one is number `index + 1`. */
  private index = 0;
  private commas = 0;
  /** Line ends seen outside strings (a line end inside one is not JSON); the line is lines + 1. */
  lines = 0;
  /** The line the current element's text starts on (it may start with white space and line ends). */
  private elementLine = 1;

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
        else if (c === 10) this.lines++;
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
          this.elementLine = this.lines + 1;
        }
      } else if (this.phase === BEFORE) {
        if (c === 10) this.lines++;
        if (isSpace(c)) continue;
        if (c !== 91) {
          throw new MailopsError(
            `${this.where} is not a JSON array`,
            "a .json subscriber file holds one array of objects: [{...}, {...}]; for one object per line use .jsonl",
          );
        }
        this.phase = INSIDE;
        from = i + 1;
        this.elementLine = this.lines + 1;
      } else if (c === 10) this.lines++;
      else if (!isSpace(c)) {
        throw damaged(
          this.where,
          this.lines + 1,
          "text after the closing ] of the array",
          "a .json subscriber file holds one array of objects; fix the export and run again",
        );
      }
    }
    if (this.phase === INSIDE) {
      this.pending += from === 0 ? text : text.slice(from);
      if (this.pending.length > MAX_ROW_CHARS) throw this.tooLong(this.pending);
    }
  }

  end(): void {
    if (this.phase === BEFORE) {
      throw new MailopsError(`${this.where} is empty`, "write [] for a source with no subscribers");
    }
    if (this.phase === INSIDE) {
      throw damaged(
        this.where,
        this.lines + 1,
        `the file ends inside the array, in element ${this.index + 1} (cut short?)`,
        "the file is incomplete, so nothing is sent from it: export or download it again",
      );
    }
  }

  /** A structural error at the current element, whose text so far is `text`. */
  private damaged(text: string, what: string): Error {
    return damaged(this.where, this.elementLine + leadingLines(text), what);
  }

  private tooLong(text: string): Error {
    return this.damaged(
      text,
      `element ${this.index + 1} is longer than ${MAX_ROW_CHARS} characters (a bracket or quote not closed?)`,
    );
  }

  private finish(tail: string, closing: boolean): void {
    const text = this.pending === "" ? tail : this.pending + tail;
    this.pending = "";
    if (text.length > MAX_ROW_CHARS) throw this.tooLong(text);
    if (text.trim() === "") {
      // `[]` is an empty source; any other empty element is a stray comma.
      if (closing && this.index === 0 && this.commas === 0) return;
      throw this.damaged(text, `element ${this.index + 1} is empty (a stray comma?)`);
    }
    this.index++;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      // JSON.parse's message quotes the element: what was found is said without the data.
      throw this.damaged(text, `element ${this.index} is not valid JSON`);
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

/** Line ends before the first non-space character: where an element really starts. */
function leadingLines(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) n++;
    else if (!isSpace(c)) break;
  }
  return n;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff;
}
