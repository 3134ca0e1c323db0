/**
 * What a value may contain where a template writes it (docs/data-safety.md). SES substitutes values
 * as they are, with no escaping, so a value is checked against every context it lands in and refused
 * when it could change the markup around it, start a header, or point a link at a script.
 *
 * The per-recipient check runs on the send's hot path: the rules of a campaign's template are
 * combined once per root variable (`safetyChecks`), and a value is then a char-code scan against a
 * table, plus a scheme check where it starts a URL. A refusal names the context, never the value.
 */
import type { Analysis } from "./analyze.js";
import { type Context, STRICT_CONTEXTS } from "./html-context.js";

export interface Rule {
  /** 1 at the ASCII codes the value may not contain. */
  readonly mask: Uint8Array;
  /**
   * The mask's characters as one class, undefined when none is refused: a value (often a slice
   * of the read text) is scanned by one native match, where a loop of charCodeAt over a slice
   * costs several times as much.
   */
  readonly refused: RegExp | undefined;
  /** The value starts a URL: it must be an absolute https:, http: or mailto: URL. */
  readonly url: boolean;
  /** An empty value would shift the markup after it (unquoted attributes, URLs). */
  readonly nonEmpty: boolean;
  /** No text value is safe here. */
  readonly strict: boolean;
}

const LT = "<>";
const SPACE = " \t\n\f\r";

function rule(refused: string, flags: Partial<Pick<Rule, "url" | "nonEmpty" | "strict">> = {}): Rule {
  const mask = new Uint8Array(128);
  for (const ch of refused) mask[ch.charCodeAt(0)] = 1;
  return {
    mask,
    refused: classOf(mask),
    url: flags.url ?? false,
    nonEmpty: flags.nonEmpty ?? false,
    strict: flags.strict ?? false,
  };
}

/** Backticks close attribute values in old Internet Explorer engines (still in some mail clients). */
const RULES: Record<Context, Rule> = {
  subject: rule("\r\n"),
  text: rule(""),
  "html-text": rule(LT),
  "attr-double": rule(`"\`${LT}`),
  "attr-single": rule(`'\`${LT}`),
  "attr-unquoted": rule(`"'\`=${LT}${SPACE}`, { nonEmpty: true }),
  "url-double": rule(`"\`${LT}`, { url: true, nonEmpty: true }),
  "url-single": rule(`'\`${LT}`, { url: true, nonEmpty: true }),
  "url-unquoted": rule(`"'\`=${LT}${SPACE}`, { url: true, nonEmpty: true }),
  script: rule("", { strict: true }),
  style: rule("", { strict: true }),
  comment: rule("", { strict: true }),
  tag: rule("", { strict: true }),
  unknown: rule("", { strict: true }),
};

export function ruleFor(context: Context): Rule {
  return RULES[context];
}

/** The rule refusing everything any of the contexts refuses. */
export function combine(contexts: Iterable<Context>): Rule {
  const mask = new Uint8Array(128);
  let url = false;
  let nonEmpty = false;
  let strict = false;
  for (const c of contexts) {
    const r = RULES[c];
    for (let i = 0; i < 128; i++) if (r.mask[i] === 1) mask[i] = 1;
    url ||= r.url;
    nonEmpty ||= r.nonEmpty;
    strict ||= r.strict;
  }
  return { mask, refused: classOf(mask), url, nonEmpty, strict };
}

/** A character class of the mask's codes (each as \xNN, so none is special); undefined for none. */
function classOf(mask: Uint8Array): RegExp | undefined {
  const codes: string[] = [];
  mask.forEach((on, code) => {
    if (on === 1) codes.push(`\\x${code.toString(16).padStart(2, "0")}`);
  });
  return codes.length ? new RegExp(`[${codes.join("")}]`) : undefined;
}

/** How a refusal names the context: in skip reasons, which are counted by reason. */
export function contextLabel(c: Context): string {
  switch (c) {
    case "subject":
      return "subject";
    case "html-text":
      return "html text";
    case "attr-double":
    case "attr-single":
    case "attr-unquoted":
      return "html attribute";
    case "url-double":
    case "url-single":
    case "url-unquoted":
      return "url";
    case "text":
      return "text";
    default:
      return `html ${c}`;
  }
}

/** Where a context is and what it asks of a value, for validate's messages. */
export function contextRule(c: Context): { where: string; rule: string } {
  const quoted = (q: string) => `a value may not contain ${q}, \`\` \` \`\`, \`<\` or \`>\``;
  const unquoted = "a value may not be empty nor contain a quote, space, `=`, `` ` ``, `<` or `>`";
  const url = "a value must be an absolute `https:`, `http:` or `mailto:` URL";
  switch (c) {
    case "subject":
      return { where: "into the subject", rule: "a value may not contain a line break" };
    case "html-text":
      return { where: "into HTML text", rule: "a value may not contain `<` or `>`" };
    case "attr-double":
      return { where: 'into a double-quoted HTML attribute (`="…"`)', rule: quoted('`"`') };
    case "attr-single":
      return { where: "into a single-quoted HTML attribute (`='…'`)", rule: quoted("`'`") };
    case "attr-unquoted":
      return { where: "into an unquoted HTML attribute", rule: unquoted };
    case "url-double":
      return {
        where: "as the start of a link or image URL",
        rule: `${url}, and ${quoted('`"`').replace("a value ", "")}`,
      };
    case "url-single":
      return {
        where: "as the start of a link or image URL",
        rule: `${url}, and ${quoted("`'`").replace("a value ", "")}`,
      };
    case "url-unquoted":
      return {
        where: "as the start of a link or image URL",
        rule: `${url}, and ${unquoted.replace("a value ", "")}`,
      };
    case "text":
      return { where: "into the text part", rule: "any value is fine" };
    default:
      return { where: "where no value is safe", rule: "no text is allowed" };
  }
}

/**
 * True for an absolute http:, https: or mailto: URL, read the way browsers read an attribute's URL:
 * leading spaces and control characters dropped, tabs and line breaks ignored, the scheme compared
 * without case. Anything else is refused: `javascript:` and `data:` in any spelling, a
 * protocol-relative `//host`, and relative URLs (mail has no base URL to resolve them against).
 * A character reference (`&#58;`) cannot spell the scheme: `&` and `#` are not scheme characters.
 */
export function safeUrl(s: string): boolean {
  const n = s.length;
  let i = 0;
  while (i < n && s.charCodeAt(i) <= 0x20) i++;
  let scheme = "";
  for (; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c === 9 || c === 10 || c === 13) continue;
    if (c === 58) break; // :
    if (c >= 65 && c <= 90) c += 32;
    const ok =
      (c >= 97 && c <= 122) || (scheme !== "" && ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46));
    if (!ok || scheme.length >= 6) return false;
    scheme += String.fromCharCode(c);
  }
  if (i === n) return false; // no scheme: relative
  return scheme === "https" || scheme === "http" || scheme === "mailto";
}

function unsafeString(s: string, r: Rule): boolean {
  if (r.strict) return true;
  if (r.nonEmpty && s.length === 0) return true;
  if (r.refused?.test(s)) return true;
  return r.url && !safeUrl(s);
}

/** Trail of keys to the refused value, filled in only when asked (validate's positions). */
type Trail = (string | number)[] | undefined;

const MAX_DEPTH = 32;

/**
 * True when a value, written as a whole, breaks the rule: a string that does; a list or object
 * where a URL or unquoted value must be one string (they render as `a,b` and `[object Object]`);
 * otherwise any string in it that does. Numbers and booleans are safe; missing values render
 * nothing (whether one may be missing is the presence check's business).
 */
function unsafeValue(v: unknown, r: Rule, trail: Trail, depth: number): boolean {
  if (typeof v === "string") return unsafeString(v, r);
  if (v === null || typeof v !== "object") return false;
  if (r.url || r.nonEmpty || r.strict || depth > MAX_DEPTH) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      trail?.push(i);
      if (unsafeValue(v[i], r, trail, depth + 1)) return true;
      trail?.pop();
    }
    return false;
  }
  for (const key of Object.keys(v)) {
    trail?.push(key);
    if (unsafeValue((v as Record<string, unknown>)[key], r, trail, depth + 1)) return true;
    trail?.pop();
  }
  return false;
}

/**
 * True when the value at `rest` below `v` breaks the rule. Segments are own properties; `*` is
 * each item of a list (or value of an object) `{{#each}}` walks, `@key` each key of an object.
 */
export function unsafeAt(
  v: unknown,
  rest: readonly string[],
  r: Rule,
  trail?: (string | number)[],
  i = 0,
): boolean {
  if (i === rest.length) return unsafeValue(v, r, trail, 0);
  const seg = rest[i] as string;
  if (v === null || typeof v !== "object") {
    // `{{#each}}` over text: the text itself is what its items write.
    return seg === "*" && typeof v === "string" ? unsafeAt(v, rest, r, trail, i + 1) : false;
  }
  if (seg === "*" || seg === "@key") {
    const keys = Array.isArray(v) ? null : Object.keys(v);
    const n = keys ? keys.length : (v as unknown[]).length;
    for (let k = 0; k < n; k++) {
      const key = keys ? (keys[k] as string) : k;
      trail?.push(key);
      const bad =
        seg === "@key"
          ? typeof key === "string" && unsafeString(key, r)
          : unsafeAt((v as Record<string | number, unknown>)[key], rest, r, trail, i + 1);
      if (bad) return true;
      trail?.pop();
    }
    return false;
  }
  if (!Object.hasOwn(v, seg)) return false;
  trail?.push(seg);
  if (unsafeAt((v as Record<string, unknown>)[seg], rest, r, trail, i + 1)) return true;
  trail?.pop();
  return false;
}

/** Stands for "every root value": a use whose path starts at no particular variable. */
export const ANY_ROOT = "";

export interface RootCheck {
  /** The root variable, or ANY_ROOT. */
  root: string;
  /** The first context, in the template's order, that the value breaks; undefined when safe. */
  test(value: unknown): Context | undefined;
}

/**
 * One check per root variable the template writes (with any restriction), combining every use of
 * it: `{{name}}` in the subject and in HTML text refuses line breaks, `<` and `>`.
 */
export function safetyChecks(analyses: readonly Analysis[]): RootCheck[] {
  const byRoot = new Map<string, Map<string, { rest: string[]; contexts: Context[] }>>();
  for (const a of analyses) {
    for (const out of a.outputs) {
      if (out.context === "text") continue;
      const first = out.path[0];
      const any = first === undefined || first === "*" || first === "@key";
      const root = any ? ANY_ROOT : first;
      const rest = any ? out.path.slice(first === undefined ? 0 : 1) : out.path.slice(1);
      let paths = byRoot.get(root);
      if (!paths) {
        paths = new Map();
        byRoot.set(root, paths);
      }
      const key = rest.join("\u0001");
      let entry = paths.get(key);
      if (!entry) {
        entry = { rest, contexts: [] };
        paths.set(key, entry);
      }
      if (!entry.contexts.includes(out.context)) entry.contexts.push(out.context);
    }
  }
  return [...byRoot].map(([root, paths]) => ({ root, test: compileTest([...paths.values()]) }));
}

function compileTest(entries: { rest: string[]; contexts: Context[] }[]): RootCheck["test"] {
  const compiled = entries.map((e) => ({ rest: e.rest, contexts: e.contexts, rule: combine(e.contexts) }));
  // Which context refused is worked out only for a refusal.
  const which = (v: unknown, e: (typeof compiled)[number]) =>
    e.contexts.find((c) => unsafeAt(v, e.rest, RULES[c])) ?? (e.contexts[0] as Context);
  const only = compiled[0];
  if (compiled.length === 1 && only && only.rest.length === 0) {
    const r = only.rule;
    return (v) => {
      if (typeof v === "string" ? !unsafeString(v, r) : !unsafeValue(v, r, undefined, 0)) return undefined;
      return which(v, only);
    };
  }
  return (v) => {
    for (const e of compiled) if (unsafeAt(v, e.rest, e.rule)) return which(v, e);
    return undefined;
  };
}

export function isStrict(c: Context): boolean {
  return STRICT_CONTEXTS.has(c);
}
