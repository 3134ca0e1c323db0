import type { Context } from "../../render/html-context.js";
import { error, warning } from "../findings.js";
import { positionOf, type Template, UNSUBSCRIBE_VARIABLE } from "../model.js";
import { type LintContext, partPosition } from "./context.js";

/** SES rejects templates over 500 KB (subject, HTML and text together). */
export const MAX_TEMPLATE_BYTES = 500 * 1024;

const issueRule = {
  syntax: "template/syntax",
  "unsupported-helper": "template/unsupported",
  "unknown-partial": "template/unknown-partial",
  "reserved-name": "template/reserved-variable",
} as const;

const issueHint = {
  syntax: "fix the Handlebars syntax; every `{{#block}}` needs its `{{/block}}`",
  "unsupported-helper":
    "SES supports variables, `if`/`else`, `unless`, `each`, `with` and inline partials only",
  "unknown-partial": 'define it in the same template with `{{#*inline "name"}}…{{/inline}}`',
  "reserved-name":
    "`__proto__`, `constructor` and `prototype` reach JavaScript's object machinery, not your data; rename the variable (and the data key)",
} as const;

/** Where a value can never be made safe, and what to do instead. */
const strictPlaces: Partial<Record<Context, [string, string]>> = {
  script: [
    "inside a script (a `<script>` element or an `on…`/`srcdoc` attribute)",
    "write the value into the HTML outside the script, or compute it into the template",
  ],
  style: [
    "inside CSS (a `<style>` element or a `style` attribute)",
    "pick between fixed styles with `{{#if}}`, or use an attribute such as `bgcolor`/`background`",
  ],
  comment: [
    "inside an HTML comment or `<!…>` declaration",
    "move it out of the comment; an Outlook conditional comment's body (`<!--[if mso]>…<![endif]-->`) is fine",
  ],
  tag: [
    "in a tag or attribute name, or between attributes",
    'substitute values only into element text or an attribute\'s value: `<a title="{{x}}">`',
  ],
  unknown: [
    "after `{{#if}}`/`{{#each}}` branches that leave the HTML in too many different states",
    "close tags and quotes inside the branch that opens them",
  ],
};

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
    checkContexts(t, report);
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

/**
 * A value in a script, CSS, a comment or a tag name cannot be checked into safety (mailops does
 * not escape: SES does not), so no variable may be written there.
 */
function checkContexts(t: Template, report: LintContext["report"]): void {
  const html = t.parts.html;
  if (!html) return;
  const seen = new Set<string>();
  for (const out of html.analysis.outputs) {
    const place = strictPlaces[out.context];
    if (!place) continue;
    const key = `${out.line}:${out.col}`;
    if (seen.has(key)) continue;
    seen.add(key);
    report(
      error(
        "template/variable-context",
        partPosition(html, out.line, out.col),
        `\`{{${out.written}}}\` is ${place[0]}, where mailops cannot make a value safe`,
        place[1],
      ),
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
      if (!v.guarded && !Object.hasOwn(t.sample, v.name) && !builtins.has(v.name)) missing.add(v.name);
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
