/**
 * Rendering with SES semantics: Handlebars without HTML escaping (SES substitutes values as they
 * are), and a missing variable is a failure (SES drops that mail), checked before rendering.
 */
import { createRequire } from "node:module";
import type { Analysis } from "./analyze.js";

type HandlebarsModule = typeof import("handlebars");
let hbs: HandlebarsModule | undefined;
function handlebars(): HandlebarsModule {
  hbs ??= createRequire(import.meta.url)("handlebars") as HandlebarsModule;
  return hbs;
}

export interface TemplateContent {
  subject: string;
  html: string;
  text: string;
}

export interface Rendered {
  subject: string;
  html: string;
  text: string;
}

export type RenderFn = (data: Record<string, unknown>) => Rendered;

/** Compile once per send or preview; rendering is then a function call per recipient. */
export function compileTemplate(content: TemplateContent): RenderFn {
  const h = handlebars().create();
  const opts = {
    noEscape: true,
    strict: false,
    knownHelpersOnly: true,
    knownHelpers: { if: true, unless: true, each: true, with: true },
  };
  const parts = {
    subject: h.compile(content.subject, opts),
    html: content.html ? h.compile(content.html, opts) : undefined,
    text: content.text ? h.compile(content.text, opts) : undefined,
  };
  // Own properties only, as SES looks values up (Handlebars' default, said explicitly so it does not
  // warn on the console when a template names `toString` and the data has no such key).
  const runtime = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false };
  return (data) => ({
    subject: parts.subject(data, runtime),
    html: parts.html ? parts.html(data, runtime) : "",
    text: parts.text ? parts.text(data, runtime) : "",
  });
}

/** The unguarded variable paths a template needs, deduplicated, for a per-recipient presence check. */
export function requiredPaths(analyses: Analysis[]): string[][] {
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const a of analyses) {
    for (const v of a.variables) {
      if (v.guarded || seen.has(v.path)) continue;
      seen.add(v.path);
      out.push(v.path.split("."));
    }
  }
  return out;
}

/**
 * The first required path the data lacks (undefined or null), or undefined when all are there.
 * Own properties only: `{{toString}}` is missing unless the data has a `toString` key, as in SES.
 */
export function firstMissing(required: string[][], data: Record<string, unknown>): string | undefined {
  for (const path of required) if (lacks(path, 0, data)) return path.join(".");
  return undefined;
}

/**
 * firstMissing(required, Object.assign({}, defaults, data)) without the copy: each path's first
 * key is looked up in `data`, then in `defaults`. Neither may have a `__proto__` key (the copy
 * would set the prototype instead).
 */
export function firstMissingOf(
  required: string[][],
  data: Record<string, unknown>,
  defaults: Record<string, unknown>,
): string | undefined {
  for (const path of required) {
    const root = path[0] as string;
    const from = Object.hasOwn(data, root) ? data : defaults;
    if (lacks(path, 0, from)) return path.join(".");
  }
  return undefined;
}

/** Whether `path` from its `from`th key is undefined or null in `node`, own properties only. */
function lacks(path: string[], from: number, node: unknown): boolean {
  for (let i = from; i < path.length; i++) {
    const key = path[i] as string;
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return true;
    node = (node as Record<string, unknown>)[key];
  }
  return node === undefined || node === null;
}
