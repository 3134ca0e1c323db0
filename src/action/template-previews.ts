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
  /**
   * One unified diff per rendered part that changed (subject, text, then HTML as markup text),
   * joined; empty when no rendering changed. Unchanged parts are left out.
   */
  diff: string;
  /** The rendered parts that changed, in the order of `diff`. */
  changed: RenderedPart[];
  /** Files written, relative to the preview root. */
  files: string[];
  /** Set when a side could not be rendered (the message says why). */
  error?: string;
}

const PARTS = ["subject", "text", "html"] as const;
type RenderedPart = (typeof PARTS)[number];

function render(spec: Spec, data: Record<string, unknown>): Rendered {
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  return compileTemplate({ subject: text(spec.subject), html: text(spec.html), text: text(spec.text) })(data);
}

/** What a reader sees: the subject, then the text part (or the HTML's text when there is none). */
function readable(r: Rendered): string {
  const body = r.text || r.html.replace(/<[^>]*>/g, "").replace(/\n{3,}/g, "\n\n");
  return `Subject: ${r.subject}\n\n${body.trimEnd()}\n`;
}

/**
 * A rendered part as compared: line endings and trailing whitespace are not content (the plan
 * compares templates so, and SES's copy comes back trimmed), so they make no diff here either.
 */
const lines = (s: string) => {
  const t = s
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")
    .trimEnd();
  return t === "" ? "" : `${t}\n`;
};

/** The unified diff of one rendered part, without the `===` banner. */
function partDiff(name: string, part: RenderedPart, before: string, after: string): string {
  return createTwoFilesPatch(`${name} ${part} (live)`, `${name} ${part} (this PR)`, before, after, "", "", {
    context: 3,
  })
    .split("\n")
    .filter((l) => !l.startsWith("===="))
    .join("\n")
    .trimEnd();
}

export function renderTemplatePreviews(project: Project, plan: Plan, root: string): TemplatePreview[] {
  const out: TemplatePreview[] = [];
  for (const change of plan.changes) {
    if (change.kind !== "template" || change.action === "delete") continue;
    const name = change.name;
    const data = previewData(project, name, project.templates.get(name)?.sample);
    const preview: TemplatePreview = {
      template: name,
      action: change.action,
      diff: "",
      changed: [],
      files: [],
    };
    const dir = path.join(root, "previews", name);
    mkdirSync(dir, { recursive: true });
    const sides: [string, Spec | undefined][] = [
      ["before", change.action === "update" ? change.before : undefined],
      ["after", change.after],
    ];
    const empty: Rendered = { subject: "", html: "", text: "" };
    const rendered: Record<string, Rendered> = { before: empty, after: empty };
    try {
      for (const [side, spec] of sides) {
        if (!spec) continue;
        const r = render(spec, data);
        rendered[side] = r;
        writeFileSync(path.join(dir, `${side}.html`), r.html);
        writeFileSync(path.join(dir, `${side}.txt`), readable(r));
        preview.files.push(`previews/${name}/${side}.html`, `previews/${name}/${side}.txt`);
      }
    } catch (e) {
      preview.error = (e as Error).message;
    }
    const before = rendered.before ?? empty;
    const after = rendered.after ?? empty;
    const diffs: string[] = [];
    for (const part of PARTS) {
      const was = lines(before[part]);
      const is = lines(after[part]);
      if (was === is) continue;
      preview.changed.push(part);
      diffs.push(partDiff(name, part, was, is));
    }
    preview.diff = diffs.join("\n");
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
    `<details><summary>${p.action === "create" ? "New" : "Changed"} template ${code(p.template)}: rendered with its sample data${p.action === "update" && p.changed.length ? ` (${p.changed.join(", ")} changed)` : ""}</summary>`,
    "",
  ];
  if (p.error) lines.push(`Could not render it: ${p.error.replace(/[<>]/g, "")}`, "");
  lines.push(p.diff ? fenced("diff", p.diff) : "The rendered subject, text and HTML are unchanged.");
  lines.push("", `Rendered HTML before and after, to open in a browser: ${where}.`, "", "</details>", "");
  return lines.join("\n");
}
