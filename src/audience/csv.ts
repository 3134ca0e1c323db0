/**
 * A .csv source through csv-parse's streaming parser: a header row, then one subscriber per record.
 *
 * Quoting is relaxed (a stray quote inside a field is kept as text) because csv-parse cannot
 * resume after a record error: with `skip_records_with_error` it silently drops the rest of the
 * chunk, which would lose subscribers, or worse, entries of an exclude list. What remains an error
 * is structural: a quote still open at the end of the file (reported as one skipped row), or a
 * record over MAX_ROW_CHARS (the read stops: past that point record boundaries are unknown).
 */
import { Readable } from "node:stream";
import { parse } from "csv-parse";
import { MailopsError } from "../errors.js";
import type { CsvTyper, Typer } from "./fields.js";
import { MAX_ROW_CHARS, type RowSink } from "./rows.js";

/** Records handed over between yields: the sink's buffer stays small. */
const BATCH = 1024;

export async function* readCsv(
  input: AsyncIterable<Buffer | string>,
  typer: Typer,
  sink: RowSink,
  where: string,
): AsyncGenerator<void> {
  const parser = parse({
    bom: true,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_ROW_CHARS,
  });
  const source = input instanceof Readable ? input : Readable.from(input, { objectMode: false });
  source.on("error", (e) => parser.destroy(e));
  source.pipe(parser);
  let typed: CsvTyper | undefined;
  let lastLine = 0;
  let count = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      // info.lines is where the record ends; a quoted field may span lines.
      const line = info.lines - newlines(record);
      lastLine = info.lines;
      if (typed === undefined) {
        typed = typer.forCsv(header(record), where);
        continue;
      }
      trimCells(record);
      if (record.length !== typed.columns) {
        sink.bad(
          line,
          `has ${record.length} fields, the header has ${typed.columns}`,
          typed.addressOfCells(record),
        );
      } else {
        const fields = typed.fromCells(record);
        if (typeof fields === "string") sink.bad(line, fields, typed.addressOfCells(record));
        else sink.row(fields, line);
      }
      if (++count % BATCH === 0) yield;
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "CSV_QUOTE_NOT_CLOSED" && typed !== undefined) {
      // Only raised at the end of the input: everything before it was read.
      sink.bad(lastLine + 1, "a quote is not closed: the rest of the file was read as this row", undefined);
    } else if (code === "CSV_MAX_RECORD_SIZE") {
      throw new MailopsError(
        `${where}: a record starting after line ${lastLine} is longer than ${MAX_ROW_CHARS} characters`,
        "a quote is probably not closed; the rows after it cannot be told apart, so nothing past it was read",
      );
    } else if (typeof code === "string" && code.startsWith("CSV_")) {
      throw new MailopsError(`${where}: ${(error as Error).message}`);
    } else {
      throw error;
    }
  } finally {
    source.unpipe(parser);
    if (typeof (source as Readable).destroy === "function") source.destroy();
  }
  if (typed === undefined) {
    throw new MailopsError(
      `${where} is empty`,
      "a CSV subscriber file starts with a header row naming its fields",
    );
  }
  yield;
}

function header(record: string[]): string[] {
  return record.map((h) => h.trim());
}

/** Cells are trimmed: `a@example.com, 42` means 42, not " 42". */
function trimCells(record: string[]): void {
  for (let i = 0; i < record.length; i++) {
    const cell = record[i] as string;
    if (cell.length > 0 && (cell.charCodeAt(0) <= 32 || cell.charCodeAt(cell.length - 1) <= 32))
      record[i] = cell.trim();
  }
}

function newlines(record: string[]): number {
  let n = 0;
  for (const cell of record) {
    let at = cell.indexOf("\n");
    while (at !== -1) {
      n++;
      at = cell.indexOf("\n", at + 1);
    }
  }
  return n;
}
