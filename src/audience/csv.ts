/**
 * A .csv source through csv-parse's streaming parser: a header row, then one subscriber per record.
 *
 * The danger in a CSV file is a quote that opens a field and never closes where the writer meant:
 * everything up to the next quote, thousands of rows, becomes one cell. So whatever changes where
 * records start and end is a structural error that stops the read (DamagedSourceError), never a
 * skipped row:
 *   - a quote still open at the end of the file (CSV_QUOTE_NOT_CLOSED), reported at the line where
 *     its record starts;
 *   - a record with more or fewer fields than the header;
 *   - a quoted field that spans lines and is ended by a quote not followed by a comma or a line end:
 *     csv-parse's relax_quotes then gives the cell back its opening quote, so a multi-line cell that
 *     starts with `"` is that case (a quoted field may start with an escaped `""` too: a multi-line
 *     one that does is refused as well, a price worth paying);
 *   - a record spanning more than MAX_RECORD_LINES lines (a stray quote closed cleanly by a later
 *     one, e.g. `5"` at a line end), or over MAX_ROW_CHARS characters.
 * relax_quotes stays on for what cannot move a record boundary: a quote inside an unquoted field
 * (`O"Brien`, `Robert "Bob" Smith`) and a quoted field closed early on its own line (`"a"b`) are
 * kept as text. Without it csv-parse stops at the first such quote and names no useful line, and it
 * cannot resume after an error. Legitimate quoted multi-line fields (`"1 Main St\nSpringfield"`)
 * are read as before.
 */
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import { MailopsError } from "../errors.js";
import type { CsvTyper, Typer } from "./fields.js";
import { damaged, inputFailed, MAX_ROW_CHARS, type RowSink } from "./rows.js";

let csvParse: typeof import("csv-parse") | undefined;

/** Records handed over between yields: the sink's buffer stays small. */
const BATCH = 1024;

/** A record spanning more lines is a quote gone wrong; a postal address takes a handful. */
export const MAX_RECORD_LINES = 20;

const UNCLOSED_HINT =
  'a quote opened in this record is not closed where the field ends, so the rows after it would be read as one field; fix the export (quote the whole field and double any quote inside it: "a ""b"" c") and run again';

export async function* readCsv(
  input: AsyncIterable<Buffer | string>,
  typer: Typer,
  sink: RowSink,
  where: string,
): AsyncGenerator<void> {
  // Loaded here, not at start-up: most sources are JSON Lines, and every command pays for a
  // module it imports (8 files, a few ms). Required, as the CLI's CommonJS bundle loads packages.
  csvParse ??= createRequire(import.meta.url)("csv-parse") as typeof import("csv-parse");
  const { parse } = csvParse;
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
      const spans = newlines(record);
      const line = info.lines - spans;
      lastLine = info.lines;
      if (spans > 0) checkMultiLine(record, spans, line, where);
      if (typed === undefined) {
        typed = typer.forCsv(header(record), where);
        continue;
      }
      if (record.length !== typed.columns) {
        throw damaged(
          where,
          line,
          `${record.length} fields where the header has ${typed.columns}`,
          "a quote that is not closed, or a comma too many or too few, moves every field after it; fix the export (each row has one field per header column) and run again",
        );
      }
      trimCells(record);
      const fields = typed.fromCells(record);
      if (typeof fields === "string") sink.bad(line, fields, typed.addressOfCells(record));
      else sink.row(fields, line);
      if (++count % BATCH === 0) yield;
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "CSV_QUOTE_NOT_CLOSED") {
      // Only raised at the end of the input: the open quote is in the record after the last one read.
      throw damaged(where, lastLine + 1, "a quote is opened and never closed", UNCLOSED_HINT);
    }
    if (code === "CSV_MAX_RECORD_SIZE") {
      throw damaged(
        where,
        lastLine + 1,
        `a record longer than ${MAX_ROW_CHARS} characters`,
        "a quote is probably not closed; the rows after it cannot be told apart, so nothing is sent from this file",
      );
    }
    if (typeof code === "string" && code.startsWith("CSV_")) {
      // csv-parse's own message may quote the field: the code and the line say enough.
      const at = (error as { lines?: number }).lines ?? lastLine + 1;
      throw damaged(where, at, `the CSV cannot be parsed (${code})`);
    }
    throw inputFailed(error, lastLine);
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

/** A record over several lines: only a quoted field may do that, and only one closed properly. */
function checkMultiLine(record: string[], spans: number, line: number, where: string): void {
  if (spans >= MAX_RECORD_LINES) {
    throw damaged(
      where,
      line,
      `a record spanning ${spans + 1} lines (at most ${MAX_RECORD_LINES} are read as one record)`,
      UNCLOSED_HINT,
    );
  }
  for (const cell of record) {
    // relax_quotes gives a quoted field its opening quote back when a quote inside it is followed
    // by something other than a comma or a line end: the field was never closed where it ends.
    if (cell.charCodeAt(0) === 34 && cell.includes("\n")) {
      throw damaged(
        where,
        line,
        "a quoted field runs over several lines and is not closed properly",
        UNCLOSED_HINT,
      );
    }
  }
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
