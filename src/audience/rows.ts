/** What the format readers hand their rows to. */
import type { Row } from "./condition.js";

/** A row longer than this is skipped (JSON, JSONL) or stops the read (CSV): memory stays bounded. */
export const MAX_ROW_CHARS = 1 << 20;

/**
 * Called synchronously for every row, in file order. A reader yields between chunks, so what the
 * sink collected from one chunk can be handed on before the next is read.
 */
export interface RowSink {
  row(fields: Row, line: number): void;
  /** A skipped row; `address` is its valid address when only another field was wrong. */
  bad(line: number, reason: string, address: string | undefined): void;
}

export function describeJson(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return "text";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}
