/**
 * A campaign's A/B variants (`variants:`, `test:`): the model and how it is read from the YAML.
 * Which recipient gets which variant, and the winner rule, are send/variants.ts; the checks are
 * lint/variants.ts.
 */
import { analyzeTemplate } from "../render/analyze.js";
import type { Campaign, Template, TemplatePart } from "./model.js";
import type { PathSegment, YamlDoc } from "./yaml.js";

export interface Variant {
  name: string;
  /** Percent of the campaign's recipients (of the test share, with `test:`); equal shares when none is written. */
  share: number;
  /** Its own subject: sent as its own SES template, `<template>--<variant>` (variantTemplateName). */
  subject?: TemplatePart;
  /** Another template than the campaign's. */
  template?: string;
  /** Laid over the campaign's `data`. */
  data: Record<string, unknown>;
  /** Where it is written: `variants[i]`. */
  path: PathSegment[];
}

export type WinnerMetric = "click_rate" | "open_rate";

export interface VariantTest {
  /** Percent of the recipients the variants are tried on first. */
  share: number;
  decideAfterSeconds: number;
  by: WinnerMetric;
}

export interface Variants {
  list: Variant[];
  /** Whether any share was written (then every one must be, summing to 100%). */
  sharesWritten: boolean;
  test?: VariantTest;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** `50%` or `50`: a percentage; undefined when it is neither. */
export function parsePercent(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v !== "string") return undefined;
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$/.exec(v);
  return m ? Number(m[1]) : undefined;
}

/** The campaign's `variants:` and `test:`, as written; undefined without `variants:`. */
export function buildVariants(
  d: Obj,
  file: string,
  doc: YamlDoc | undefined,
  parseDuration: (text: string | undefined) => number | undefined,
): Variants | undefined {
  if (!Array.isArray(d.variants)) return undefined;
  const list: Variant[] = [];
  let sharesWritten = false;
  d.variants.forEach((raw, i) => {
    if (!isObj(raw) || typeof raw.name !== "string") return;
    const share = parsePercent(raw.share);
    if (share !== undefined) sharesWritten = true;
    const path: PathSegment[] = ["variants", i];
    const subject =
      typeof raw.subject === "string" && doc
        ? subjectPart(raw.subject, file, doc, [...path, "subject"])
        : undefined;
    list.push({
      name: raw.name,
      share: share ?? Number.NaN,
      ...(subject ? { subject } : {}),
      ...(typeof raw.template === "string" ? { template: raw.template } : {}),
      data: isObj(raw.data) ? raw.data : {},
      path,
    });
  });
  if (!sharesWritten) for (const v of list) v.share = 100 / list.length;
  const t = d.test;
  const test: VariantTest | undefined =
    isObj(t) && (t.by === "click_rate" || t.by === "open_rate")
      ? {
          share: parsePercent(t.share) ?? Number.NaN,
          decideAfterSeconds:
            parseDuration(typeof t.decide_after === "string" ? t.decide_after : undefined) ?? 0,
          by: t.by as WinnerMetric,
        }
      : undefined;
  return { list, sharesWritten, ...(test ? { test } : {}) };
}

function subjectPart(source: string, file: string, doc: YamlDoc, path: PathSegment[]): TemplatePart {
  return {
    part: "subject",
    source,
    file,
    locate: (line, col) => doc.scalarPosition(path, line, col),
    analysis: analyzeTemplate(source, "auto", "subject"),
  };
}

/** The template a variant is sent with: its own, or the campaign's. */
export const variantBaseTemplate = (c: Campaign, v: Variant): string | undefined => v.template ?? c.template;

/** The SES template a variant is sent as: `<template>--<variant>` when it has its own subject. */
export function variantTemplateName(c: Campaign, v: Variant): string | undefined {
  const base = variantBaseTemplate(c, v);
  return base !== undefined && v.subject ? `${base}--${v.name}` : base;
}

/** The variant as a template of its own: the base template's parts with the variant's subject. */
export function variantTemplate(
  c: Campaign,
  v: Variant,
  templates: ReadonlyMap<string, Template>,
): Template | undefined {
  const base = templates.get(variantBaseTemplate(c, v) ?? "");
  if (!base) return undefined;
  if (!v.subject) return base;
  return {
    ...base,
    name: variantTemplateName(c, v) as string,
    adopt: false,
    parts: { ...base.parts, subject: v.subject },
  };
}

/** The variant as a campaign of its own: its template, and its data over the campaign's. */
export function variantCampaign(c: Campaign, v: Variant): Campaign {
  const template = variantTemplateName(c, v);
  return { ...c, ...(template ? { template } : {}), data: { ...c.data, ...v.data } };
}

/** Every variant with its own subject as the SES template it is applied as, once per name. */
export function variantTemplates(project: {
  campaigns: ReadonlyMap<string, Campaign>;
  templates: ReadonlyMap<string, Template>;
}): Template[] {
  const out = new Map<string, Template>();
  for (const c of project.campaigns.values()) {
    for (const v of c.variants?.list ?? []) {
      if (!v.subject) continue;
      const t = variantTemplate(c, v, project.templates);
      if (t && !out.has(t.name) && !project.templates.has(t.name)) out.set(t.name, t);
    }
  }
  return [...out.values()];
}

/** The message tag (and CloudWatch dimension) that names a message's variant. */
export const VARIANT_TAG = "variant";

/** What a run promises of its variants (part of its content digest): a change mid-run is refused. */
export function variantsContent(v: Variants): unknown {
  return {
    list: v.list.map((x) => ({
      name: x.name,
      share: x.share,
      subject: x.subject?.source ?? null,
      template: x.template ?? null,
      data: x.data,
    })),
    test: v.test ?? null,
  };
}
