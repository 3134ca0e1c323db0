import { RESERVED_NAMES } from "../../render/analyze.js";
import { contextRule, isStrict, ruleFor, unsafeAt } from "../../render/value-safety.js";
import { error } from "../findings.js";
import { type Campaign, positionOf } from "../model.js";
import type { PathSegment } from "../yaml.js";
import { type LintContext, partPosition } from "./context.js";

/**
 * What data may contain where the template writes it (docs/data-safety.md): campaign `data` is
 * checked here, once, against every use of it; subscriber values are checked per recipient at send.
 * And no name in the data may reach JavaScript's object machinery.
 */
export function checkDataSafety(ctx: LintContext): void {
  checkReservedNames(ctx);
  checkCampaignData(ctx);
}

function checkCampaignData({ project, report }: LintContext): void {
  for (const campaign of project.campaigns.values()) {
    const template = campaign.template ? project.templates.get(campaign.template) : undefined;
    if (!template || !campaign.doc) continue;
    const reported = new Set<string>();
    for (const part of Object.values(template.parts)) {
      for (const out of part.analysis.outputs) {
        // Uses where nothing is safe are the template's finding (template/variable-context).
        if (out.context === "text" || isStrict(out.context)) continue;
        // A use of no particular variable (`{{#each this}}`) reads every key of the data.
        const first = out.path[0];
        const any = first === undefined || first === "*" || first === "@key";
        // Most uses read a subscriber field, not campaign data: nothing to check.
        if (!any && !Object.hasOwn(campaign.data, first)) continue;
        const roots = any ? Object.keys(campaign.data) : [first];
        const rest = any ? out.path.slice(first === undefined ? 0 : 1) : out.path.slice(1);
        for (const root of roots) {
          if (!Object.hasOwn(campaign.data, root)) continue;
          const trail: PathSegment[] = [root];
          if (!unsafeAt(campaign.data[root], rest, ruleFor(out.context), trail as (string | number)[]))
            continue;
          const { where, rule } = contextRule(out.context);
          const key = `${trail.join(".")}|${where}`;
          if (reported.has(key)) continue;
          reported.add(key);
          const used = partPosition(part, out.line, out.col);
          report(
            error(
              "campaign/unsafe-data",
              positionOf(campaign, ["data", ...trail]),
              `\`data.${trail.join(".")}\` is written ${where} (${used.file}:${used.line}:${used.col}), where ${rule}`,
              "SES inserts values as they are, without escaping: change the value, or write it where it is safe",
            ),
          );
        }
      }
    }
  }
}

function checkReservedNames({ project, report }: LintContext): void {
  for (const campaign of project.campaigns.values()) {
    if (!campaign.doc) continue;
    for (const path of reservedKeys(campaign.data, [])) {
      report(
        error(
          "campaign/reserved-key",
          positionOf(campaign, ["data", ...path], "key"),
          `\`data.${path.join(".")}\`: \`${String(path.at(-1))}\` is a name no data key may have`,
          "it reaches JavaScript's object machinery, not a value; rename it here and in the template",
        ),
      );
    }
  }
  for (const source of project.sources.values()) {
    if (!source.doc) continue;
    for (const name of source.fields.keys()) {
      if (!RESERVED_NAMES.has(name)) continue;
      report(
        error(
          "source/reserved-field",
          positionOf(source, ["fields", name], "key"),
          `\`${name}\` is a name no field may have`,
          "it reaches JavaScript's object machinery, not a value; rename the field (and the column or key in the data file)",
        ),
      );
    }
  }
}

/** Paths (below `data`) of keys named `__proto__`, `constructor` or `prototype`, at any depth. */
function reservedKeys(value: Campaign["data"] | unknown, at: PathSegment[]): PathSegment[][] {
  if (value === null || typeof value !== "object" || at.length > 32) return [];
  const out: PathSegment[][] = [];
  const entries: [PathSegment, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.keys(value).map((k) => [k, (value as Record<string, unknown>)[k]]);
  for (const [key, v] of entries) {
    const path = [...at, key];
    if (typeof key === "string" && RESERVED_NAMES.has(key)) out.push(path);
    else out.push(...reservedKeys(v, path));
  }
  return out;
}
