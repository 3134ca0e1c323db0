/**
 * The `query` of a postgres subscriber source, checked without a database (`mailops validate`):
 * a table or view name, or one SELECT that only reads. Pure; a tokenizer, not a parser: it knows
 * PostgreSQL's lexical rules (quoted identifiers, string constants, dollar quoting, nested block
 * comments) well enough to find statement boundaries, parentheses, the leading keyword and, for a
 * plain `SELECT a, b AS c FROM …`, the names of the columns it returns. The database parses the
 * query for real when `plan` or `send` read it, inside a read-only transaction.
 */

export type QueryShape =
  /** `crm.customers`, `"Customers"`: read whole. `parts` as PostgreSQL reads them (unquoted ones folded). */
  | { kind: "table"; name: string; parts: string[] }
  /**
   * `sql`: the query without a trailing `;`. `columns`: the output names, when the select list
   * tells them all (no `*`, every item named).
   */
  | { kind: "select"; sql: string; columns?: string[] }
  | { kind: "invalid"; reason: string; hint: string };

interface Token {
  kind: "word" | "quoted" | "string" | "number" | "param" | "op";
  /** Words lower-cased (as PostgreSQL folds them); quoted identifiers unquoted. */
  text: string;
  depth: number;
  /** Offset in the query text. */
  at: number;
}

/** Words that write or lock: none belongs in a query that only reads subscribers. */
const WRITES = new Set(["insert", "update", "delete", "merge", "truncate", "into", "copy", "call", "do"]);
const STARTS = new Set(["select", "with", "values", "table"]);

export function readQuery(text: string): QueryShape {
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch (e) {
    return invalid((e as Error).message, "check the quotes and comments of the query");
  }
  let sql = text;
  const end = tokens.at(-1);
  if (end?.kind === "op" && end.text === ";") {
    tokens.pop();
    sql = text.slice(0, end.at) + text.slice(end.at + 1);
  }
  if (tokens.length === 0) return invalid("the query is empty", "write a table or view name, or a SELECT");
  if (tokens.some((t) => t.kind === "op" && t.text === ";")) {
    return invalid(
      "the query holds more than one statement",
      "a source reads one SELECT; drop everything after the first `;`",
    );
  }
  if (tokens.some((t) => t.kind === "param")) {
    return invalid(
      "the query has a parameter ($1): nothing fills it",
      "write the value into the query, or filter in a segment",
    );
  }
  const table = tableName(tokens);
  if (table !== undefined) return { kind: "table", name: table.join("."), parts: table };
  const first = tokens[0] as Token;
  if (first.kind !== "word" || !STARTS.has(first.text)) {
    return invalid(
      `the query is not a SELECT: it starts with \`${first.text}\``,
      "write a table or view name, or a SELECT (WITH … SELECT, VALUES and TABLE are SELECTs too)",
    );
  }
  const writes = tokens.find((t, i) => t.kind === "word" && (WRITES.has(t.text) || locks(tokens, i)));
  if (writes !== undefined) {
    return invalid(
      `the query is not read-only: it uses \`${writes.text.toUpperCase()}\``,
      'a source only reads: it runs in a read-only transaction (a column named so must be quoted, "update")',
    );
  }
  const columns = first.text === "select" ? selectColumns(tokens) : undefined;
  return columns ? { kind: "select", sql, columns } : { kind: "select", sql };
}

const invalid = (reason: string, hint: string): QueryShape => ({ kind: "invalid", reason, hint });

/** `FOR UPDATE`, `FOR SHARE`, `FOR NO KEY UPDATE`, `FOR KEY SHARE`: row locks. */
function locks(tokens: Token[], i: number): boolean {
  const t = tokens[i] as Token;
  if (t.text !== "for") return false;
  const next = tokens[i + 1];
  return next?.kind === "word" && ["update", "share", "no", "key"].includes(next.text);
}

/** `name`, `schema.name` or `db.schema.name`, each part a word or a quoted identifier. */
function tableName(tokens: Token[]): string[] | undefined {
  if (tokens.length > 5 || tokens.length % 2 === 0) return undefined;
  const parts: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (i % 2 === 1) {
      if (t.kind !== "op" || t.text !== ".") return undefined;
      continue;
    }
    if (t.kind === "word" && !STARTS.has(t.text)) parts.push(t.text);
    else if (t.kind === "quoted") parts.push(t.text);
    else return undefined;
  }
  return parts;
}

/** The output names of a plain select list at depth 0, or undefined when one of them is not told. */
function selectColumns(tokens: Token[]): string[] | undefined {
  let i = 1;
  const peek = () => tokens[i];
  if (peek()?.text === "all") i++;
  else if (peek()?.text === "distinct") {
    i++;
    if (peek()?.text === "on") return undefined;
  }
  const items: Token[][] = [[]];
  for (; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (
      t.depth === 0 &&
      t.kind === "word" &&
      ["from", "where", "group", "order", "limit", "union"].includes(t.text)
    )
      break;
    if (t.depth === 0 && t.kind === "op" && t.text === ",") items.push([]);
    else (items.at(-1) as Token[]).push(t);
  }
  const names: string[] = [];
  for (const item of items) {
    const name = outputName(item);
    if (name === undefined) return undefined;
    names.push(name);
  }
  return names;
}

function outputName(item: Token[]): string | undefined {
  const last = item.at(-1);
  if (last === undefined || (last.kind !== "word" && last.kind !== "quoted")) return undefined;
  const before = item.at(-2);
  if (before?.kind === "word" && before.text === "as" && item.length > 2) return last.text;
  // `col`, `t.col`, `s.t.col`: the column keeps its name.
  const plain = item.every((t, i) =>
    i % 2 === 0 ? t.kind === "word" || t.kind === "quoted" : t.kind === "op" && t.text === ".",
  );
  return plain && item.length % 2 === 1 ? last.text : undefined;
}

/** PostgreSQL's lexical structure, enough to tell statements, parentheses and names apart. */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let depth = 0;
  let i = 0;
  const n = text.length;
  let start = 0;
  const push = (kind: Token["kind"], t: string) => out.push({ kind, text: t, depth, at: start });
  while (i < n) {
    const c = text[i] as string;
    const next = text[i + 1];
    start = i;
    if (/\s/.test(c)) i++;
    else if (c === "-" && next === "-") {
      const nl = text.indexOf("\n", i);
      i = nl === -1 ? n : nl + 1;
    } else if (c === "/" && next === "*") i = skipBlockComment(text, i);
    else if (c === "'" || ((c === "E" || c === "e") && next === "'")) {
      i = skipString(text, c === "'" ? i : i + 1, c !== "'");
      push("string", "'");
    } else if (c === '"') {
      const end = closing(text, i, '"', "a quoted name is opened and never closed");
      push("quoted", text.slice(i + 1, end).replace(/""/g, '"'));
      i = end + 1;
    } else if (c === "$" && /[0-9]/.test(next ?? "")) {
      const m = /^\$[0-9]+/.exec(text.slice(i)) as RegExpExecArray;
      push("param", m[0]);
      i += m[0].length;
    } else if (c === "$") {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i));
      if (!tag) throw new Error("a `$` stands alone");
      const end = text.indexOf(tag[0], i + tag[0].length);
      if (end === -1) throw new Error(`a dollar-quoted string (${tag[0]}) is opened and never closed`);
      push("string", tag[0]);
      i = end + tag[0].length;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const m = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(text.slice(i)) as RegExpExecArray;
      push("word", m[0].toLowerCase());
      i += m[0].length;
    } else if (/[0-9.]/.test(c) && /[0-9]/.test(c === "." ? (next ?? "") : c)) {
      const m = /^[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i)) as RegExpExecArray;
      push("number", m[0]);
      i += m[0].length || 1;
    } else {
      if (c === "(") depth++;
      push("op", c);
      if (c === ")") {
        depth--;
        if (depth < 0) throw new Error("a `)` closes nothing");
        (out.at(-1) as Token).depth = depth;
      }
      i++;
    }
  }
  if (depth !== 0) throw new Error("a `(` is never closed");
  return out;
}

function skipBlockComment(text: string, start: number): number {
  // Block comments nest in PostgreSQL.
  let level = 0;
  let i = start;
  while (i < text.length) {
    if (text.startsWith("/*", i)) {
      level++;
      i += 2;
    } else if (text.startsWith("*/", i)) {
      level--;
      i += 2;
      if (level === 0) return i;
    } else i++;
  }
  throw new Error("a /* comment is opened and never closed");
}

/** `'…'` with `''` inside; E'…' also takes backslash escapes. Returns the index after it. */
function skipString(text: string, quote: number, backslashes: boolean): number {
  let i = quote + 1;
  while (i < text.length) {
    const c = text[i];
    if (backslashes && c === "\\") i += 2;
    else if (c === "'" && text[i + 1] === "'") i += 2;
    else if (c === "'") return i + 1;
    else i++;
  }
  throw new Error("a string constant (') is opened and never closed");
}

function closing(text: string, open: number, quote: string, unclosed: string): number {
  let i = open + 1;
  while (i < text.length) {
    if (text[i] === quote && text[i + 1] === quote) i += 2;
    else if (text[i] === quote) return i;
    else i++;
  }
  throw new Error(unclosed);
}

/** An identifier in double quotes, safe to put into SQL whatever it holds. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** What follows FROM when reading the source: the query as a subquery, or the table as named. */
export function fromItem(shape: Exclude<QueryShape, { kind: "invalid" }>): string {
  if (shape.kind === "table") return `${shape.parts.map(quoteIdent).join(".")} AS q`;
  // The line breaks keep a trailing `-- comment` from swallowing the closing parenthesis.
  return `(\n${shape.sql}\n) AS q`;
}
