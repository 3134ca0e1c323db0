/**
 * Reading `.mailops/local/events.jsonl` (records.ts) without holding it: a chunk at a time, from
 * any byte offset, so a reader that keeps its place reads each event once however often it asks.
 * The file only grows (lines are appended whole, records.ts): a line without its newline is the
 * end of the file being written, or a line cut short by a crash, which records.ts ends with a
 * newline of its own before appending more.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { LocalEvent } from "./records.js";

const CHUNK = 1 << 20;

/** One line, decoded, and the byte offset just past its newline (undefined: the file's unended last line). */
export interface Line {
  text: string;
  end: number | undefined;
}

/** The file's lines from byte `from` (the start of a line), a chunk at a time; none when it is missing. */
export function* linesFrom(file: string, from = 0): Generator<Line> {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  try {
    const buffer = Buffer.alloc(CHUNK);
    let carry = Buffer.alloc(0);
    // The file offset where `carry` starts.
    let base = from;
    for (
      let pos = from, n = readSync(fd, buffer, 0, CHUNK, pos);
      n > 0;
      n = readSync(fd, buffer, 0, CHUNK, pos)
    ) {
      pos += n;
      const data = carry.length ? Buffer.concat([carry, buffer.subarray(0, n)]) : buffer.subarray(0, n);
      let start = 0;
      for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
        yield { text: data.toString("utf8", start, nl), end: base + nl + 1 };
        start = nl + 1;
      }
      // Copied: `buffer` is read into again.
      carry = Buffer.from(data.subarray(start));
      base = pos - carry.length;
    }
    if (carry.length) yield { text: carry.toString("utf8"), end: undefined };
  } finally {
    closeSync(fd);
  }
}

/** An event, or undefined for a line that is not a whole event (cut short by a crash). */
export function parseEvent(line: string): LocalEvent | undefined {
  if (!line) return undefined;
  try {
    const e = JSON.parse(line) as LocalEvent;
    if (e && typeof e === "object" && typeof e.type === "string" && typeof e.at === "string") return e;
  } catch {
    // a torn line
  }
  return undefined;
}

/** Every event of the file, in order, a chunk at a time. */
export function* eventsOf(file: string): Generator<LocalEvent> {
  for (const { text } of linesFrom(file)) {
    const e = parseEvent(text);
    if (e) yield e;
  }
}

/**
 * A running count over the file's events, read once each: `update` reads only what was appended
 * since it last did. What the file's unended last line adds is counted for that answer alone, and
 * the line read again next time (it may be a line still being written).
 */
export class EventCount<T> {
  private offset = 0;
  /** Identifies the file read so far: another file in its place (deleted, recreated) is read from the start. */
  private ino: number | undefined;
  private counts: T;

  constructor(
    private readonly file: string,
    private readonly empty: () => T,
    private readonly add: (counts: T, e: LocalEvent) => void,
  ) {
    this.counts = empty();
  }

  /** The counts over the whole file as it is now. */
  update(): T {
    this.restartIfReplaced();
    let tail: T | undefined;
    for (const { text, end } of linesFrom(this.file, this.offset)) {
      const e = parseEvent(text);
      if (end === undefined) {
        tail = structuredClone(this.counts);
        if (e) this.add(tail, e);
        break;
      }
      if (e) this.add(this.counts, e);
      this.offset = end;
    }
    return tail ?? structuredClone(this.counts);
  }

  private restartIfReplaced(): void {
    let size = 0;
    let ino: number | undefined;
    try {
      const fd = openSync(this.file, "r");
      try {
        ({ size, ino } = fstatSync(fd));
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    if (ino !== this.ino || size < this.offset) {
      this.offset = 0;
      this.counts = this.empty();
      this.ino = ino;
    }
  }
}
