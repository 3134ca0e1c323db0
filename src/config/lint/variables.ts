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
    const reported = new Set<string>();
    for (const part of Object.values(template.parts)) {
      if (part.analysis.issues.some((i) => i.kind === "syntax")) continue;
      for (const use of part.analysis.variables) {
        const key = `${part.file}:${use.line}:${use.col}:${use.name}`;
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
  // A position may cost a second parse of the YAML file: work it out only for a finding.
  const place = () => {
    const at = partPosition(part, use.line, use.col);
    return { at, where: `${at.file}:${at.line}` };
  };
  if (use.name in campaign.data) {
    const missing = missingNested(campaign.data, use.path);
    if (missing && !use.guarded) {
      report(
        error(
          "campaign/unprovided-variable",
          place().at,
          `\`{{${use.path}}}\` in ${place().where} is not provided for campaign \`${campaign.name}\`: \`data.${missing}\` is missing`,
          "add it to the campaign's `data`",
        ),
      );
    }
    return;
  }
  const lacking = sources.filter((s) => !s.fields.has(use.name));
  if (lacking.length > 0) {
    if (use.guarded) return;
    const candidates = new Set([
      ...Object.keys(campaign.data),
      ...builtins,
      ...sources.flatMap((s) => [...s.fields.keys()]),
    ]);
    const suggestion = closest(use.name, candidates);
    report(
      error(
        "campaign/unprovided-variable",
        place().at,
        `\`{{${use.path}}}\` in ${place().where} is not provided for campaign \`${campaign.name}\`${suggestion ? ` — did you mean \`${suggestion}\`?` : ""}`,
        `provide it in the campaign's \`data\`, as a field of ${lacking.map((s) => `subscriber source \`${s.name}\``).join(" and ")}, or use a built-in (${builtins.map((b) => `\`${b}\``).join(", ")})`,
      ),
    );
    return;
  }
  if (use.guarded) return;
  const optional = sources
    .map((s) => s.fields.get(use.name))
    .filter((f) => f !== undefined && !f.required && !f.hasDefault && f.type !== "email");
  if (optional.length > 0) {
    report(
      warning(
        "campaign/optional-variable",
        place().at,
        `\`{{${use.path}}}\` in ${place().where} comes from the optional subscriber field \`${use.name}\` for campaign \`${campaign.name}\``,
        `SES silently drops mail whose data lacks a variable, and mailops skips those recipients; mark the field \`required: true\`, give it a \`default\`, or wrap the use in \`{{#if ${use.name}}}\``,
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
    if (!(key in node)) return parts.slice(0, i + 1).join(".");
    node = (node as Record<string, unknown>)[key];
  }
  return undefined;
}
