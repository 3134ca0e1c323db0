/**
 * The index of a campaign's local outbox: `index.html`, then `index-2.html`, … of PAGE_ROWS
 * messages each, in send order, each row linking the message's page (`<run>.<id>.html`, what a
 * browser shows as the recipient sees it: render/message-page.ts) and its `.eml`.
 *
 * Send order is the order of the `send` events in events.jsonl, which records.ts keeps in agreement
 * with the outbox (file times cannot tell apart the messages of one batch). The events file is read
 * in chunks and the pages written as they fill, so a campaign of a million messages costs a compact
 * set of their names (util/key-set.ts), not its rows. `.eml` files the events do not name (written
 * before events carried a run and id) follow, by name.
 */
import {
  closeSync,
  type Dir,
  existsSync,
  opendirSync,
  openSync,
  readSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { escapeHtml } from "../../render/message-page.js";
import { KeySet } from "../../util/key-set.js";
import { linesFrom } from "./events-file.js";

/** Rows per index page: a page a browser opens at once, whatever the campaign's size. */
export const PAGE_ROWS = 1000;

/**
 * Messages of a campaign's outbox that get a page: its first 10,000. A page costs 0.1–0.2 ms of
 * CPU and as much disk again as the `.eml` (docs/performance.md), and nobody reads a million of
 * them; `mailops preview <campaign> --subscriber` renders any other recipient's.
 */
export const MESSAGE_PAGES = 10_000;

interface Row {
  /** `<run>.<id>`: the message's .eml and page are this with `.eml` and `.html`. */
  name: string;
  to: string;
  subject: string;
  at: string;
}

/** Write the campaign's index pages; returns the first (`index.html`). */
export function writeOutboxIndex(
  dir: string,
  campaign: string,
  eventsFile: string,
  sizes: { pageRows?: number; messagePages?: number } = {},
): string {
  const folder = walkOutbox(dir);
  const pages = new IndexPages(
    dir,
    campaign,
    sizes.pageRows ?? PAGE_ROWS,
    sizes.messagePages ?? MESSAGE_PAGES,
    folder.pages,
  );
  const listed = new KeySet();
  let found = 0;
  for (const { run, id, at } of sendEvents(eventsFile, campaign)) {
    const name = `${run}.${id}`;
    if (!listed.add(name)) continue;
    const head = readHead(path.join(dir, `${name}.eml`));
    if (!head) continue;
    found++;
    pages.add({ name, ...head, at: at.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC") });
  }
  for (const name of unlisted(dir, listed, folder.emls - found)) {
    const head = readHead(path.join(dir, `${name}.eml`));
    if (head) pages.add({ name, ...head, at: "" });
  }
  return pages.end();
}

/** Accumulates rows and writes each page once it is full (the first one last: it holds the total). */
class IndexPages {
  private rows: string[] = [];
  private firstRows: string[] = [];
  private page = 1;
  private count = 0;

  constructor(
    private readonly dir: string,
    private readonly campaign: string,
    private readonly rowsPerPage: number,
    private readonly messagePages: number,
    /** The messages that have a page (`<run>.<id>`), from one walk of the folder: no stat a row. */
    private readonly withPage: KeySet,
  ) {}

  add(row: Row): void {
    if (this.rows.length === this.rowsPerPage) this.next();
    this.count++;
    const page = encodeURIComponent(`${row.name}.html`);
    const eml = encodeURIComponent(`${row.name}.eml`);
    const to = escapeHtml(row.to);
    const viewable = this.withPage.has(row.name);
    this.rows.push(
      `<tr><td>${this.count}</td><td>${viewable ? `<a href="./${page}">${to}</a>` : to}</td>` +
        `<td>${escapeHtml(row.subject)}</td><td>${escapeHtml(row.at)}</td><td><a href="./${eml}">.eml</a></td></tr>`,
    );
  }

  end(): string {
    const last = this.page;
    if (last > 1) this.write(last, `Messages from ${(last - 1) * this.rowsPerPage + 1}.`, this.rows, false);
    else this.firstRows = this.rows;
    let total = `${this.count} message${this.count === 1 ? "" : "s"}.`;
    if (this.count > this.messagePages)
      total += ` The first ${this.messagePages.toLocaleString("en")} have a page; for anyone else, \`mailops preview ${this.campaign} --subscriber ADDRESS\` renders theirs.`;
    this.write(1, total, this.firstRows, last > 1);
    // Pages past the last, from an earlier index of a fuller outbox (messages deleted since).
    for (let n = last + 1; existsSync(pageFile(this.dir, n)); n++) unlinkSync(pageFile(this.dir, n));
    return pageFile(this.dir, 1);
  }

  /** The current page is full: the first waits for the total, the others are written now. */
  private next(): void {
    if (this.page === 1) this.firstRows = this.rows;
    else this.write(this.page, `Messages from ${(this.page - 1) * this.rowsPerPage + 1}.`, this.rows, true);
    this.rows = [];
    this.page++;
  }

  private write(n: number, summary: string, rows: string[], more: boolean): void {
    const nav = [
      n > 1 ? `<a href="./${pageName(n - 1)}">← previous ${this.rowsPerPage}</a>` : "",
      more ? `<a href="./${pageName(n + 1)}">next ${this.rowsPerPage} →</a>` : "",
    ].filter(Boolean);
    const title = `mailops outbox: ${this.campaign}${n > 1 ? ` (page ${n})` : ""}`;
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}</style>
</head><body><h1>Outbox: ${escapeHtml(this.campaign)}</h1>
<p>${summary} In send order: open a recipient to see the message as they will, or its .eml with a mail client.</p>
<table><tr><th>#</th><th>To</th><th>Subject</th><th>Sent</th><th></th></tr>
${rows.join("\n")}
</table>${nav.length ? `\n<p>${nav.join(" · ")}</p>` : ""}
</body></html>
`;
    writeFileSync(pageFile(this.dir, n), html);
  }
}

const pageName = (n: number) => (n === 1 ? "index.html" : `index-${n}.html`);
const pageFile = (dir: string, n: number) => path.join(dir, pageName(n));

/** The campaign's `send` events in file order, read a chunk at a time. */
function* sendEvents(file: string, campaign: string): Generator<{ run: string; id: string; at: string }> {
  const quoted = JSON.stringify(campaign);
  for (const { text: line } of linesFrom(file)) {
    if (!line.includes('"send"') || !line.includes(quoted)) continue;
    try {
      const e = JSON.parse(line) as {
        campaign?: unknown;
        type?: unknown;
        run?: unknown;
        id?: unknown;
        at?: unknown;
      };
      if (e.campaign !== campaign || e.type !== "send") continue;
      if (typeof e.run === "string" && typeof e.id === "string" && typeof e.at === "string")
        yield { run: e.run, id: e.id, at: e.at };
    } catch {
      // a line cut short by a crash: records.ts re-adds its event
    }
  }
}

/**
 * The outbox's `.eml` files not listed yet, by name: a second pass over the folder only when some
 * (`missing`) are.
 */
function unlisted(dir: string, listed: KeySet, missing: number): string[] {
  const out: string[] = [];
  if (missing <= 0) return out;
  forEachFile(dir, (name) => {
    if (name.endsWith(".eml") && !listed.has(name.slice(0, -4))) out.push(name.slice(0, -4));
  });
  return out.sort();
}

/** One walk of a campaign's outbox: the messages with a page (by `<run>.<id>`), and how many `.eml`. */
function walkOutbox(dir: string): { pages: KeySet; emls: number } {
  const pages = new KeySet();
  let emls = 0;
  forEachFile(dir, (name) => {
    if (name.endsWith(".eml")) emls++;
    else if (name.endsWith(".html") && !/^index(-\d+)?\.html$/.test(name)) pages.add(name.slice(0, -5));
  });
  return { pages, emls };
}

/** How many message pages a campaign's outbox holds (its index pages aside). */
export function countMessagePages(dir: string): number {
  return walkOutbox(dir).pages.size;
}

function forEachFile(dir: string, fn: (name: string) => void): void {
  let d: Dir;
  try {
    d = opendirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  try {
    for (let e = d.readSync(); e; e = d.readSync()) fn(e.name);
  } finally {
    d.closeSync();
  }
}

const HEAD = Buffer.alloc(64 * 1024);

/** To and Subject of an `.eml`, decoded; undefined when the file is gone (deleted by hand). */
function readHead(file: string): { to: string; subject: string } | undefined {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  let n: number;
  try {
    n = readSync(fd, HEAD, 0, HEAD.length, 0);
  } finally {
    closeSync(fd);
  }
  const text = HEAD.toString("utf8", 0, n);
  const end = text.search(/\r?\n\r?\n/);
  const head = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]/g, " ");
  const get = (name: string) => decodeWords(new RegExp(`^${name}: ?(.*)$`, "mi").exec(head)?.[1] ?? "");
  return { to: get("To"), subject: get("Subject") };
}

/**
 * RFC 2047 encoded words as the message builder writes them (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`):
 * adjacent words are one text, their bytes joined before decoding (a character may span two).
 */
export function decodeWords(value: string): string {
  return value.replace(/=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=(?:\s+=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=)*/g, (run) => {
    const bytes: Buffer[] = [];
    for (const m of run.matchAll(/=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=/g)) {
      const [, charset = "", encoding = "", text = ""] = m;
      if (!/^utf-?8$/i.test(charset.split("*")[0] ?? "")) return run;
      bytes.push(
        encoding.toUpperCase() === "B"
          ? Buffer.from(text, "base64")
          : Buffer.from(
              text
                .replace(/_/g, " ")
                .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
              "latin1",
            ),
      );
    }
    return Buffer.concat(bytes).toString("utf8");
  });
}
