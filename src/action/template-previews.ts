/**
 * For each template a plan creates or updates: the rendered text before and after, with the
 * template's sample data, as a diff; and both renderings as HTML files for the artifact.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createTwoFilesPatch } from "diff";
import type { Project } from "../config/model.js";
import type { Plan } from "../plan/plan.js";
import type { Spec } from "../plan/resource.js";
import { previewData } from "../render/preview-data.js";
import { compileTemplate, type Rendered } from "../render/ses-render.js";
import { fenced } from "../util/markdown.js";
import { code } from "./markdown.js";

export interface TemplatePreview {
  template: string;
  action: "create" | "update";
  /** Unified diff of the rendered subject and text part; empty when the rendering did not change. */
  diff: string;
  /** Files written, relative to the preview root. */
  files: string[];
  /** Set when a side could not be rendered (the message says why). */
  error?: string;
}

function render(spec: Spec, data: Record<string, unknown>): Rendered {
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  return compileTemplate({ subject: text(spec.subject), html: text(spec.html), text: text(spec.text) })(data);
}

/** What a reader sees: the subject, then the text part (or the HTML's text when there is none). */
function readable(r: Rendered): string {
  const body = r.text || r.html.replace(/<[^>]*>/g, "").replace(/\n{3,}/g, "\n\n");
  return `Subject: ${r.subject}\n\n${body.trimEnd()}\n`;
}

export function renderTemplatePreviews(project: Project, plan: Plan, root: string): TemplatePreview[] {
  const out: TemplatePreview[] = [];
  for (const change of plan.changes) {
    if (change.kind !== "template" || change.action === "delete") continue;
    const name = change.name;
    const data = previewData(project, name, project.templates.get(name)?.sample);
    const preview: TemplatePreview = { template: name, action: change.action, diff: "", files: [] };
    const dir = path.join(root, "previews", name);
    mkdirSync(dir, { recursive: true });
    const sides: [string, Spec | undefined][] = [
      ["before", change.action === "update" ? change.before : undefined],
      ["after", change.after],
    ];
    const texts: Record<string, string> = { before: "", after: "" };
    try {
      for (const [side, spec] of sides) {
        if (!spec) continue;
        const r = render(spec, data);
        texts[side] = readable(r);
        writeFileSync(path.join(dir, `${side}.html`), r.html);
        writeFileSync(path.join(dir, `${side}.txt`), texts[side] ?? "");
        preview.files.push(`previews/${name}/${side}.html`, `previews/${name}/${side}.txt`);
      }
    } catch (e) {
      preview.error = (e as Error).message;
    }
    if (texts.before !== texts.after) {
      preview.diff = createTwoFilesPatch(
        `${name} (live)`,
        `${name} (this PR)`,
        texts.before ?? "",
        texts.after ?? "",
        "",
        "",
        {
          context: 3,
        },
      )
        .split("\n")
        .filter((l) => !l.startsWith("===="))
        .join("\n")
        .trimEnd();
    }
    out.push(preview);
  }
  return out;
}

/** One folded section per template; `link` is the artifact page, when the upload worked. */
export function templatePreviewSection(p: TemplatePreview, link: string | undefined): string {
  const where = link
    ? `[rendered HTML](${link}) (\`previews/${p.template}/\` in the artifact)`
    : `\`previews/${p.template}/\` in the job's preview files`;
  const lines = [
    `<details><summary>${p.action === "create" ? "New" : "Changed"} template ${code(p.template)}: rendered with its sample data</summary>`,
    "",
  ];
  if (p.error) lines.push(`Could not render it: ${p.error.replace(/[<>]/g, "")}`, "");
  lines.push(
    p.diff ? fenced("diff", p.diff) : "The rendered subject and text are unchanged (markup or HTML only).",
  );
  lines.push("", `HTML before and after: ${where}.`, "", "</details>", "");
  return lines.join("\n");
}
