/**
 * A fast scanner for the common subset of SES templates: text, comments, `{{path}}`,
 * `{{{path}}}`, and `if`/`unless`/`each`/`with` blocks with one path and `{{else}}`.
 *
 * Handlebars' generated parser reads about 2 MB/s, which alone would blow the validate budget
 * for a repository of 1,000 templates. This scanner builds the same AST shape for the subset and
 * returns undefined for anything else (partials, helpers, escapes, literals, syntax errors), so
 * the real parser decides every case this one is not sure about. test/render/scan.test.ts checks
 * the two agree.
 */

type Loc = hbs.AST.SourceLocation;

const BLOCKS = new Set(["if", "unless", "each", "with"]);
const SEGMENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;
const LITERALS = new Set(["true", "false", "null", "undefined", "else", "this"]);

interface OpenBlock {
  node: hbs.AST.BlockStatement;
  /** The statements being collected: the block's program, or its inverse after `{{else}}`. */
  body: hbs.AST.Statement[];
  inElse: boolean;
}

export interface Scanned {
  ast: hbs.AST.Program;
  /**
   * Whether Handlebars' whitespace control may change the text: a `~`, or a block, `{{else}}` or
   * comment alone on its line. When false that pass is known to leave the AST as it is.
   */
  whitespace: boolean;
}

/** A value's parameters (it has none), shared like the strip flags. */
const NO_PARAMS: hbs.AST.Expression[] = [];

/** Strip flags, shared: nothing changes them once the node is built. */
const STRIP = [
  { open: false, close: false },
  { open: true, close: false },
  { open: false, close: true },
  { open: true, close: true },
] as const satisfies hbs.AST.StripFlags[];

export function scanTemplate(source: string): Scanned | undefined {
  // Handlebars' lexer treats NUL specially; leave such input to it.
  if (source.includes("\u0000")) return undefined;
  let whitespace = source.includes("~");
  const root: hbs.AST.Statement[] = [];
  const stack: OpenBlock[] = [];
  // No closures over the scan's state (captured, it would live in memory rather than registers).
  const lines = new Lines(source);
  let pos = 0;
  for (;;) {
    const open = source.indexOf("{{", pos);
    if (open === -1) break;
    if (open > 0 && source.charCodeAt(open - 1) === 92 /* \ */) return undefined; // escaped mustache
    if (source.startsWith("{{{{", open)) return undefined; // raw block
    if (source.startsWith("{{!", open)) {
      const long = source.startsWith("{{!--", open);
      let end = source.indexOf(long ? "--}}" : "}}", open + 3);
      let closeAt = end + (long ? 4 : 2);
      const stripped = long ? source.indexOf("--~}}", open + 3) : -1;
      if (stripped !== -1 && (end === -1 || stripped < end)) {
        end = stripped;
        closeAt = end + 5;
      }
      if (end === -1) return undefined;
      if (open > pos) pushContent(bodyOf(stack, root), source, pos, open, lines);
      // Comments take part in whitespace control (a comment alone on its line removes the line).
      whitespace ||= aloneOnLine(source, open, closeAt);
      bodyOf(stack, root).push({
        type: "CommentStatement",
        value: "",
        strip: { open: false, close: source.charCodeAt(closeAt - 3) === 126 /* ~ */ },
        loc: lines.at(open),
      } as never);
      pos = closeAt;
      continue;
    }
    const triple = source.startsWith("{{{", open);
    const close = source.indexOf(triple ? "}}}" : "}}", open);
    if (close === -1) return undefined;
    let inner = source.slice(open + (triple ? 3 : 2), close);
    if (inner.includes("{{")) return undefined;
    if (triple && inner.includes("~")) return undefined; // `{{~{x}~}}` is the form Handlebars takes
    if (open > pos) pushContent(bodyOf(stack, root), source, pos, open, lines);
    pos = close + (triple ? 3 : 2);
    const stripOpen = inner.startsWith("~");
    const stripClose = inner.endsWith("~");
    const strip = STRIP[(stripOpen ? 1 : 0) + (stripClose ? 2 : 0)] as hbs.AST.StripFlags;
    if (stripOpen || stripClose) inner = inner.slice(stripOpen ? 1 : 0, stripClose ? -1 : inner.length);
    inner = inner.trim();
    const loc = lines.at(open);

    if (triple) {
      const path = parsePath(inner);
      if (!path) return undefined;
      bodyOf(stack, root).push(mustache(path, loc, false, strip));
      continue;
    }
    const sigil = inner[0];
    if (sigil === "#" || sigil === "/" || inner === "else" || inner === "^")
      whitespace ||= aloneOnLine(source, open, pos);
    if (sigil === "#") {
      const words = inner.slice(1).trim().split(/\s+/);
      const helper = words[0];
      const param = words[1];
      if (!helper || !BLOCKS.has(helper) || !param || words.length > 2) return undefined;
      const path = parsePath(param);
      if (!path) return undefined;
      const node = {
        type: "BlockStatement",
        path: { type: "PathExpression", data: false, depth: 0, parts: [helper], original: helper, loc },
        params: [path],
        hash: undefined,
        program: { type: "Program", body: [], blockParams: [], loc },
        inverse: undefined,
        openStrip: strip,
        closeStrip: { open: false, close: false },
        loc,
      } as unknown as hbs.AST.BlockStatement;
      bodyOf(stack, root).push(node);
      stack.push({ node, body: node.program.body, inElse: false });
    } else if (sigil === "/") {
      const top = stack.pop();
      if (!top || inner.slice(1).trim() !== (top.node.path as hbs.AST.PathExpression).original)
        return undefined;
      top.node.closeStrip = strip;
    } else if (inner === "else" || inner === "^") {
      const top = stack[stack.length - 1];
      if (!top || top.inElse) return undefined;
      const inverse = { type: "Program", body: [], blockParams: [], loc } as unknown as hbs.AST.Program;
      top.node.inverse = inverse;
      top.node.inverseStrip = strip;
      top.body = inverse.body;
      top.inElse = true;
    } else {
      const unescaped = sigil === "&";
      const path = parsePath(unescaped ? inner.slice(1).trim() : inner);
      if (!path) return undefined;
      bodyOf(stack, root).push(mustache(path, loc, !unescaped, strip));
    }
  }
  if (stack.length > 0) return undefined; // unclosed block: let Handlebars word the error
  // The text after the last tag, as Handlebars' ContentStatement like all text between tags: the
  // HTML context analysis reads it (after Handlebars' own whitespace control, see analyze.ts).
  if (source.length > pos) pushContent(root, source, pos, source.length, lines);
  const ast = {
    type: "Program",
    body: root,
    blockParams: [],
    loc: lines.at(0),
  } as unknown as hbs.AST.Program;
  return { ast, whitespace };
}

/**
 * Whether the tag at [start, end) may stand alone on its line as Handlebars' whitespace control
 * tells it: the whitespace before it back to a newline (or the template's start), and after it up
 * to a newline (or the end).
 */
function aloneOnLine(source: string, start: number, end: number): boolean {
  let before = start - 1;
  while (before >= 0 && source.charCodeAt(before) !== 10 && isSpace(source, before)) before--;
  if (before >= 0 && source.charCodeAt(before) !== 10) return false;
  let after = end;
  while (after < source.length && source.charCodeAt(after) !== 10 && isSpace(source, after)) after++;
  return after === source.length || source.charCodeAt(after) === 10;
}

/** `\s` of a regular expression, which Handlebars' whitespace control uses. */
function isSpace(source: string, i: number): boolean {
  const c = source.charCodeAt(i);
  return c === 32 || (c >= 9 && c <= 13) || (c > 127 && /\s/.test(source.charAt(i)));
}

/** The statements being collected: the innermost open block's, or the template's. */
function bodyOf(stack: OpenBlock[], root: hbs.AST.Statement[]): hbs.AST.Statement[] {
  return stack.length ? (stack[stack.length - 1] as OpenBlock).body : root;
}

/** Line and column of offsets met in increasing order: each newline is counted once. */
class Lines {
  private line = 1;
  private lineStart = 0;
  /** The offset up to which newlines have been counted. */
  private counted = 0;

  constructor(private readonly source: string) {}

  at(offset: number): Loc {
    const source = this.source;
    for (
      let i = source.indexOf("\n", this.counted);
      i !== -1 && i < offset;
      i = source.indexOf("\n", i + 1)
    ) {
      this.line++;
      this.lineStart = i + 1;
    }
    this.counted = Math.max(this.counted, offset);
    const start = { line: this.line, column: offset - this.lineStart };
    return { source: "", start, end: start };
  }
}

function pushContent(
  body: hbs.AST.Statement[],
  source: string,
  from: number,
  end: number,
  lines: Lines,
): void {
  const text = source.slice(from, end);
  body.push({ type: "ContentStatement", value: text, original: text, loc: lines.at(from) } as never);
}

function mustache(
  path: hbs.AST.PathExpression,
  loc: Loc,
  escaped: boolean,
  strip: hbs.AST.StripFlags,
): hbs.AST.MustacheStatement {
  return {
    type: "MustacheStatement",
    path,
    params: NO_PARAMS,
    hash: undefined,
    escaped,
    strip,
    loc,
  } as unknown as hbs.AST.MustacheStatement;
}

/**
 * Parsed paths, shared: the same few variable names recur across every template, and path nodes
 * are only read (positions live on the statement nodes). `null` remembers a path to decline.
 */
const pathCache = new Map<string, hbs.AST.PathExpression | null>();

/** `name`, `a.b`, `../a`, `this.a`, `@root.a`, `this`: the path forms Handlebars would parse the same way. */
function parsePath(text: string): hbs.AST.PathExpression | undefined {
  let cached = pathCache.get(text);
  if (cached === undefined) {
    cached = parsePathUncached(text) ?? null;
    if (pathCache.size < 10_000) pathCache.set(text, cached);
  }
  return cached ?? undefined;
}

function parsePathUncached(text: string): hbs.AST.PathExpression | undefined {
  let rest = text;
  let depth = 0;
  while (rest.startsWith("../")) {
    depth++;
    rest = rest.slice(3);
  }
  let data = false;
  if (rest.startsWith("@")) {
    if (depth > 0) return undefined;
    data = true;
    rest = rest.slice(1);
  }
  if (rest === "this" && !data) return path(text, data, depth, []);
  const segments = rest.split(".");
  if (segments[0] === "this" && !data) segments.shift();
  if (segments.length === 0 || !segments.every((s) => SEGMENT.test(s))) return undefined;
  if (segments.length === 1 && depth === 0 && !data && LITERALS.has(segments[0] as string)) return undefined;
  return path(text, data, depth, segments);
}

function path(original: string, data: boolean, depth: number, parts: string[]): hbs.AST.PathExpression {
  return { type: "PathExpression", data, depth, parts, original } as unknown as hbs.AST.PathExpression;
}
