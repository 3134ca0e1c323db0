/**
 * What an SES template uses: its root variables (with positions) and any Handlebars construct SES
 * does not support. SES stored templates support paths, `if`/`else`, `unless`, `each`, `with` and
 * inline partials; there are no other helpers.
 */
import { createRequire } from "node:module";
import { scanTemplate } from "./scan.js";

type AST = hbs.AST.Program;
type Node = hbs.AST.Node;

export const SUPPORTED_BLOCKS = ["if", "unless", "each", "with"] as const;

export interface VariableUse {
  /** First segment of the path, as looked up in the template data. */
  name: string;
  /** The whole path as written, e.g. `user.name`. */
  path: string;
  /** 1-based line and column inside the template part. */
  line: number;
  col: number;
  /** True where a missing value cannot fail the render: an `if`/`unless` condition or a use inside `{{#if x}}`. */
  guarded: boolean;
}

export interface TemplateIssue {
  kind: "syntax" | "unsupported-helper" | "unknown-partial";
  message: string;
  line: number;
  col: number;
}

export interface Analysis {
  variables: VariableUse[];
  issues: TemplateIssue[];
}

// Loaded on first use: the fast scanner handles most templates without it.
let hbsModule: typeof import("handlebars") | undefined;
function handlebars(): typeof import("handlebars") {
  hbsModule ??= createRequire(import.meta.url)("handlebars") as typeof import("handlebars");
  return hbsModule;
}

/** Parse and analyse one template part (subject, html or text). Pure. */
export function analyzeTemplate(source: string): Analysis {
  let ast: AST;
  try {
    ast = scanTemplate(source) ?? handlebars().parse(source);
  } catch (e) {
    return { variables: [], issues: [syntaxIssue(e as Error & { lineNumber?: number; column?: number })] };
  }
  const walker = new Walker();
  walker.program(ast);
  walker.checkPartials();
  return { variables: walker.variables, issues: walker.issues };
}

function syntaxIssue(e: Error & { lineNumber?: number; column?: number }): TemplateIssue {
  const parse = /^Parse error on line (\d+):\n(.*)\n/.exec(e.message);
  if (parse) {
    const near = (parse[2] ?? "").trim();
    return {
      kind: "syntax",
      message: `template syntax error near \`${near}\``,
      line: Number(parse[1]),
      col: 1,
    };
  }
  const mismatch = /^(\S+) doesn't match (\S+)/.exec(e.message);
  return {
    kind: "syntax",
    message: mismatch
      ? `\`{{/${mismatch[2]}}}\` closes \`{{#${mismatch[1]}}}\``
      : `template syntax error: ${e.message.split("\n")[0]}`,
    line: e.lineNumber ?? 1,
    col: (e.column ?? 0) + 1,
  };
}

interface Scope {
  /** True when `this` is the root data object (not inside `each`/`with`). */
  root: boolean;
}

class Walker {
  variables: VariableUse[] = [];
  issues: TemplateIssue[] = [];
  private scopes: Scope[] = [{ root: true }];
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
        const partial = node as hbs.AST.PartialStatement;
        const name =
          partial.name.type === "PathExpression" ? (partial.name as hbs.AST.PathExpression).original : "";
        this.partialUses.push({ name, ...at(node) });
        return;
      }
      case "Decorator":
        this.unsupported(`decorator \`${(node as hbs.AST.MustacheStatement).path.type}\``, node);
        return;
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
    const param = b.params[0];
    let guard: string | undefined;
    if (param?.type === "PathExpression") {
      const p = param as hbs.AST.PathExpression;
      this.use(p, b, helper === "if" || helper === "unless");
      if (helper === "if" && this.current().root && p.depth === 0 && !p.data) guard = p.original;
    } else if (param?.type === "SubExpression") {
      this.unsupported("sub-expression", b);
    }
    const nested = helper === "each" || helper === "with";
    if (b.program) {
      if (nested) this.scopes.push({ root: false });
      if (guard) this.guards.push(guard);
      this.program(b.program);
      if (guard) this.guards.pop();
      if (nested) this.scopes.pop();
    }
    if (b.inverse) this.program(b.inverse);
  }

  private decoratorBlock(b: hbs.AST.BlockStatement): void {
    const name = (b.path as hbs.AST.PathExpression).original;
    if (name !== "inline") {
      this.unsupported(`decorator \`{{#*${name}}}\``, b);
      return;
    }
    if (b.program) this.program(b.program);
  }

  private use(p: hbs.AST.PathExpression, node: Node, conditional: boolean): void {
    if (p.parts.length === 0) return; // `this`
    let rootRelative: boolean;
    let parts = p.parts;
    if (p.data) {
      // {{@root.x}} reaches the root; {{@index}}, {{@key}}, {{@first}} are loop data.
      if (parts[0] !== "root" || parts.length < 2) return;
      rootRelative = true;
      parts = parts.slice(1);
    } else {
      const scope = this.scopes[this.scopes.length - 1 - p.depth];
      rootRelative = scope?.root ?? true;
    }
    if (!rootRelative) return;
    const name = parts[0] ?? "";
    const where = at(node);
    this.variables.push({
      name,
      path: parts.join("."),
      line: where.line,
      col: where.col,
      guarded: conditional || this.guards.includes(name) || this.guards.includes(parts.join(".")),
    });
  }

  private current(): Scope {
    return this.scopes[this.scopes.length - 1] ?? { root: true };
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
        this.issues.push({
          kind: "unknown-partial",
          message: `partial \`${use.name}\` is not defined in this template`,
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
