import { createRequire } from "node:module";
import jsYaml from "js-yaml";
import type { Document, LineCounter, Node, YAMLError } from "yaml";
import { error, type Finding, type Position } from "./findings.js";

export type PathSegment = string | number;

// `yaml` keeps node positions but costs ~55 ms to load; most runs never need it (see YamlDoc).
let yamlModule: typeof import("yaml") | undefined;
function yamlLib(): typeof import("yaml") {
  yamlModule ??= createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return yamlModule;
}

/**
 * A parsed YAML file that can say where any of its nodes is (octoDNS keeps file:line on every node).
 *
 * Data comes from js-yaml, which is about 15 times faster than `yaml` on small files; `yaml`,
 * which keeps node positions, parses the file again only when a position is asked for (a finding
 * to report), and words syntax errors. Both use the YAML 1.2 core schema, so they agree on types.
 */
export class YamlDoc {
  private parsed?: { doc: Document.Parsed; lines: LineCounter };

  constructor(
    readonly file: string,
    private readonly text: string,
    readonly data: unknown,
  ) {}

  private get doc(): Document.Parsed {
    return this.positions().doc;
  }

  private get lines(): LineCounter {
    return this.positions().lines;
  }

  private positions(): { doc: Document.Parsed; lines: LineCounter } {
    if (!this.parsed) {
      const lines = new (yamlLib().LineCounter)();
      this.parsed = {
        doc: yamlLib().parseDocument(this.text, { lineCounter: lines, uniqueKeys: true }),
        lines,
      };
    }
    return this.parsed;
  }

  /** Position of the value (or key) at `path`; falls back to the nearest ancestor that exists. */
  pos(path: readonly PathSegment[], part: "value" | "key" = "value"): Position {
    // A top-level key of a block mapping is found in the text without parsing it again (a lint
    // rule may ask for hundreds); anything else, or any doubt, asks `yaml`.
    const quick = this.parsed
      ? undefined
      : path.length === 1
        ? this.topLevel(String(path[0]), part)
        : path.length === 0
          ? this.root()
          : undefined;
    if (quick) return quick;
    let node: unknown = this.doc.contents;
    let keyNode: unknown;
    let last: unknown = node;
    for (const segment of path) {
      const next = this.child(node, segment);
      if (!next) return this.posOfNode(keyNode ?? last);
      keyNode = next.key;
      node = next.value;
      last = next.value ?? next.key;
    }
    return this.posOfNode(part === "key" ? (keyNode ?? last) : (node ?? keyNode ?? last));
  }

  /**
   * Where a line/column inside the string value at `path` is in the file: through quotes, escapes,
   * block-scalar indentation and folded lines. Both sides hold the same non-blank characters in the
   * same order (whitespace is all YAML rewrites), so the n-th non-blank one of the value is found
   * by counting in the source.
   */
  scalarPosition(path: readonly PathSegment[], line: number, col: number): Position {
    let node: unknown = this.doc.contents;
    for (const segment of path) node = this.child(node, segment)?.value;
    const lib = yamlLib();
    if (!lib.isScalar(node) || typeof node.value !== "string" || !node.range) return this.posOfNode(node);
    const value = node.value;
    let valueOffset = 0;
    for (let l = 1; l < line; l++) valueOffset = value.indexOf("\n", valueOffset) + 1;
    valueOffset += col - 1;
    let wanted = 0;
    for (let i = 0; i < valueOffset && i < value.length; i++) if (!BLANK.test(value.charAt(i))) wanted++;
    const offset = sourceOffsetOf(this.text, node.range[0], node.range[1], node.type, wanted);
    if (offset === undefined) return this.posOfNode(node);
    const p = this.lines.linePos(offset);
    return { file: this.file, line: p.line, col: p.col };
  }

  /**
   * `key:` at the start of a line, with its value on that line: a plain key of the top-level
   * block mapping. Undefined when the file could hold it any other way (quoted or flow keys, a
   * tab, a value on the next line, the key written twice, a document marker): `yaml` decides then.
   */
  /**
   * The document's own position (a finding about a whole file, such as a draft campaign): where a
   * block mapping's first key starts, after comments and blank lines; anything else asks `yaml`.
   */
  private root(): Position | undefined {
    if (/^(---|\.\.\.|%)/m.test(this.text) || this.text.includes("\t")) return undefined;
    const first = /^(?![ ]*(#|\r?$))/m.exec(this.text);
    if (first === null || !/^[A-Za-z_][\w-]*[ ]*:(?=[ ]|\r?$)/.test(this.text.slice(first.index)))
      return undefined;
    return { file: this.file, line: this.text.slice(0, first.index).split("\n").length, col: 1 };
  }

  private topLevel(key: string, part: "value" | "key"): Position | undefined {
    if (!/^[A-Za-z_][\w-]*$/.test(key) || /^(---|\.\.\.|%)/m.test(this.text) || this.text.includes("\t"))
      return undefined;
    const lines = [...this.text.matchAll(new RegExp(`^${key}[ ]*:(?=[ ]|\r?$)`, "gm"))];
    const found = lines[0];
    if (lines.length !== 1 || found?.index === undefined) return undefined;
    const line = this.text.slice(0, found.index).split("\n").length;
    if (part === "key") return { file: this.file, line, col: 1 };
    const rest = this.text.slice(found.index + found[0].length).split(/\r?\n/, 1)[0] ?? "";
    const value = rest.search(/\S/);
    if (value < 0 || /^[#|>&!*]/.test(rest.slice(value))) return undefined;
    return { file: this.file, line, col: found[0].length + value + 1 };
  }

  private child(node: unknown, segment: PathSegment): { key: unknown; value: unknown } | undefined {
    if (yamlLib().isMap(node)) {
      for (const item of node.items) {
        if (
          yamlLib().isPair(item) &&
          yamlLib().isScalar(item.key) &&
          String(item.key.value) === String(segment)
        ) {
          return { key: item.key, value: item.value };
        }
      }
      return undefined;
    }
    if (yamlLib().isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      return item === undefined ? undefined : { key: item, value: item };
    }
    return undefined;
  }

  private posOfNode(node: unknown): Position {
    const range = (node as Node | undefined)?.range;
    const offset = range ? range[0] : 0;
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }
}

const BLANK = /\s/;

const ESCAPES: Record<string, string> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  t: "\t",
  "\t": "\t",
  n: "\n",
  v: "\v",
  f: "\f",
  r: "\r",
  e: "\x1b",
  " ": " ",
  '"': '"',
  "/": "/",
  "\\": "\\",
  N: "\x85",
  _: "\xa0",
  L: "\u2028",
  P: "\u2029",
};
const HEX_ESCAPE: Record<string, number> = { x: 2, u: 4, U: 8 };

/** Offset in `text` of the `wanted`-th (0-based) non-blank character a scalar's source produces. */
function sourceOffsetOf(
  text: string,
  start: number,
  end: number,
  type: string | undefined,
  wanted: number,
): number | undefined {
  let i = start;
  if (type === "QUOTE_DOUBLE" || type === "QUOTE_SINGLE") i++;
  else if (type === "BLOCK_LITERAL" || type === "BLOCK_FOLDED") {
    i = text.indexOf("\n", start) + 1; // the content starts below the `|` or `>` line
    if (i === 0) return undefined;
  }
  let seen = 0;
  const produced = (c: string): boolean => {
    if (BLANK.test(c)) return false;
    if (seen === wanted) return true;
    seen++;
    return false;
  };
  while (i < end) {
    const c = text.charAt(i);
    if (type === "QUOTE_DOUBLE" && c === "\\") {
      const e = text.charAt(i + 1);
      if (e === "\n" || e === "\r") {
        i += 2; // an escaped line break produces nothing
        continue;
      }
      const hex = HEX_ESCAPE[e];
      const ch = hex
        ? String.fromCodePoint(Number.parseInt(text.slice(i + 2, i + 2 + hex), 16) || 0)
        : ESCAPES[e];
      if (produced(ch ?? e)) return i;
      i += 2 + (hex ?? 0);
    } else if (type === "QUOTE_SINGLE" && c === "'" && text.charAt(i + 1) === "'") {
      if (produced("'")) return i;
      i += 2;
    } else {
      if (produced(c)) return i;
      i++;
    }
  }
  return undefined;
}

export interface ParsedYaml {
  doc?: YamlDoc;
  findings: Finding[];
}

/**
 * js-yaml's "core" schema reads more number forms than YAML 1.2's core schema (`0b101`, `+0x1`,
 * `1_000`...), which `yaml` keeps as strings. Numbers here follow the 1.2 core schema exactly, so
 * a value's type never depends on which parser read the file.
 */
const INT = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;
const FLOAT =
  /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const CORE_1_2 = jsYaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    new jsYaml.Type("tag:yaml.org,2002:null", {
      kind: "scalar",
      resolve: (data: string) => data === null || /^(?:~|null|Null|NULL)?$/.test(data),
      construct: () => null,
      predicate: (v: unknown) => v === null,
    }),
    new jsYaml.Type("tag:yaml.org,2002:bool", {
      kind: "scalar",
      resolve: (data: string) => data !== null && /^(?:true|True|TRUE|false|False|FALSE)$/.test(data),
      construct: (data: string) => data.toLowerCase() === "true",
      predicate: (v: unknown) => typeof v === "boolean",
    }),
    new jsYaml.Type("tag:yaml.org,2002:int", {
      kind: "scalar",
      resolve: (data: string) => data !== null && INT.test(data),
      construct: (data: string) =>
        data.startsWith("0o")
          ? Number.parseInt(data.slice(2), 8)
          : data.startsWith("0x")
            ? Number.parseInt(data.slice(2), 16)
            : Number(data),
      predicate: (v: unknown) => Number.isInteger(v),
    }),
    new jsYaml.Type("tag:yaml.org,2002:float", {
      kind: "scalar",
      resolve: (data: string) => data !== null && FLOAT.test(data),
      construct: (data: string) => {
        const t = data.toLowerCase();
        if (t.endsWith(".inf"))
          return t.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
        if (t === ".nan") return Number.NaN;
        return Number(data);
      },
      predicate: (v: unknown) => typeof v === "number",
    }),
  ],
});

/** Exposed for the parity test: the data the fast path reads, or undefined where it would decline. */
export function fastParse(text: string): unknown {
  return CAREFUL.test(text) ? undefined : jsYaml.load(text, { schema: CORE_1_2 });
}

/**
 * Files the fast parser must not take: anchors make aliases (an alias bomb is cheap to write and
 * expensive to walk), and js-yaml turns a `? [list]` key into a string where `yaml` reports it.
 */
const CAREFUL = /(^|[\s[{,:-])&[^\s]|^\s*\?(\s|$)/m;

/**
 * Parse one YAML file's text. Pure: the caller has already read it.
 * Every problem becomes a finding with a position; the doc is returned only when usable.
 */
export function parseYaml(file: string, text: string): ParsedYaml {
  if (!CAREFUL.test(text)) {
    let data: unknown;
    let fast = true;
    try {
      data = jsYaml.load(text, { schema: CORE_1_2 });
    } catch {
      fast = false; // let `yaml` word the error with its position
    }
    if (fast && typeof data === "object" && data !== null && !Array.isArray(data)) {
      return { doc: new YamlDoc(file, text, data), findings: [] };
    }
  }
  return parseCarefully(file, text);
}

/** The `yaml` library's full parse: positions for every error, alias limits. */
function parseCarefully(file: string, text: string): ParsedYaml {
  const lines = new (yamlLib().LineCounter)();
  const doc = yamlLib().parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const findings = syntaxFindings(file, text, doc.errors, lines);
  if (findings.length > 0) return { findings };
  if (doc.contents === null || (yamlLib().isScalar(doc.contents) && doc.contents.value === null)) {
    return {
      findings: [
        error(
          "file/empty",
          { file, line: 1, col: 1 },
          "file is empty",
          "add the keys this kind of file needs, or delete it",
        ),
      ],
    };
  }
  if (!yamlLib().isMap(doc.contents)) {
    const kind = yamlLib().isSeq(doc.contents) ? "a list" : "a single value";
    const { line, col } = lines.linePos(doc.contents.range[0]);
    return {
      findings: [
        error(
          "file/not-a-mapping",
          { file, line, col },
          `expected a mapping of keys to values, found ${kind}`,
          "write `key: value` lines at the top level",
        ),
      ],
    };
  }
  const structure = structureFindings(file, doc, lines);
  if (structure.length > 0) return { findings: structure };
  try {
    return { doc: new YamlDoc(file, text, doc.toJS({ maxAliasCount: 100 })), findings: [] };
  } catch {
    // toJS throws on alias bombs (more aliases than maxAliasCount); unresolved ones are caught above.
    return {
      findings: [
        error(
          "yaml/syntax",
          { file, line: 1, col: 1 },
          "aliases expand this file beyond 100 copies",
          "write the values out instead of repeating anchors inside anchors",
        ),
      ],
    };
  }
}

/** The parser's errors, worded for people; later errors on a line already reported are knock-on effects. */
function syntaxFindings(file: string, text: string, errors: YAMLError[], lines: LineCounter): Finding[] {
  const out: Finding[] = [];
  const reportedLines = new Set<number>();
  for (const e of errors) {
    if (e.code === "DUPLICATE_KEY") {
      // The error marks only the key's first character; the key runs to its `:`.
      const rest = text.slice(
        e.pos[0],
        text.indexOf("\n", e.pos[0]) === -1 ? undefined : text.indexOf("\n", e.pos[0]),
      );
      const key = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:#,{}[\]]*[^\s:#,{}[\]])/.exec(rest)?.[0] ?? "?";
      out.push(
        error(
          "yaml/duplicate-key",
          { file, ...lines.linePos(e.pos[0]) },
          `key \`${key}\` appears twice in the same mapping`,
          "remove or rename one of them; YAML would silently keep only one value",
        ),
      );
      continue;
    }
    let offset = e.pos[0];
    let message = YAML_MESSAGES[e.code] ?? sentence(firstLine(e.message));
    let hint = YAML_HINTS[e.code] ?? INDENT_HINT;
    const quote = /^Missing closing (["'])quote/.exec(e.message)?.[1];
    if (quote) {
      // The parser notices at the end of the file; the mistake is where the string opens.
      offset = openingQuote(text, e.pos[0], quote) ?? offset;
      message = "this quoted string is never closed";
      hint = `add the closing \`${quote}\``;
    } else if (/end with a [\]}]/.test(e.message)) {
      // Noticed where the next key starts; point at the bracket left open.
      const open = unclosedBracket(text, e.pos[0]);
      const list = /end with a \]/.test(e.message);
      if (open !== undefined) {
        offset = open;
        message = `this \`${list ? "[" : "{"}\` is never closed`;
      }
      hint = list
        ? "close the list with `]` on the same line, or write one `- item` per line"
        : "close the mapping with `}` on the same line, or write one `key: value` per line";
    }
    const at = lines.linePos(offset);
    if (reportedLines.has(at.line)) continue;
    reportedLines.add(at.line);
    out.push(error("yaml/syntax", { file, ...at }, message, hint));
  }
  return out;
}

const INDENT_HINT = "check the indentation and that every `key:` has a space after the colon";

const YAML_MESSAGES: Record<string, string> = {
  MULTIPLE_DOCS: "the file holds more than one YAML document",
};

const YAML_HINTS: Record<string, string> = {
  MULTIPLE_DOCS: "keep one document per file: remove the `---` line, or split the file",
  TAB_AS_INDENT: "indent with spaces, not tabs",
  BAD_SCALAR_START: "quote the value",
  BAD_DQ_ESCAPE: "in double quotes write a backslash as `\\\\`, or use single quotes",
  BLOCK_AS_IMPLICIT_KEY:
    "quote a value that contains `: `, or put a nested mapping on its own indented lines",
  MULTILINE_IMPLICIT_KEY: "add a space after the colon (`key: value`), or quote a value that spans lines",
};

/** The last `[` or `{` before `end` that no bracket closes, skipping quoted strings and comments. */
function unclosedBracket(text: string, end: number): number | undefined {
  const open: number[] = [];
  for (let i = 0; i < end && i < text.length; i++) {
    const c = text[i];
    if (c === "#" && (i === 0 || /\s/.test(text[i - 1] ?? ""))) {
      const nl = text.indexOf("\n", i);
      i = nl === -1 ? end : nl;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < end && text[j] !== c) j += c === '"' && text[j] === "\\" ? 2 : 1;
      i = j;
    } else if (c === "[" || c === "{") open.push(i);
    else if (c === "]" || c === "}") open.pop();
  }
  return open[open.length - 1];
}

/** Where a string left open at `end` starts: the last unescaped `quote` before it. */
function openingQuote(text: string, end: number, quote: string): number | undefined {
  for (let i = Math.min(end, text.length) - 1; i >= 0; i--) {
    if (text[i] === quote && !(quote === '"' && text[i - 1] === "\\")) return i;
  }
  return undefined;
}

/** Shapes YAML allows but a configuration file cannot use: aliases to nothing, keys that are lists or mappings. */
function structureFindings(file: string, doc: Document.Parsed, lines: LineCounter): Finding[] {
  const lib = yamlLib();
  const out: Finding[] = [];
  const at = (node: { range?: [number, number, number] | null }) => ({
    file,
    ...lines.linePos(node.range?.[0] ?? 0),
  });
  lib.visit(doc, {
    Alias(_, node) {
      if (!node.resolve(doc)) {
        out.push(
          error(
            "yaml/syntax",
            at(node),
            `alias \`*${node.source}\` has no anchor \`&${node.source}\` before it`,
            "define the anchor first, or write the value out",
          ),
        );
      }
    },
    Pair(_, pair) {
      const key = pair.key as Node | null;
      if (key && !lib.isScalar(key) && !lib.isAlias(key)) {
        out.push(
          error(
            "yaml/syntax",
            at(key),
            `a key must be a plain value, found ${lib.isSeq(key) ? "a list" : "a mapping"}`,
            "use a plain name as the key",
          ),
        );
      }
    },
  });
  return out;
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
}

/** The parser's messages start with a capital; findings start lower-case like every other message. */
function sentence(message: string): string {
  return message.charAt(0).toLowerCase() + message.slice(1);
}
