/**
 * A/B variants (config/variants.ts): shares that add up, templates that exist, every variant's
 * template given the data it needs (the variables rule, run per variant), and a configuration set
 * that records what picks the winner.
 */
import { error, type Finding } from "../findings.js";
import { type Campaign, type Project, positionOf } from "../model.js";
import {
  VARIANT_TAG,
  type Variants,
  variantCampaign,
  variantTemplate,
  variantTemplateName,
} from "../variants.js";
import type { LintContext } from "./context.js";
import { checkVariables } from "./variables.js";

const EVENT_OF = { click_rate: "click", open_rate: "open" } as const;

export function checkVariants(ctx: LintContext): void {
  const { project, report } = ctx;
  const names = new Map<string, string>();
  for (const c of project.campaigns.values()) {
    if (!c.doc) continue;
    if (!c.variants) {
      if (c.doc.data && typeof c.doc.data === "object" && "test" in (c.doc.data as object))
        report(
          error(
            "campaign/variant-shares",
            positionOf(c, ["test"], "key"),
            `campaign \`${c.name}\` has \`test:\` but no \`variants:\` to test`,
            "add two to five `variants:`, or remove `test:`",
          ),
        );
      continue;
    }
    checkShares(c, c.variants, report);
    checkTemplates(project, c, c.variants, names, report);
    checkData(ctx, c, c.variants);
    checkTracking(project, c, c.variants, report);
  }
}

function checkShares(c: Campaign, variants: Variants, report: (f: Finding) => void): void {
  const seen = new Set<string>();
  for (const v of variants.list) {
    if (seen.has(v.name))
      report(
        error(
          "campaign/variant-shares",
          positionOf(c, [...v.path, "name"]),
          `variant \`${v.name}\` is named twice`,
          "give each variant its own name",
        ),
      );
    seen.add(v.name);
  }
  if (variants.sharesWritten) {
    const missing = variants.list.find((v) => Number.isNaN(v.share));
    const sum = variants.list.reduce((a, v) => a + (Number.isNaN(v.share) ? 0 : v.share), 0);
    if (missing || Math.abs(sum - 100) > 1e-9)
      report(
        error(
          "campaign/variant-shares",
          positionOf(c, missing ? missing.path : ["variants"], "key"),
          missing
            ? `variant \`${missing.name}\` has no \`share\`, while others have one`
            : `the variants' shares add up to ${round(sum)}%, not 100%`,
          "give every variant a share, adding up to 100%, or none for equal shares",
        ),
      );
  }
  const t = variants.test;
  if (t && !(t.share > 0 && t.share < 100))
    report(
      error(
        "campaign/variant-shares",
        positionOf(c, ["test", "share"]),
        `the test share must be more than 0% and less than 100%, found ${Number.isNaN(t.share) ? "none" : `${round(t.share)}%`}`,
        "the test goes to this share of the audience, the winner to the rest: e.g. `share: 20%`",
      ),
    );
}

const round = (n: number) => Math.round(n * 1000) / 1000;

function checkTemplates(
  project: Project,
  c: Campaign,
  variants: Variants,
  names: Map<string, string>,
  report: (f: Finding) => void,
): void {
  for (const v of variants.list) {
    if (v.template !== undefined && !project.templates.has(v.template)) {
      report(
        error(
          "campaign/variant-template",
          positionOf(c, [...v.path, "template"]),
          `variant \`${v.name}\` names template \`${v.template}\`, which does not exist`,
          `templates: ${[...project.templates.keys()].join(", ")}`,
        ),
      );
      continue;
    }
    if (!v.subject) continue;
    const name = variantTemplateName(c, v) as string;
    const subject = v.subject.source;
    const clash = project.templates.has(name)
      ? `a template file of the same name`
      : names.has(name) && names.get(name) !== subject
        ? "another campaign's variant of the same name with another subject"
        : undefined;
    if (clash)
      report(
        error(
          "campaign/variant-template",
          positionOf(c, [...v.path, "name"]),
          `variant \`${v.name}\` is applied as SES template \`${name}\`, which clashes with ${clash}`,
          "rename the variant",
        ),
      );
    names.set(name, subject);
  }
}

/** The variables rule, over each variant as a campaign of its own; what the campaign itself lacks is reported once. */
function checkData(ctx: LintContext, c: Campaign, variants: Variants): void {
  const { project } = ctx;
  const own = new Set<string>();
  const key = (f: Finding) => `${f.file}:${f.line}:${f.col}:${f.message}`;
  checkVariables({
    project: { ...project, campaigns: new Map([[c.name, c]]) },
    report: (f) => own.add(key(f)),
  });
  for (const v of variants.list) {
    const template = variantTemplate(c, v, project.templates);
    if (!template) continue;
    const campaign = variantCampaign(c, v);
    const templates = new Map(project.templates);
    templates.set(template.name, template);
    const sub = { ...project, templates, campaigns: new Map([[c.name, campaign]]) };
    checkVariables({
      project: sub,
      report: (f) => {
        if (own.has(key(f))) return;
        own.add(key(f));
        ctx.report({ ...f, message: `${f.message}, variant \`${v.name}\`` });
      },
    });
  }
}

/** The winner's metric needs its event type published, and a CloudWatch destination by variant. */
function checkTracking(
  project: Project,
  c: Campaign,
  variants: Variants,
  report: (f: Finding) => void,
): void {
  const t = variants.test;
  if (!t) return;
  // A position is asked for only when reported: a deep one parses the file again with `yaml`.
  const at = () => positionOf(c, ["test", "by"]);
  const set = c.configurationSet ? project.settings.configurationSets[c.configurationSet] : undefined;
  if (!set) {
    report(
      error(
        "campaign/variant-tracking",
        at(),
        `\`by: ${t.by}\` needs the campaign's configuration set to record ${EVENT_OF[t.by]}s, and campaign \`${c.name}\` has ${c.configurationSet ? `an unknown one` : "none"}`,
        "give the campaign a `configuration_set:` from mailops.yaml",
      ),
    );
    return;
  }
  const event = EVENT_OF[t.by];
  const tracked = set.events.some((e) => e.enabled && e.types.includes(event));
  const byVariant = set.events.some(
    (e) =>
      e.enabled && e.types.includes(event) && e.cloudwatch?.dimensions[VARIANT_TAG]?.from === "message_tag",
  );
  if (!tracked || !byVariant)
    report(
      error(
        "campaign/variant-tracking",
        at(),
        tracked
          ? `configuration set \`${set.name}\` has no CloudWatch destination with a \`${VARIANT_TAG}\` dimension recording ${event}s, so ${t.by} cannot be read per variant`
          : `\`by: ${t.by}\` needs ${event} tracking, and configuration set \`${set.name}\` records no \`${event}\` events`,
        `add an event destination with \`types: [delivery, ${event}]\` and \`cloudwatch: { dimensions: { campaign: { from: message_tag, default: none }, ${VARIANT_TAG}: { from: message_tag, default: none } } }\` beside the one by campaign (docs/variants.md)`,
      ),
    );
}
