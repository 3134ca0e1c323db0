/**
 * Validation findings as workflow annotations. GitHub shows about 10 annotations of each kind per
 * step and drops the rest silently, so the first 9 of a kind are shown, and a tenth says how many
 * more there are; the job summary lists every finding.
 */
import * as core from "@actions/core";
import type { Finding, Severity } from "../commands/validate.js";

const ANNOTATIONS_PER_KIND = 10;

const emit: Record<Severity, (message: string, props: core.AnnotationProperties) => void> = {
  error: core.error,
  warning: core.warning,
  info: core.notice,
};

const KIND: Record<Severity, string> = { error: "errors", warning: "warnings", info: "notices" };

/** `findings` with paths from the workspace (`validateStep`), where GitHub places annotations. */
export function annotate(findings: Finding[]): void {
  for (const severity of ["error", "warning", "info"] as const) {
    const of = findings.filter((f) => f.severity === severity);
    const shown = of.length > ANNOTATIONS_PER_KIND ? of.slice(0, ANNOTATIONS_PER_KIND - 1) : of;
    for (const f of shown) {
      emit[severity](f.hint ? `${f.message}\n${f.hint}` : f.message, {
        title: f.rule,
        file: f.file,
        startLine: f.line,
        startColumn: f.col,
      });
    }
    const more = of.length - shown.length;
    if (more > 0) {
      emit[severity](
        `${more} more ${KIND[severity]} not shown as annotations: every finding is in the job summary`,
        {
          title: "mailops validate",
        },
      );
    }
  }
}
