/**
 * Where a template part writes data values, and in which context each lands (html-context.ts).
 *
 * The walk follows document order and carries the set of HTML states the text so far may have left:
 * `{{#if}}`/`{{#unless}}`/`{{#with}}` take the union of their branches (or of the branch and
 * nothing), `{{#each}}` runs its body until the set stops growing (zero, one or more rounds), and a
 * value that may be empty leaves both the state before and after it. A value written where the
 * states disagree gets every one of their contexts, so it must be safe in all of them. An inline
 * partial is walked where it is used, in the state and scope of the use.
 *
 * Paths are from the root of the data: a use inside `{{#each items}}` is `items.*.name` (`*` is
 * each item), `{{@key}}` there is `items.@key` (the item keys), and a use whose scope cannot be
 * told (a partial called with arguments) is the empty path: every value in the data.
 */
import {
  advance,
  afterValue,
  type Context,
  contextAt,
  type HtmlState,
  START,
  sameStates,
  UNKNOWN_STATES,
  union,
  valueMayChange,
} from "./html-context.js";

export type PartKind = "subject" | "html" | "text";

export interface OutputUse {
  path: string[];
  /** The expression as written, e.g. `../name`. */
  written: string;
  context: Context;
  /** 1-based line and column of the `{{` inside the template part. */
  line: number;
  col: number;
}

interface Scope {
  /** Path from the root of the data; undefined when it cannot be told. */
  path: string[] | undefined;
  root: boolean;
}

/** Rounds of an `{{#each}}` body before its states are given up as unknown. */
const MAX_ROUNDS = 8;
/** Partials within partials before the states are given up as unknown. */
const MAX_PARTIAL_DEPTH = 8;

type Node = hbs.AST.Node;

/** The text state alone, the state most text leaves: shared, since state sets are never changed in place. */
const START_STATES: HtmlState[] = [START];

export function findOutputs(ast: hbs.AST.Program, kind: PartKind): OutputUse[] {
  const walker = new OutputWalker(kind);
  walker.collectPartials(ast);
  walker.program(ast, START_STATES);
  return walker.outputs;
}

class OutputWalker {
  /** In the order first met; one entry per node, path and context. */
  outputs: OutputUse[] = [];
  /**
   * The entries so far by the node they were written at. Most nodes are met once; a node walked
   * again (an `{{#each}}` body's next round, a partial's next use) compares its few entries,
   * cheaper than a string key per use (validate's budget, docs/performance.md).
   */
  private seen = new Map<Node, OutputUse[]>();
  /**
   * How many `{{#each}}` bodies and partials enclose the walk. At zero every node is walked once,
   * so a use needs no comparing with earlier entries (nor a place in `seen`).
   */
  private rewalks = 0;
  private scopes: Scope[] = [{ path: [], root: true }];
  /** Root paths known to be truthy here: the conditions of enclosing `{{#if}}`s. */
  private guards: string[] = [];
  private partials = new Map<string, hbs.AST.Program>();
  private partialDepth = 0;
  private readonly html: boolean;

  constructor(private readonly kind: PartKind) {
    this.html = kind === "html";
  }

  collectPartials(p: hbs.AST.Program): void {
    for (const node of p.body) {
      // Only these hold programs (text and values, most nodes, are passed over at once).
      if (
        node.type !== "BlockStatement" &&
        node.type !== "DecoratorBlock" &&
        node.type !== "PartialBlockStatement"
      )
        continue;
      const block = node as hbs.AST.BlockStatement;
      if (node.type === "DecoratorBlock") {
        const name = block.params[0];
        if (name?.type === "StringLiteral" && block.program)
          this.partials.set((name as hbs.AST.StringLiteral).value, block.program);
      }
      if (block.program) this.collectPartials(block.program);
      if (block.inverse) this.collectPartials(block.inverse);
    }
  }

  program(p: hbs.AST.Program, states: HtmlState[]): HtmlState[] {
    let out = states;
    for (const node of p.body) out = this.node(node, out);
    return out;
  }

  private node(node: Node, states: HtmlState[]): HtmlState[] {
    switch (node.type) {
      case "ContentStatement":
        return this.text((node as hbs.AST.ContentStatement).value, states);
      case "MustacheStatement":
        return this.mustache(node as hbs.AST.MustacheStatement, states);
      case "BlockStatement":
        return this.block(node as hbs.AST.BlockStatement, states);
      case "PartialStatement":
      case "PartialBlockStatement":
        return this.partial(node as hbs.AST.PartialBlockStatement, states);
      default:
        return states; // comments, decorators, inline partial definitions (walked where used)
    }
  }

  private text(text: string, states: HtmlState[]): HtmlState[] {
    if (!this.html || text === "") return states;
    if (states.length === 1) {
      const next = advance(states[0] as HtmlState, text);
      return next === states[0] ? states : next === START ? START_STATES : [next];
    }
    return union(...states.map((s) => [advance(s, text)]));
  }

  private mustache(m: hbs.AST.MustacheStatement, states: HtmlState[]): HtmlState[] {
    const p = m.path as hbs.AST.Node;
    if (p.type === "StringLiteral" || p.type === "NumberLiteral" || p.type === "BooleanLiteral")
      return this.text(String((p as hbs.AST.StringLiteral).value), states);
    // A helper is reported as unsupported elsewhere; what it writes is unknown.
    if (p.type !== "PathExpression" || m.params.length > 0 || (m.hash && m.hash.pairs.length > 0))
      return states;
    const use = this.resolve(p as hbs.AST.PathExpression);
    if (!use) return states; // @index, @first, @last: numbers and booleans
    this.record(use.path, (p as hbs.AST.PathExpression).original, states, m);
    if (!this.html || (states.length === 1 && !valueMayChange(states[0] as HtmlState))) return states;
    return union(...states.map((s) => afterValue(s, use.present)));
  }

  private record(path: string[], written: string, states: HtmlState[], node: Node): void {
    const line = node.loc?.start.line ?? 1;
    const col = (node.loc?.start.column ?? 0) + 1;
    if (this.rewalks === 0 && (!this.html || states.length === 1)) {
      const context = this.html
        ? contextAt(states[0] as HtmlState)
        : this.kind === "subject"
          ? "subject"
          : "text";
      this.outputs.push({ path, written, context, line, col });
      return;
    }
    const contexts: Context[] = this.html
      ? states.map(contextAt)
      : [this.kind === "subject" ? "subject" : "text"];
    let met = this.seen.get(node);
    if (!met) {
      met = [];
      this.seen.set(node, met);
    }
    for (const context of contexts) {
      if (met.some((u) => u.context === context && samePath(u.path, path))) continue;
      const use = { path, written, context, line, col };
      met.push(use);
      this.outputs.push(use);
    }
  }

  /** The path a use reads from the root of the data, and whether it is known to be non-empty there. */
  private resolve(p: hbs.AST.PathExpression): { path: string[]; present: boolean } | undefined {
    if (p.data) {
      if (p.parts[0] === "root") return this.rooted(p.parts.slice(1));
      if (p.parts[0] === "key" && p.parts.length === 1) {
        const scope = this.scopeAt(p.depth);
        const path = scope.path;
        if (path === undefined) return { path: [], present: false };
        return path.at(-1) === "*" ? { path: [...path.slice(0, -1), "@key"], present: false } : undefined;
      }
      return undefined;
    }
    const scope = this.scopeAt(p.depth);
    if (scope.root) return this.rooted(p.parts);
    return { path: scope.path ? [...scope.path, ...p.parts] : [], present: false };
  }

  private rooted(parts: string[]): { path: string[]; present: boolean } {
    if (this.guards.length === 0) return { path: parts, present: true }; // outside every `{{#if}}`
    const path = parts.join(".");
    // Required (so checked present before sending), or inside `{{#if}}` of itself.
    const present = this.guards.includes(path) || !this.guards.includes(parts[0] ?? "");
    return { path: parts, present };
  }

  private scopeAt(depth: number): Scope {
    return this.scopes[this.scopes.length - 1 - depth] ?? (this.scopes[0] as Scope);
  }

  private block(b: hbs.AST.BlockStatement, states: HtmlState[]): HtmlState[] {
    const helper = (b.path as hbs.AST.PathExpression).original;
    const param = b.params[0];
    const value =
      param?.type === "PathExpression" ? this.resolve(param as hbs.AST.PathExpression) : undefined;
    const rootPath =
      value && this.scopeAt((param as hbs.AST.PathExpression).depth).root ? value.path.join(".") : undefined;
    const inverse = () =>
      b.inverse
        ? this.guarded(helper === "unless" ? rootPath : undefined, () => this.program(b.inverse, states))
        : states;
    if (helper === "each" || helper === "with") {
      const path = value ? [...value.path, ...(helper === "each" ? ["*"] : [])] : undefined;
      this.scopes.push({ path, root: false });
      let body: HtmlState[] | undefined;
      try {
        body = b.program ? this.loop(b.program, states, helper === "each") : undefined;
      } finally {
        this.scopes.pop();
      }
      return body ? union(body, inverse()) : inverse();
    }
    // if, unless, and (reported elsewhere) unsupported blocks: one branch or the other.
    const program = b.program
      ? this.guarded(helper === "if" ? rootPath : undefined, () => this.program(b.program, states))
      : states;
    return union(program, inverse());
  }

  /** The states after one round of a body, or (repeat) after one or more. */
  private loop(body: hbs.AST.Program, states: HtmlState[], repeat: boolean): HtmlState[] {
    if (!repeat) return this.program(body, states);
    this.rewalks++;
    try {
      let start = states;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const end = this.program(body, start);
        const next = union(states, end);
        if (sameStates(next, start)) return end;
        start = next;
      }
      return this.html ? UNKNOWN_STATES : states;
    } finally {
      this.rewalks--;
    }
  }

  private guarded(path: string | undefined, walk: () => HtmlState[]): HtmlState[] {
    if (path !== undefined) this.guards.push(path);
    try {
      return walk();
    } finally {
      if (path !== undefined) this.guards.pop();
    }
  }

  private partial(p: hbs.AST.PartialBlockStatement, states: HtmlState[]): HtmlState[] {
    const name = p.name.type === "PathExpression" ? (p.name as hbs.AST.PathExpression).original : undefined;
    const body = name !== undefined ? this.partials.get(name) : undefined;
    if (!body) return p.program ? this.program(p.program, states) : states;
    if (this.partialDepth >= MAX_PARTIAL_DEPTH) return this.html ? UNKNOWN_STATES : states;
    // `{{> name value}}` or `{{> name key=value}}` changes what the partial's paths read.
    const changed = p.params.length > 0 || (p.hash && p.hash.pairs.length > 0);
    if (changed) this.scopes.push({ path: undefined, root: false });
    this.partialDepth++;
    this.rewalks++;
    try {
      return this.program(body, states);
    } finally {
      this.rewalks--;
      this.partialDepth--;
      if (changed) this.scopes.pop();
    }
  }
}

function samePath(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i]);
}
