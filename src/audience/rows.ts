/** What the format readers hand their rows to, and how they report a damaged file. */
import { MailopsError } from "../errors.js";
import type { Row } from "./condition.js";

/** A row longer than this stops the read: memory stays bounded, and no subscriber row is that long. */
export const MAX_ROW_CHARS = 1 << 20;

/**
 * Called synchronously for every row, in file order. A reader yields between chunks and after its
 * last row, so what the sink collected from one chunk can be handed on before the next is read.
 */
export interface RowSink {
  row(fields: Row, line: number): void;
  /** A skipped row; `address` is its valid address when only another field was wrong. */
  bad(line: number, reason: string, address: string | undefined): void;
  /**
   * The reader's estimate of the rows the source holds in all, told once early in the read (from
   * a file's size and its first chunk), so that a sink can make room at once; a hint, never a count.
   */
  expect?(rows: number): void;
}

/**
 * A structural error: the file's rows can no longer be told apart (a quote never closed, a
 * column count off, JSON cut short). Not a skipped row: what follows may be many subscribers read
 * as one, or none, so the whole read stops and nothing is sent from it. `what` never holds
 * subscriber data.
 */
export class DamagedSourceError extends MailopsError {}

const DAMAGED_HINT =
  "the file is damaged, so nothing is sent from it: fix the export (or the file) and run again";

export function damaged(where: string, line: number, what: string, hint = DAMAGED_HINT): DamagedSourceError {
  return new DamagedSourceError(`${where}, line ${line}: ${what}`, hint);
}

/** The bytes under a reader failed (a truncated .gz, a dropped download) after `line` was read. */
export class InputFailed extends Error {
  constructor(
    override readonly cause: unknown,
    readonly line: number,
  ) {
    super("reading the input failed");
  }
}

/** A reader's input error, with the line it was read to; MailopsErrors pass unchanged. */
export function inputFailed(error: unknown, line: number): unknown {
  return error instanceof MailopsError || error instanceof InputFailed ? error : new InputFailed(error, line);
}

export function describeJson(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return "text";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}
