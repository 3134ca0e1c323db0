import type { VariableUse } from "../../render/analyze.js";
import { closest } from "../../util/closest.js";
import { error, warning } from "../findings.js";
import {
  type Campaign,
  type Project,
  type Source,
  type TemplatePart,
  UNSUBSCRIBE_VARIABLE,
} from "../model.js";
import { type LintContext, partPosition, sourcesOf } from "./context.js";

/** Variables mailops itself fills in for every recipient. */
export function builtinVariables(project: Project): string[] {
  const { settings } = project;
  return [
    UNSUBSCRIBE_VARIABLE[settings.unsubscribe.mode],
    ...(settings.sender.postalAddress !== undefined ? ["postal_address"] : []),
  ];
}

/**
 * Every variable a campaign's template uses must be provided for every recipient: SES does not
 * fail the call for a missing one, it drops that recipient's mail (a RenderingFailure event).
 */
export function checkVariables({ project, report }: LintContext): void {
  const builtins = builtinVariables(project);
  for (const campaign of project.campaigns.values()) {
    const template = campaign.template ? project.templates.get(campaign.template) : undefined;
    if (!template) continue;
    const sources = sourcesOf(project, campaign.to);
    if (!sources || sources.length === 0) continue; // unresolved audience is reported by the references rule
    // A source or `data` the schema rejected was only partly read; what it lacks is no news.
    if (sources.some((s) => !s.ok)) continue;
    const rawData = (campaign.doc?.data as Record<string, unknown> | undefined)?.data;
    if (rawData !== undefined && (typeof rawData !== "object" || rawData === null || Array.isArray(rawData)))
      continue;
    const reported = new Set<string>();
    for (const part of Object.values(template.parts)) {
      if (part.analysis.issues.some((i) => i.kind === "syntax")) continue;
      // Inline parts share their YAML file but count lines from their own start; sibling files do not.
      const scope = part.file === template.file ? `${part.file}#${part.part}` : part.file;
      for (const use of part.analysis.variables) {
        const key = `${scope}:${use.line}:${use.col}:${use.name}`;
        if (reported.has(key)) continue;
        reported.add(key);
        checkUse(campaign, sources, builtins, part, use, report);
      }
    }
  }
}

function checkUse(
  campaign: Campaign,
  sources: Source[],
  builtins: string[],
  part: TemplatePart,
  use: VariableUse,
  report: LintContext["report"],
): void {
  if (builtins.includes(use.name)) return;
  // A position may cost a second parse of the YAML file, and the wording strings: work them out
  // only for a finding (most uses have none, and a validate checks tens of thousands).
  const at = () => partPosition(part, use.line, use.col);
  const expr = () => `\`{{${use.written}}}\``;
  const forCampaign = () => `campaign \`${campaign.name}\` (${campaign.file})`;
  // Own keys only: `toString` is not "in" the data for SES, whatever JavaScript objects inherit.
  if (Object.hasOwn(campaign.data, use.name)) {
    const missing = use.path === use.name ? undefined : missingNested(campaign.data, use.path);
    if (missing && !use.guarded) {
      const parent = missing.split(".").slice(0, -1).join(".");
      report(
        error(
          "campaign/unprovided-variable",
          at,
          `${expr()} is not provided for ${forCampaign()}: \`data.${missing}\` is missing`,
          `add \`${missing.split(".").pop()}\` under \`data.${parent}\` in ${campaign.file}`,
        ),
      );
    }
    return;
  }
  if (sources.some((s) => !s.fields.has(use.name))) {
    if (use.guarded) return;
    const lacking = sources.filter((s) => !s.fields.has(use.name));
    const candidates = new Set([
      ...Object.keys(campaign.data),
      ...builtins,
      ...sources.flatMap((s) => [...s.fields.keys()]),
    ]);
    const suggestion = closest(use.name, candidates);
    const provide = `add \`${use.name}\` to the campaign's \`data\` or as a field of ${lacking.map((s) => `subscriber source \`${s.name}\``).join(" and ")}`;
    report(
      error(
        "campaign/unprovided-variable",
        at,
        `${expr()} is not provided for ${forCampaign()}`,
        suggestion ? `did you mean \`${suggestion}\`? Otherwise ${provide}` : provide,
      ),
    );
    return;
  }
  if (use.guarded) return;
  const optional = sources.some((s) => {
    const f = s.fields.get(use.name);
    return f !== undefined && !f.required && !f.hasDefault && f.type !== "email";
  });
  if (optional) {
    report(
      warning(
        "campaign/optional-variable",
        at,
        `${expr()} comes from the optional subscriber field \`${use.name}\`, which some recipients of ${forCampaign()} may lack`,
        `SES drops mail whose data lacks a variable, so mailops skips those recipients; mark the field \`required: true\`, give it a \`default\`, or wrap the use in \`{{#if ${use.name}}}\``,
      ),
    );
  }
}

/** The first segment of `path` below the root that campaign data lacks, or undefined if all present. */
function missingNested(data: Record<string, unknown>, path: string): string | undefined {
  const parts = path.split(".");
  let node: unknown = data;
  for (let i = 0; i < parts.length; i++) {
    if (typeof node !== "object" || node === null) return undefined; // scalars: Handlebars renders what it can
    const key = parts[i] as string;
    if (!Object.hasOwn(node, key)) return parts.slice(0, i + 1).join(".");
    node = (node as Record<string, unknown>)[key];
  }
  return undefined;
}
