/**
 * The functions of a TypeScript file and the lines each spans, read without a compiler (the
 * TypeScript here is the native one, with no JavaScript API). A tokenizer that knows comments,
 * strings, template literals (with their `${…}` code) and regular expressions, then brackets
 * matched, then three shapes:
 * - `function` (declarations and expressions, `async`, `function*`), with a body;
 * - methods of classes and object literals: `name(…) {`, `name<T>(…): Type {`, `[key](…) {`,
 *   after modifiers (`async`, `static`, `get`, `private`…); a signature without a body (an
 *   interface's, an overload) is none;
 * - arrow functions, with a block or an expression body, named by what they are assigned to
 *   (`const f = () => …`, a property `f: () => …`).
 * A function's lines run from its first line (its modifiers, `async`, its name) to its last,
 * both counted, nested functions included. Known limit: an arrow in a type (`cb: (x: T) => U`)
 * is counted as a function too; such a type is a line or two, far from any limit.
 */

export interface FunctionSpan {
  /** Qualified by what holds it: `Class.method`, `outer/inner`, `(anonymous)` for a callback. */
  name: string;
  /** 1-based, inclusive. */
  start: number;
  end: number;
  lines: number;
}

type Kind = "id" | "punct" | "str" | "num" | "regex";

interface Token {
  text: string;
  kind: Kind;
  line: number;
  /** The last line of the token (strings and templates may span lines). */
  endLine: number;
}

/** Operators longer than a character; `>>` is two, so that `Set<Map<K, V>>` closes twice. */
const OPERATORS = [
  "...",
  "===",
  "!==",
  "**=",
  "<<=",
  "&&=",
  "||=",
  "??=",
  "=>",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "??",
  "++",
  "--",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "**",
  "<<",
];

/** After these words a `/` starts a regular expression, not a division. */
const BEFORE_REGEX = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

const isIdStart = (c: string) => /[A-Za-z_$#]/.test(c);
const isIdPart = (c: string) => /[\w$]/.test(c);

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  /** Open `{` and `${`: a `}` closing a `${` goes back into its template. */
  const braces: ("{" | "${")[] = [];
  let i = 0;
  let line = 1;
  const push = (text: string, kind: Kind, startLine: number) =>
    tokens.push({ text, kind, line: startLine, endLine: line });
  const advance = (to: number) => {
    for (let k = i; k < to; k++) if (source[k] === "\n") line++;
    i = to;
  };
  /** From just after a backtick or a `}` closing `${`: to the next backtick or `${`. */
  const templateChunk = () => {
    const startLine = line;
    let k = i;
    while (k < source.length) {
      const c = source[k];
      if (c === "\\") k += 2;
      else if (c === "`") {
        advance(k + 1);
        push("`…`", "str", startLine);
        return;
      } else if (c === "$" && source[k + 1] === "{") {
        advance(k + 2);
        push("`…`", "str", startLine);
        push("${", "punct", line);
        braces.push("${");
        return;
      } else k++;
    }
    throw new Error(`unterminated template literal from line ${startLine}`);
  };
  const regexAllowed = () => {
    const prev = tokens.at(-1);
    if (!prev) return true;
    if (prev.kind === "id") return BEFORE_REGEX.has(prev.text);
    if (prev.kind === "punct") return ![")", "]", "}"].includes(prev.text);
    return false;
  };
  while (i < source.length) {
    const c = source[i] as string;
    const startLine = line;
    if (c === "\n" || c === " " || c === "\t" || c === "\r") {
      advance(i + 1);
    } else if (c === "/" && source[i + 1] === "/") {
      const end = source.indexOf("\n", i);
      advance(end === -1 ? source.length : end);
    } else if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      if (end === -1) throw new Error(`unterminated comment from line ${startLine}`);
      advance(end + 2);
    } else if (c === '"' || c === "'") {
      let k = i + 1;
      while (k < source.length && source[k] !== c) k += source[k] === "\\" ? 2 : 1;
      if (k >= source.length) throw new Error(`unterminated string from line ${startLine}`);
      advance(k + 1);
      push(c + c, "str", startLine);
    } else if (c === "`") {
      advance(i + 1);
      templateChunk();
    } else if (c === "/" && regexAllowed()) {
      let k = i + 1;
      let inClass = false;
      while (k < source.length && (inClass || source[k] !== "/")) {
        if (source[k] === "\n") throw new Error(`unterminated regular expression on line ${startLine}`);
        if (source[k] === "\\") k++;
        else if (source[k] === "[") inClass = true;
        else if (source[k] === "]") inClass = false;
        k++;
      }
      k++;
      while (k < source.length && isIdPart(source[k] as string)) k++;
      advance(k);
      push("/…/", "regex", startLine);
    } else if (isIdStart(c)) {
      let k = i + 1;
      while (k < source.length && isIdPart(source[k] as string)) k++;
      const text = source.slice(i, k);
      advance(k);
      push(text, "id", startLine);
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(source[i + 1] ?? ""))) {
      let k = i + 1;
      while (k < source.length && /[\w.]/.test(source[k] as string)) k++;
      advance(k);
      push(source.slice(i, k), "num", startLine);
    } else if (c === "?" && source[i + 1] === "." && !/[0-9]/.test(source[i + 2] ?? "")) {
      advance(i + 2);
      push("?.", "punct", startLine);
    } else if (c === "}" && braces.at(-1) === "${") {
      braces.pop();
      push("}", "punct", startLine);
      advance(i + 1);
      templateChunk();
    } else {
      const op = OPERATORS.find((o) => source.startsWith(o, i)) ?? c;
      if (op === "{") braces.push("{");
      else if (op === "}") braces.pop();
      advance(i + op.length);
      push(op, "punct", startLine);
    }
  }
  return tokens;
}

const CLOSER: Record<string, string> = { "(": ")", "[": "]", "{": "}", "${": "}" };

/** For each bracket, the index of its partner; for each token, the bracket it is in (-1: none). */
function matchBrackets(tokens: Token[]): { match: Map<number, number>; inside: number[] } {
  const match = new Map<number, number>();
  const inside: number[] = [];
  const open: number[] = [];
  tokens.forEach((t, i) => {
    inside.push(open.at(-1) ?? -1);
    if (t.kind !== "punct") return;
    if (t.text in CLOSER) open.push(i);
    else if (t.text === ")" || t.text === "]" || t.text === "}") {
      const o = open.pop();
      if (o === undefined || CLOSER[tokens[o]?.text ?? ""] !== t.text)
        throw new Error(`unbalanced ${t.text} on line ${t.line}`);
      match.set(o, i);
      match.set(i, o);
    }
  });
  const unclosed = tokens[open[0] ?? -1];
  if (unclosed) throw new Error(`unclosed ${unclosed.text} on line ${unclosed.line}`);
  return { match, inside };
}

/** Words a method's name is never: `} catch (e) {`, `; if (x) {` are statements. */
const STATEMENTS = new Set(["if", "for", "while", "switch", "catch", "function"]);
const MODIFIERS = new Set([
  "async",
  "static",
  "get",
  "set",
  "public",
  "private",
  "protected",
  "override",
  "abstract",
  "export",
  "default",
]);
/** A type operator: after it a `{` is an object type, not a body. */
const TYPE_WORDS = new Set(["keyof", "typeof", "infer", "extends", "is", "asserts", "readonly", "new"]);
/** Where a statement starts: `interface` and `type` after these declare a type. */
const STATEMENT_START = new Set([";", "{", "}", "export", "declare"]);

interface Found {
  name: string;
  first: number;
  last: number;
}

interface Range {
  from: number;
  to: number;
}

/** A file's tokens with their brackets matched, and what is found in them. */
class Scan {
  readonly tokens: Token[];
  private readonly match: Map<number, number>;
  private readonly inside: number[];
  readonly found: Found[] = [];
  readonly classes: (Range & { name: string })[] = [];
  /** Interfaces, type aliases and return types: an arrow in them is a type, not a function. */
  private readonly types: Range[] = [];

  constructor(source: string) {
    this.tokens = tokenize(source);
    ({ match: this.match, inside: this.inside } = matchBrackets(this.tokens));
  }

  private text(i: number): string | undefined {
    return this.tokens[i]?.text;
  }

  private isPunct(i: number, ...options: string[]): boolean {
    const t = this.tokens[i];
    return t?.kind === "punct" && options.includes(t.text);
  }

  private isWord(i: number, ...options: string[]): boolean {
    const t = this.tokens[i];
    return t?.kind === "id" && options.includes(t.text);
  }

  /** The partner of the bracket at `i`. */
  private partner(i: number): number {
    return this.match.get(i) as number;
  }

  /** Functions, methods and classes first (their return types are known then), arrows after. */
  run(): this {
    for (let i = 0; i < this.tokens.length; i++) {
      if (this.isWord(i, "class") && !this.isPunct(i - 1, ".")) this.classAt(i);
      else if (this.isWord(i, "interface", "type")) this.typeAt(i);
      else if (this.isWord(i, "function") && !this.isPunct(i - 1, ".")) this.functionAt(i);
      else this.methodAt(i);
    }
    for (let i = 0; i < this.tokens.length; i++) if (this.isPunct(i, "=>")) this.arrowAt(i);
    return this;
  }

  /** The `{` opening the body of a class or interface declared at `i`. */
  private declarationBody(i: number): number | undefined {
    for (let k = i + 1; k < this.tokens.length; k++) {
      if (!this.isPunct(k, "{")) continue;
      if (!this.isPunct(k - 1, "<", ",", "|", "&", ":")) return k;
      k = this.partner(k);
    }
    return undefined;
  }

  private classAt(i: number): void {
    const named = this.tokens[i + 1]?.kind === "id" && !this.isWord(i + 1, "extends", "implements");
    const open = this.declarationBody(i);
    if (open === undefined) return;
    this.classes.push({
      name: named ? (this.text(i + 1) as string) : "(class)",
      from: open,
      to: this.partner(open),
    });
  }

  /** `interface X {…}` and `type X = …;` hold types only. */
  private typeAt(i: number): void {
    const atStart = i === 0 || STATEMENT_START.has(this.text(i - 1) as string);
    if (!atStart || this.tokens[i + 1]?.kind !== "id") return;
    if (this.isWord(i, "interface")) {
      const open = this.declarationBody(i);
      if (open !== undefined) this.types.push({ from: i, to: this.partner(open) });
      return;
    }
    if (!this.isPunct(i + 2, "=", "<")) return;
    for (let k = i + 2; k < this.tokens.length; k++) {
      if (this.isPunct(k, "(", "[", "{")) k = this.partner(k);
      else if (this.isPunct(k, ";")) {
        this.types.push({ from: i, to: k });
        return;
      }
    }
  }

  private functionAt(i: number): void {
    let k = i + 1;
    if (this.isPunct(k, "*")) k++;
    const name = this.tokens[k]?.kind === "id" ? (this.text(k++) as string) : undefined;
    k = this.skipGenerics(k);
    if (!this.isPunct(k, "(")) return;
    const body = this.bodyAfter(this.partner(k));
    if (body === undefined) return;
    const first = this.withModifiers(i);
    this.found.push({ name: name ?? this.assignedName(first), first, last: this.partner(body) });
  }

  /** A method: `name(…) {` (or `[key](…)`, `"name"(…)`) after a member's boundary or modifiers. */
  private methodAt(i: number): void {
    const t = this.tokens[i] as Token;
    const computed = t.kind === "punct" && t.text === "[";
    if (!computed && !(t.kind === "id" && !STATEMENTS.has(t.text)) && t.kind !== "str") return;
    const keyEnd = computed ? this.partner(i) : i;
    const open = this.skipGenerics(keyEnd + 1);
    if (!this.isPunct(open, "(")) return;
    const prev = this.tokens[i - 1];
    const generator = this.isPunct(i - 1, "*");
    if (generator && this.isWord(i - 2, "function")) return; // `function* name(`: a function
    const boundary =
      !prev ||
      (prev.kind === "punct" && ["{", "}", ";", ",", "*"].includes(prev.text)) ||
      (prev.kind === "id" && MODIFIERS.has(prev.text));
    if (!boundary) return;
    const body = this.bodyAfter(this.partner(open));
    if (body === undefined) return;
    const key = this.tokens.slice(i + 1, keyEnd).map((x) => x.text);
    const name = computed ? `[${key.join("")}]` : t.text;
    this.found.push({ name, first: this.withModifiers(generator ? i - 1 : i), last: this.partner(body) });
  }

  private arrowAt(i: number): void {
    let first = this.arrowStart(i);
    if (this.isWord(first - 1, "async")) first--;
    if (this.inType(first) || this.typePosition(first - 1)) return;
    const last = this.isPunct(i + 1, "{") ? this.partner(i + 1) : this.expressionEnd(i + 1);
    this.found.push({ name: this.assignedName(first), first, last });
  }

  private inType(i: number): boolean {
    return this.types.some((r) => r.from <= i && i <= r.to);
  }

  /**
   * Whether what follows token `p` is a type: after `<`, `|`, `&`, a return type's `):`, a
   * declared variable's `:`, a parameter's `:`, or a member's `:` in a class or an object type.
   */
  private typePosition(p: number): boolean {
    if (this.inType(p)) return true;
    if (this.isPunct(p, "<", "|", "&") || this.isWord(p, "as", "satisfies")) return true;
    if (!this.isPunct(p, ":") || this.ternary(p)) return false;
    if (this.isPunct(p - 1, ")") || this.isWord(p - 2, "const", "let", "var")) return true;
    const open = this.inside[p] ?? -1;
    if (this.isPunct(open, "(")) return true;
    if (!this.isPunct(open, "{")) return false;
    return this.classes.some((c) => c.from === open) || this.typePosition(open - 1);
  }

  /** Whether the `:` at `p` is a conditional's: a `?` before it in the same list (not `x?:`). */
  private ternary(p: number): boolean {
    for (let k = p - 1; k > (this.inside[p] ?? -1); k--) {
      if (this.isPunct(k, ")", "]", "}")) k = this.partner(k);
      else if (this.isPunct(k, ",", ";")) return false;
      else if (this.isPunct(k, "?") && !this.isPunct(k + 1, ":", ")", ",", "=")) return true;
    }
    return false;
  }

  /** Past generics `<…>` at `i`, if any. */
  private skipGenerics(i: number): number {
    if (!this.isPunct(i, "<")) return i;
    let depth = 0;
    for (let k = i; k < this.tokens.length; k++) {
      if (this.isPunct(k, "<")) depth++;
      else if (this.isPunct(k, ">")) depth--;
      else if (this.isPunct(k, "(", "[", "{")) k = this.partner(k);
      if (depth === 0) return k + 1;
    }
    return i;
  }

  /**
   * The body `{` after a parameter list closing at `close` and its return type, if any; a
   * signature (`;`, `,`, the end of its object type) has none. The return type is a type region.
   */
  private bodyAfter(close: number): number | undefined {
    const i = close + 1;
    if (this.isPunct(i, "{")) return i;
    if (!this.isPunct(i, ":")) return undefined;
    let angles = 0;
    for (let k = i + 1; k < this.tokens.length; k++) {
      const t = this.tokens[k] as Token;
      if (t.kind !== "punct") continue;
      if (t.text === "<") angles++;
      else if (t.text === ">") angles--;
      else if (t.text === "{" && k > i + 1 && this.endsType(k - 1)) {
        this.types.push({ from: i, to: k - 1 });
        return k;
      } else if (t.text === "{" || t.text === "(" || t.text === "[") k = this.partner(k);
      else if (t.text === "," && angles > 0) continue;
      else if ([";", ",", "=", ")", "]", "}"].includes(t.text)) return undefined;
    }
    return undefined;
  }

  /** Whether a type can end with token `k` (so a `{` after it opens a body). */
  private endsType(k: number): boolean {
    const t = this.tokens[k] as Token;
    if (t.kind === "id") return !TYPE_WORDS.has(t.text);
    if (t.kind === "punct") return [")", "]", "}", ">"].includes(t.text);
    return true;
  }

  /** Back over modifiers to the first token of a declaration starting at `i`. */
  private withModifiers(i: number): number {
    let k = i;
    while (k > 0 && this.tokens[k - 1]?.kind === "id" && MODIFIERS.has(this.text(k - 1) as string)) k--;
    return k;
  }

  /** What a function expression starting at `i` is assigned to, or `(anonymous)`. */
  private assignedName(i: number): string {
    const prev = this.tokens[i - 1];
    if (prev?.text !== "=" && prev?.text !== ":") return "(anonymous)";
    const before = this.tokens[i - 2];
    if (before && (before.kind === "id" || before.kind === "str")) return before.text;
    if (prev.text === "=") {
      // `const f: Type = …`: back to the declaring word.
      for (let k = i - 2; k > 0; k--) {
        if (this.isPunct(k, ")", "]", "}")) k = this.partner(k);
        else if (this.isPunct(k, ";", "{", "=")) break;
        else if (this.isWord(k, "const", "let", "var")) return this.text(k + 1) ?? "(anonymous)";
      }
    }
    return "(anonymous)";
  }

  /** Where the parameters of the arrow at `i` begin (past a return type: `(…): Type =>`). */
  private arrowStart(i: number): number {
    if (this.isPunct(i - 1, ")")) return this.partner(i - 1);
    for (let k = i - 1; k >= 0; k--) {
      if (this.isPunct(k, ")", "]", "}")) {
        k = this.partner(k);
        continue;
      }
      if (this.isPunct(k, ":")) return this.isPunct(k - 1, ")") ? this.partner(k - 1) : i - 1;
      if (this.isPunct(k, "=", ",", ";", "=>", "?", "(", "[", "{", "${")) break;
    }
    return i - 1;
  }

  /** The last token of an expression body starting at `i`. */
  private expressionEnd(i: number): number {
    let last = i;
    for (let k = i; k < this.tokens.length; k++) {
      // `=` ends it too: in `Record<K, (x: T) => U> = {…}` the arrow is a type.
      if (this.isPunct(k, ",", ";", "=", ")", "]", "}")) return last;
      if (this.isPunct(k, "(", "[", "{", "${")) k = this.partner(k);
      last = k;
    }
    return last;
  }
}

export function functionsIn(source: string): FunctionSpan[] {
  const scan = new Scan(source).run();
  const { tokens, classes } = scan;
  // Qualified names: a function inside another is `outer/inner`; a method of a class `Class.method`.
  const found = [...scan.found].sort((a, b) => a.first - b.first || b.last - a.last);
  const open: (Found & { qualified: string })[] = [];
  return found.map((f) => {
    while (open.length && (open.at(-1) as Found).last < f.first) open.pop();
    const outer = open.at(-1);
    const cls = classes.filter((c) => c.from < f.first && f.last < c.to).at(-1);
    const qualified =
      outer && (!cls || cls.from < outer.first)
        ? `${outer.qualified}/${f.name}`
        : cls
          ? `${cls.name}.${f.name}`
          : f.name;
    open.push({ ...f, qualified });
    const start = (tokens[f.first] as Token).line;
    const end = (tokens[f.last] as Token).endLine;
    return { name: qualified, start, end, lines: end - start + 1 };
  });
}
