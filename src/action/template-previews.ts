/**
 * For each template a plan creates or updates: the rendered text before and after, with the
 * template's sample data, as a diff. The preview use case (commands/preview.ts
 * `previewTemplateChanges`) renders both sides and writes them as files for the artifact.
 */

import { createRequire } from "node:module";
import type { TemplateChangePreview } from "../commands/preview.js";
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
  return twoFilesPatch()(`${name} ${part} (live)`, `${name} ${part} (this PR)`, before, after, "", "", {
    context: 3,
  })
    .split("\n")
    .filter((l) => !l.startsWith("===="))
    .join("\n")
    .trimEnd();
}

/** Each rendered template change as the comment shows it: a diff per part that changed. */
export function templatePreviews(changes: TemplateChangePreview[]): TemplatePreview[] {
  return changes.map((c) => {
    const preview: TemplatePreview = {
      template: c.template,
      action: c.action,
      diff: "",
      changed: [],
      files: c.files,
      ...(c.error !== undefined ? { error: c.error } : {}),
    };
    const diffs: string[] = [];
    for (const part of PARTS) {
      const was = lines(c.before[part]);
      const is = lines(c.after[part]);
      if (was === is) continue;
      preview.changed.push(part);
      diffs.push(partDiff(c.template, part, was, is));
    }
    preview.diff = diffs.join("\n");
    return preview;
  });
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

let loadedPatch: typeof import("diff").createTwoFilesPatch | undefined;

/** `diff` loads when a first diff is made: most runs (a send, a validate) make none. */
function twoFilesPatch(): typeof import("diff").createTwoFilesPatch {
  loadedPatch ??= (createRequire(import.meta.url)("diff") as typeof import("diff")).createTwoFilesPatch;
  return loadedPatch;
}
