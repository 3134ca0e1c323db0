/** What an apply did, as text: the command line's `apply` and `deploy`, the Action's deploy summary. */
import type { Named, OutcomeOf } from "../commands/apply.js";

export function formatOutcome(outcome: OutcomeOf<Named>): string {
  const lines: string[] = [];
  for (const c of outcome.applied) lines.push(`  done   ${c.message}`);
  if (outcome.failed) {
    lines.push(`  FAILED ${outcome.failed.change.message}: ${outcome.failed.error}`);
    for (const c of outcome.notAttempted)
      lines.push(`  skipped ${c.message} (not attempted after the failure)`);
  }
  const n = outcome.applied.length;
  lines.push(
    outcome.failed
      ? `Apply stopped: ${n} applied, 1 failed, ${outcome.notAttempted.length} not attempted. Fix the cause and run apply again; it continues from here.`
      : n === 0
        ? "Nothing to apply."
        : `Apply complete: ${n} change${n === 1 ? "" : "s"} applied.`,
  );
  return `${lines.join("\n")}\n`;
}
