/**
 * guardrails.max_invalid_rows: how many skipped rows a send tolerates before it is refused. Pure.
 *
 * Rows are counted over every source the campaign reads, exclude-only sources too, each source
 * once and before any segment filter: a damaged exclude list is as dangerous as a damaged
 * audience (it would let through the people it should keep out). The share (`1%`) is of the sum
 * of those rows, rounded up and at least 1, so a small list may hold one bad row.
 */
import type { MaxInvalidRows } from "../config/model.js";
import type { AudienceStats, InvalidSample } from "./audience.js";

export interface InvalidRows {
  /** Rows read over every source, each once. */
  read: number;
  invalid: number;
  /** The most invalid rows allowed for this many rows read. */
  limit: number;
  /** invalid > limit: the send is refused. */
  over: boolean;
}

/** The rows a setting allows out of `read`. */
export function invalidRowLimit(max: MaxInvalidRows, read: number): number {
  if ("rows" in max) return max.rows;
  // The epsilon keeps 0.07% of 10,000 at 7, not 8: read * 0.07 / 100 is not exact in binary.
  return Math.max(1, Math.ceil((read * max.percent) / 100 - 1e-9));
}

/** Rows and invalid rows over the passes of a stream, a source read twice counted once. */
export function sourceTotals(stats: Pick<AudienceStats, "sources">): { read: number; invalid: number } {
  const seen = new Set<string>();
  let read = 0;
  let invalid = 0;
  for (const s of stats.sources) {
    if (seen.has(s.source)) continue;
    seen.add(s.source);
    read += s.read;
    invalid += s.invalid;
  }
  return { read, invalid };
}

export function judgeInvalidRows(stats: Pick<AudienceStats, "sources">, max: MaxInvalidRows): InvalidRows {
  const { read, invalid } = sourceTotals(stats);
  const limit = invalidRowLimit(max, read);
  return { read, invalid, limit, over: invalid > limit };
}

export function formatMaxInvalidRows(max: MaxInvalidRows): string {
  return "rows" in max ? String(max.rows) : `${max.percent}%`;
}

const SHOWN = 3;

/**
 * Why a send is refused, on one line: the counts, the setting, and the first invalid rows as
 * file:line, with their reasons (masked addresses) when `reasons` is set.
 */
export function describeTooManyInvalid(
  rows: InvalidRows,
  max: MaxInvalidRows,
  samples: InvalidSample[],
  fileOf: (source: string) => string,
  reasons: boolean,
): string {
  const limit = "rows" in max ? `${max.rows}` : `${max.percent}% of the rows read, ${rows.limit}`;
  const first = samples
    .slice(0, SHOWN)
    .map((s) => `${fileOf(s.source)}:${s.line}${reasons ? ` ${s.reason}` : ""}`);
  return [
    `${rows.invalid} invalid rows of ${rows.read} read, more than guardrails.max_invalid_rows allows (${limit})`,
    ...(first.length ? [`first: ${first.join("; ")}`] : []),
    "fix the export, or raise guardrails.max_invalid_rows in mailops.yaml if these rows are expected",
  ].join("; ");
}
