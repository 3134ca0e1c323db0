/**
 * JSON Lines: one object per line, blank lines ignored. The hot path of the audience budget
 * (docs/performance.md): lines are read in place from each decoded chunk by the fast path (fast-json.ts);
 * a line it declines goes through JSON.parse and the typer.
 *
 * A line that is not JSON at all (cut short, two records run together, an editor's stray
 * keystroke) or longer than MAX_ROW_CHARS means the file is damaged: the read stops there
 * (DamagedSourceError). A line that is JSON but not an object, or not typed as declared, is one
 * invalid row, skipped and counted.
 */
import { ASCII, type ChunkBytes, chunkBytes, DIRTY } from "./chunk-bytes.js";
import { decoder } from "./decode.js";
import { compileFastRow, type FastRow, isClean, isCleanBytes } from "./fast-json.js";
import type { Typer } from "./fields.js";
import { damaged, describeJson, inputFailed, MAX_ROW_CHARS, type RowSink } from "./rows.js";

/**
 * Rows handed to the sink between yields. Small batches keep the recipients built from one batch
 * short-lived: consumed before the next young-generation collection, they are never copied by it.
 */
const BATCH = 512;

/**
 * `size`: the input's length in bytes when known (a local file): after the first chunk, the sink
 * is told the rows to expect (RowSink.expect).
 */
export async function* readJsonl(
  input: AsyncIterable<Buffer | string>,
  typer: Typer,
  sink: RowSink,
  where: string,
  size?: number,
): AsyncGenerator<void> {
  const lines = new JsonlLines(typer, sink, where);
  const decode = decoder();
  const bytes = chunkBytes();
  let first = true;
  try {
    for await (const chunk of input) {
      if (typeof chunk === "string") lines.feed(chunk, isClean(chunk));
      else if (bytes === undefined) lines.feed(decode(chunk), isCleanBytes(chunk));
      else {
        const said = bytes.load(chunk);
        // A dirty chunk's check stopped at its first odd byte: whether it is ASCII is not known.
        const text = decode(chunk, said === DIRTY ? undefined : said === ASCII);
        lines.feed(text, said !== DIRTY, said === ASCII ? bytes : undefined);
      }
      while (lines.pump(BATCH)) yield;
      if (first && size !== undefined && chunk.length > 0 && lines.line > 0) {
        sink.expect?.(Math.ceil((size * lines.line) / chunk.length));
      }
      first = false;
      yield;
    }
  } catch (error) {
    throw inputFailed(error, lines.line);
  }
  const last = decode();
  lines.feed(last, isClean(last));
  while (lines.pump(BATCH)) yield;
  lines.end();
  yield;
}

class JsonlLines {
  /** The text being read, from `pos`; the partial line at its end moves to `rest`. */
  private text = "";
  private pos = 0;
  private clean = false;
  /** The text's bytes, when each of its characters is one of them (an ASCII chunk). */
  private bytes: ChunkBytes | undefined;
  private rest = "";
  /** Lines read so far: the current one while it is handled. */
  line = 0;
  private readonly fast: FastRow | undefined;

  constructor(
    private readonly typer: Typer,
    private readonly sink: RowSink,
    private readonly where: string,
  ) {
    this.fast = compileFastRow(typer.specs);
  }

  /**
   * Takes the next decoded chunk, whether it is clean (fast-json.ts), and its bytes when they are
   * ASCII, loaded; call pump() until it returns false before feeding more.
   */
  feed(text: string, clean: boolean, bytes?: ChunkBytes): void {
    this.text = "";
    this.pos = 0;
    this.bytes = undefined;
    if (text === "") return;
    let start = 0;
    if (this.line === 0 && this.rest === "" && text.charCodeAt(0) === 0xfeff) start = 1;
    if (this.rest !== "") {
      // The line that straddles two chunks; every other line is read in place from `text`.
      const nl = text.indexOf("\n");
      if (nl === -1) {
        this.keep(text);
        return;
      }
      const line = this.rest + text.slice(0, nl);
      this.rest = "";
      this.line++;
      this.handle(line, 0, line.length, false);
      start = nl + 1;
    }
    this.text = text;
    this.pos = start;
    this.clean = clean;
    this.bytes = bytes;
  }

  /** Reads up to `max` lines; false once the text is used up (its partial last line kept). */
  pump(max: number): boolean {
    const text = this.text;
    if (text === "") return false;
    let start = this.pos;
    for (let n = 0; n < max; n++) {
      const nl = text.indexOf("\n", start);
      if (nl === -1) {
        if (start < text.length) this.keep(start === 0 ? text : text.slice(start));
        this.text = "";
        return false;
      }
      this.line++;
      this.handle(text, start, nl, this.clean, this.bytes);
      start = nl + 1;
    }
    this.pos = start;
    return true;
  }

  end(): void {
    if (this.rest !== "") {
      this.line++;
      this.handle(this.rest, 0, this.rest.length, false);
    }
    this.rest = "";
  }

  private keep(text: string): void {
    this.rest += text;
    if (this.rest.length > MAX_ROW_CHARS) this.tooLong(this.line + 1);
  }

  private tooLong(line: number): never {
    throw damaged(
      this.where,
      line,
      `a line longer than ${MAX_ROW_CHARS} characters`,
      "no subscriber row is that long: line ends are probably missing, so several rows run together; fix the export and run again",
    );
  }

  private handle(s: string, start: number, end: number, clean: boolean, bytes?: ChunkBytes): void {
    if (end - start > MAX_ROW_CHARS) this.tooLong(this.line);
    const fast = this.fast?.parse(s, start, end, clean, bytes);
    if (fast !== undefined) {
      this.sink.row(fast, this.line);
      return;
    }
    const text = start === 0 && end === s.length ? s : s.slice(start, end);
    // Blank (or whitespace-only, e.g. a lone "\r") lines are not rows.
    if (text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === "")) return;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      // JSON.parse's message quotes the line: what was found is said without the data.
      throw damaged(this.where, this.line, "not valid JSON (cut short, or two rows on one line?)");
    }
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
      this.sink.bad(this.line, `not a JSON object (found ${describeJson(obj)})`, undefined);
      return;
    }
    const row = obj as Record<string, unknown>;
    const typed = this.typer.fromJson(row);
    if (typeof typed === "string") this.sink.bad(this.line, typed, this.typer.addressOfJson(row));
    else this.sink.row(typed, this.line);
  }
}
