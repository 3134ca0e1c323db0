/**
 * What an SES template uses: its root variables (with positions) and any Handlebars construct SES
 * does not support. SES stored templates support paths, `if`/`else`, `unless`, `each`, `with` and
 * inline partials; there are no other helpers.
 */
import { createRequire } from "node:module";
import { didYouMean } from "../util/closest.js";
import { findOutputs, type OutputUse, type PartKind } from "./outputs.js";
import { scanTemplate } from "./scan.js";

type AST = hbs.AST.Program;
type Node = hbs.AST.Node;

export const SUPPORTED_BLOCKS = ["if", "unless", "each", "with"] as const;

export interface VariableUse {
  /** First segment of the path, as looked up in the template data. */
  name: string;
  /** The path from the root of the data, e.g. `user.name` (also for `../user.name` or `@root.user.name`). */
  path: string;
  /** The expression as written in the template, e.g. `../user.name`. */
  written: string;
  /** 1-based line and column of the `{{` inside the template part. */
  line: number;
  col: number;
  /**
   * True where a missing value cannot fail the render: an `if`/`unless` condition, a use inside
   * `{{#if x}}`, or one in the `{{else}}` of `{{#unless x}}`.
   */
  guarded: boolean;
}

export interface TemplateIssue {
  kind: "syntax" | "unsupported-helper" | "unknown-partial" | "reserved-name";
  message: string;
  /** A fix specific to this issue; the lint rule supplies a general one otherwise. */
  hint?: string;
  line: number;
  col: number;
}

export interface Analysis {
  variables: VariableUse[];
  /** Every place the part writes a data value, with its context (outputs.ts). */
  outputs: OutputUse[];
  issues: TemplateIssue[];
}

/**
 * Names no variable may have: a lookup of them reaches the object prototype (`constructor`,
 * `__proto__`) or a function's (`prototype`), where data SES gets has no such key.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

// Loaded on first use: the fast scanner handles most templates without it.
let hbsModule: typeof import("handlebars") | undefined;
function handlebars(): typeof import("handlebars") {
  hbsModule ??= createRequire(import.meta.url)("handlebars") as typeof import("handlebars");
  return hbsModule;
}

type WhitespaceControl = new () => { accept(ast: AST): AST };
let whitespaceModule: WhitespaceControl | undefined;
/**
 * Handlebars' own whitespace control (`~` and lines holding only a block tag), which its parser
 * applies: the HTML context analysis must read the text as it renders. Not in the package's
 * exports; test/render/scan.test.ts fails if an update moves it.
 */
function whitespaceControl(): WhitespaceControl {
  whitespaceModule ??= createRequire(import.meta.url)(
    "handlebars/dist/cjs/handlebars/compiler/whitespace-control.js",
  ) as WhitespaceControl;
  return whitespaceModule;
}

/**
 * Parse and analyse one template part (subject, html or text). Pure.
 * `parser: "handlebars"` skips the fast scanner (tests compare the two paths).
 */
export function analyzeTemplate(
  source: string,
  parser: "auto" | "handlebars" = "auto",
  kind: PartKind = "text",
): Analysis {
  let ast: AST;
  try {
    const scanned = parser === "auto" ? scanTemplate(source) : undefined;
    // A no-op when nothing can be stripped (most templates): skipped then.
    if (scanned && kind === "html" && scanned.whitespace) new (whitespaceControl())().accept(scanned.ast);
    ast = scanned?.ast ?? handlebars().parse(source);
  } catch (e) {
    return { variables: [], outputs: [], issues: [syntaxIssue(source, e as HandlebarsError)] };
  }
  const walker = new Walker();
  walker.program(ast);
  walker.checkPartials();
  return { variables: walker.variables, outputs: findOutputs(ast, kind), issues: walker.issues };
}

type HandlebarsError = Error & { lineNumber?: number; column?: number };

const SYNTAX_HINT = "check that every `{{` is closed by `}}` and every `{{#block}}` by its `{{/block}}`";

/** Handlebars' parser errors are worded for its own developers; say what is wrong, and where. */
function syntaxIssue(source: string, e: HandlebarsError): TemplateIssue {
  const mismatch = /^(\S+) doesn't match (\S+)/.exec(e.message);
  if (mismatch) {
    // Handlebars locates the opening block's name; step back to its `{{`.
    const line = e.lineNumber ?? 1;
    const col = e.column ?? 0;
    const open = (source.split("\n")[line - 1] ?? "").lastIndexOf("{{", col);
    return {
      kind: "syntax",
      message: `\`{{#${mismatch[1]}}}\` is closed by \`{{/${mismatch[2]}}}\``,
      hint: `close it with \`{{/${mismatch[1]}}}\`; blocks close in the reverse order they open`,
      line,
      col: open >= 0 ? open + 1 : col + 1,
    };
  }
  const report = /^(?:Parse|Lexical) error on line (\d+)[:.]/.exec(e.message);
  const comment = report ? unclosedComment(source) : undefined;
  if (comment !== undefined) {
    return {
      kind: "syntax",
      message: "comment is never closed",
      hint: source.startsWith("{{!--", comment) ? "close it with `--}}`" : "close it with `}}`",
      ...lineCol(source, comment),
    };
  }
  if (report) {
    const got = /got '(\w+)'/.exec(e.message)?.[1];
    if (got === "EOF") {
      const open = unclosedBlock(source);
      if (open) {
        return {
          kind: "syntax",
          message: `\`${open.tag}\` is never closed`,
          hint: `add \`{{/${open.name}}}\` where the block ends`,
          ...lineCol(source, open.offset),
        };
      }
    }
    const [, excerpt = "", caret = ""] = e.message.split("\n");
    const offset = locateExcerpt(source, excerpt, caret.indexOf("^"), Number(report[1]));
    let start = source.lastIndexOf("{{", offset);
    if (start > 0 && source[start - 1] === "{") start--; // `{{{`
    const lineStart = source.lastIndexOf("\n", offset - 1) + 1;
    if (start !== -1 && unterminated(source, start)) {
      return {
        kind: "syntax",
        message: `\`${/^\{\{[^\n]{0,30}/.exec(source.slice(start))?.[0].trimEnd()}\` is not closed with \`}}\``,
        hint: "add the missing `}}`",
        ...lineCol(source, start),
      };
    }
    const token = describeToken(got, source, offset);
    const tokenText = token.startsWith("`") ? token.slice(1, -1) : "";
    const context = start >= lineStart ? source.slice(start, offset + tokenText.length).trimEnd() : "";
    return {
      kind: "syntax",
      message: `unexpected ${token}${context && context !== tokenText ? ` in \`${context}\`` : ""}`,
      hint: SYNTAX_HINT,
      ...lineCol(source, offset),
    };
  }
  return {
    kind: "syntax",
    message: `template syntax error: ${e.message.split("\n")[0]}`,
    hint: SYNTAX_HINT,
    line: e.lineNumber ?? 1,
    col: (e.column ?? 0) + 1,
  };
}

/** Offset of the first `{{!` or `{{!--` comment with no end (Handlebars' own excerpt of it is garbled). */
function unclosedComment(source: string): number | undefined {
  for (let i = source.indexOf("{{!"); i !== -1; ) {
    const long = source.startsWith("{{!--", i);
    const end = source.indexOf(long ? "--}}" : "}}", i + 3);
    if (end === -1) return i;
    i = source.indexOf("{{!", end);
  }
  return undefined;
}

/** A `{{` with no `}}` before the next `{{` or the end of the template. */
function unterminated(source: string, start: number): boolean {
  const close = source.indexOf("}}", start + 2);
  const next = source.indexOf("{{", start + 2);
  return close === -1 || (next !== -1 && next < close);
}

const TOKENS: Record<string, string> = {
  EOF: "end of the template",
  CLOSE: "`}}`",
  CLOSE_UNESCAPED: "`}}}`",
  INVERSE: "`{{else}}`",
  OPEN_INVERSE_CHAIN: "`{{else}}`",
  OPEN_ENDBLOCK: "`{{/`",
};

function describeToken(got: string | undefined, source: string, offset: number): string {
  if (got && got !== "INVALID" && TOKENS[got]) return TOKENS[got] as string;
  if (offset >= source.length) return TOKENS.EOF as string;
  const text = /^\S{1,12}/.exec(source.slice(offset))?.[0] ?? source.charAt(offset);
  return `\`${got === "INVALID" ? text.charAt(0) : text}\``;
}

/**
 * Where Handlebars' error excerpt (`past^upcoming`, newlines removed, long sides cut to `...`)
 * sits in the source: the offset of the caret, preferring a match on the reported line.
 */
function locateExcerpt(source: string, excerpt: string, caret: number, line: number): number {
  if (caret < 0) return lineStartOffset(source, line);
  let past = excerpt.slice(0, caret);
  let upcoming = excerpt.slice(caret);
  if (past.startsWith("...")) past = past.slice(3);
  if (upcoming.length > 20 && upcoming.endsWith("...")) upcoming = upcoming.slice(0, -3);
  const map: number[] = [];
  let flat = "";
  for (let i = 0; i < source.length; i++) {
    if (source[i] === "\n") continue;
    map.push(i);
    flat += source[i];
  }
  map.push(source.length);
  const needle = past + upcoming;
  let best: number | undefined;
  for (let i = flat.indexOf(needle); i !== -1; i = flat.indexOf(needle, i + 1)) {
    const offset = map[i + past.length] ?? source.length;
    best ??= offset;
    if (lineCol(source, offset).line === line) return offset;
  }
  return best ?? lineStartOffset(source, line);
}

function lineStartOffset(source: string, line: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = source.indexOf("\n", offset);
    if (nl === -1) break;
    offset = nl + 1;
  }
  return offset;
}

function lineCol(source: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = source.indexOf("\n"); i !== -1 && i < offset; i = source.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

const TAG = /\{\{~?(!--[\s\S]*?--~?\}\}|![\s\S]*?\}\}|\s*([#^/])\s*([*>]?)\s*([^\s}~]+)[^}]*\}\})/g;

/** The innermost block still open at the end of the template, for an "unexpected end" error. */
function unclosedBlock(source: string): { tag: string; name: string; offset: number } | undefined {
  const stack: { tag: string; name: string; offset: number }[] = [];
  for (const m of source.matchAll(TAG)) {
    const [tag, , sigil, , name] = m;
    if (!sigil || !name) continue; // a comment
    if (sigil === "/") {
      const i = stack.map((b) => b.name).lastIndexOf(name);
      if (i !== -1) stack.length = i;
    } else if (!(sigil === "^" && name === "")) {
      stack.push({ tag, name, offset: m.index });
    }
  }
  return stack[stack.length - 1];
}

interface Scope {
  /** True when `this` is the root data object (not inside `each`/`with`). */
  root: boolean;
}

class Walker {
  variables: VariableUse[] = [];
  issues: TemplateIssue[] = [];
  private scopes: Scope[] = [{ root: true }];
  /** Root paths known to be present here: the conditions of enclosing `{{#if}}`s. */
  private guards: string[] = [];
  private partials = new Set<string>();
  private partialUses: { name: string; line: number; col: number }[] = [];

  program(p: hbs.AST.Program): void {
    // Inline partials may be used before they are declared in the same program.
    for (const node of p.body) {
      if (node.type === "DecoratorBlock") {
        const block = node as unknown as hbs.AST.BlockStatement;
        const name = block.params[0];
        if (name && name.type === "StringLiteral") this.partials.add((name as hbs.AST.StringLiteral).value);
      }
    }
    for (const node of p.body) this.node(node);
  }

  private node(node: Node): void {
    switch (node.type) {
      case "MustacheStatement":
        this.mustache(node as hbs.AST.MustacheStatement);
        return;
      case "BlockStatement":
        this.block(node as hbs.AST.BlockStatement);
        return;
      case "DecoratorBlock":
        this.decoratorBlock(node as unknown as hbs.AST.BlockStatement);
        return;
      case "PartialStatement":
      case "PartialBlockStatement": {
        const partial = node as hbs.AST.PartialBlockStatement;
        if (partial.name.type !== "PathExpression") {
          this.unsupported("a dynamic partial `{{> (…)}}`", node);
          return;
        }
        this.partialUses.push({ name: (partial.name as hbs.AST.PathExpression).original, ...at(node) });
        if (partial.program) this.program(partial.program);
        return;
      }
      case "Decorator": {
        const path = (node as unknown as hbs.AST.MustacheStatement).path as hbs.AST.PathExpression;
        this.unsupported(`decorator \`{{*${path.original ?? ""}}}\``, node);
        return;
      }
      default:
        return; // content and comments
    }
  }

  private mustache(m: hbs.AST.MustacheStatement): void {
    if (m.path.type !== "PathExpression") return; // a literal like {{"text"}}
    const path = m.path as hbs.AST.PathExpression;
    if (m.params.length > 0 || (m.hash && m.hash.pairs.length > 0)) {
      this.unsupported(`helper \`${path.original}\``, m);
      return;
    }
    this.use(path, m, false);
  }

  private block(b: hbs.AST.BlockStatement): void {
    const helper = (b.path as hbs.AST.PathExpression).original;
    if (!(SUPPORTED_BLOCKS as readonly string[]).includes(helper)) {
      this.unsupported(`block helper \`{{#${helper}}}\``, b);
      return;
    }
    if (b.params.length !== 1) {
      // Handlebars parses these but throws when rendering.
      this.issues.push({
        kind: "syntax",
        message: `\`{{#${helper}}}\` needs exactly one value, found ${b.params.length}`,
        hint: `write e.g. \`{{#${helper} ${helper === "each" ? "items" : "name"}}}\``,
        ...at(b),
      });
    }
    const param = b.params[0];
    let present: string | undefined;
    if (param?.type === "PathExpression") {
      present = this.use(param as hbs.AST.PathExpression, b, helper === "if" || helper === "unless");
    } else if (param?.type === "SubExpression") {
      const sub = param as hbs.AST.SubExpression;
      const name = sub.path.type === "PathExpression" ? (sub.path as hbs.AST.PathExpression).original : "";
      this.unsupported(`helper \`${name}\` in a sub-expression \`(${name} …)\``, b);
    }
    const nested = helper === "each" || helper === "with";
    // The value is present inside `{{#if x}}` and in the `{{else}}` of `{{#unless x}}`.
    const guardProgram = helper === "if" ? present : undefined;
    const guardInverse = helper === "unless" ? present : undefined;
    if (b.program) {
      if (nested) this.scopes.push({ root: false });
      this.guarded(guardProgram, () => this.program(b.program));
      if (nested) this.scopes.pop();
    }
    if (b.inverse) this.guarded(guardInverse, () => this.program(b.inverse));
  }

  private guarded(path: string | undefined, walk: () => void): void {
    if (path !== undefined) this.guards.push(path);
    walk();
    if (path !== undefined) this.guards.pop();
  }

  private decoratorBlock(b: hbs.AST.BlockStatement): void {
    const name = (b.path as hbs.AST.PathExpression).original;
    if (name !== "inline") {
      this.unsupported(`decorator \`{{#*${name}}}\``, b);
      return;
    }
    if (b.program) this.program(b.program);
  }

  /** Records a use of root data and returns its root path; undefined for loop items, `this` and `@index`. */
  private use(p: hbs.AST.PathExpression, node: Node, conditional: boolean): string | undefined {
    let reserved: string | undefined;
    for (const part of p.parts) {
      if (RESERVED_NAMES.has(part)) {
        reserved = part;
        break;
      }
    }
    if (reserved !== undefined) {
      this.issues.push({
        kind: "reserved-name",
        message: `\`{{${p.original}}}\` uses \`${reserved}\`, a name no variable may have`,
        ...at(node),
      });
      return undefined;
    }
    if (p.parts.length === 0) return undefined; // `this`
    let parts = p.parts;
    if (p.data) {
      // {{@root.x}} reaches the root; {{@index}}, {{@key}}, {{@first}} are loop data.
      if (parts[0] !== "root" || parts.length < 2) return undefined;
      parts = parts.slice(1);
    } else {
      const scope = this.scopes[this.scopes.length - 1 - p.depth];
      if (!(scope?.root ?? true)) return undefined;
    }
    const name = parts[0] ?? "";
    const path = parts.length === 1 ? name : parts.join(".");
    this.variables.push({
      name,
      path,
      written: p.original,
      line: node.loc?.start.line ?? 1,
      col: (node.loc?.start.column ?? 0) + 1,
      guarded:
        conditional || (this.guards.length > 0 && (this.guards.includes(name) || this.guards.includes(path))),
    });
    return path;
  }

  private unsupported(what: string, node: Node): void {
    this.issues.push({
      kind: "unsupported-helper",
      message: `${what} is not supported by SES templates`,
      ...at(node),
    });
  }

  /** Partials are resolved once the whole template is walked. */
  checkPartials(): void {
    for (const use of this.partialUses) {
      if (!this.partials.has(use.name)) {
        const suggestion = didYouMean(use.name, this.partials);
        this.issues.push({
          kind: "unknown-partial",
          message: `partial \`${use.name}\` is not defined in this template`,
          ...(suggestion ? { hint: suggestion } : {}),
          line: use.line,
          col: use.col,
        });
      }
    }
  }
}

function at(node: Node): { line: number; col: number } {
  return { line: node.loc?.start.line ?? 1, col: (node.loc?.start.column ?? 0) + 1 };
}
