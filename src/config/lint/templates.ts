import { error, warning } from "../findings.js";
import { positionOf, type Template, UNSUBSCRIBE_VARIABLE } from "../model.js";
import { type LintContext, partPosition } from "./context.js";

/** SES rejects templates over 500 KB (subject, HTML and text together). */
export const MAX_TEMPLATE_BYTES = 500 * 1024;

const issueRule = {
  syntax: "template/syntax",
  "unsupported-helper": "template/unsupported",
  "unknown-partial": "template/unknown-partial",
} as const;

const issueHint = {
  syntax: "fix the Handlebars syntax; every `{{#block}}` needs its `{{/block}}`",
  "unsupported-helper":
    "SES supports variables, `if`/`else`, `unless`, `each`, `with` and inline partials only",
  "unknown-partial": 'define it in the same template with `{{#*inline "name"}}…{{/inline}}`',
} as const;

export function checkTemplates({ project, report }: LintContext): void {
  for (const t of project.templates.values()) {
    if (!t.doc) continue;
    for (const part of Object.values(t.parts)) {
      for (const issue of part.analysis.issues) {
        report(
          error(
            issueRule[issue.kind],
            partPosition(part, issue.line, issue.col),
            issue.message,
            issue.hint ?? issueHint[issue.kind],
          ),
        );
      }
    }
    checkSize(t, report);
    checkSubject(t, report);
    if (
      !t.parts.html &&
      !t.parts.text &&
      !("html" in (t.doc.data as object)) &&
      !("text" in (t.doc.data as object))
    ) {
      report(
        error(
          "template/no-body",
          positionOf(t, []),
          "template has neither `html` nor `text`",
          "add `html:` and `text:` (inline, or sibling file names)",
        ),
      );
    } else if (t.parts.html && !t.parts.text && !("text" in (t.doc.data as object))) {
      report(
        warning(
          "template/no-text",
          positionOf(t, ["html"], "key"),
          "template has HTML but no text part",
          "add `text:`; mail without a plain-text part scores worse with spam filters",
        ),
      );
    }
    checkSample(
      t,
      project.settings.unsubscribe.mode,
      project.settings.sender.postalAddress !== undefined,
      report,
    );
  }
}

function checkSize(t: Template, report: LintContext["report"]): void {
  let bytes = 0;
  for (const part of Object.values(t.parts)) bytes += Buffer.byteLength(part.source, "utf8");
  if (bytes > MAX_TEMPLATE_BYTES) {
    report(
      error(
        "template/too-large",
        positionOf(t, []),
        `template is ${Math.ceil(bytes / 1024)} KB; SES allows at most 500 KB`,
        "move images to a web server and link them; shorten inline CSS",
      ),
    );
  }
}

function checkSubject(t: Template, report: LintContext["report"]): void {
  const subject = t.parts.subject;
  if (!subject) return;
  // Positions cost a second parse of the file: take one only for a finding.
  const at = () => positionOf(t, ["subject"]);
  if (subject.source.trim() === "")
    report(error("template/subject", at, "subject is empty", "write a subject line"));
  else if (/[\r\n]/.test(subject.source.trimEnd())) {
    report(
      error(
        "template/subject",
        at,
        "subject spans more than one line",
        "a subject is one line; with `|` YAML keeps the newlines, use `>-` or a plain string",
      ),
    );
  }
}

/** The sample drives previews and plan diffs; a gap there means those cannot render. */
function checkSample(
  t: Template,
  mode: keyof typeof UNSUBSCRIBE_VARIABLE,
  hasPostal: boolean,
  report: LintContext["report"],
): void {
  if (!t.sample) return;
  const builtins = new Set([UNSUBSCRIBE_VARIABLE[mode], ...(hasPostal ? ["postal_address"] : [])]);
  const missing = new Set<string>();
  for (const part of Object.values(t.parts)) {
    for (const v of part.analysis.variables) {
      if (!v.guarded && !(v.name in t.sample) && !builtins.has(v.name)) missing.add(v.name);
    }
  }
  if (missing.size > 0) {
    const names = [...missing].sort();
    report(
      warning(
        "template/sample-incomplete",
        positionOf(t, ["sample"], "key"),
        `sample data has no value for ${names.map((n) => `\`${n}\``).join(", ")}`,
        "previews of this template will show a rendering failure; add the values to `sample`",
      ),
    );
  }
}
