/** Markdown for pull-request comments: summary table first, details folded, hard size cap. */

import type { Plan } from "../../plan/plan.js";
import { escapeMd, fenced } from "../../util/markdown.js";
import { changeDetails } from "./details.js";
import { identitiesMarkdown } from "./identities.js";
import { summary } from "./text.js";

/** GitHub rejects comments over 65,536 characters; leave room for the caller's header and marker. */
export const MARKDOWN_LIMIT = 60_000;

const ICON = { create: "➕ create", update: "✏️ update", delete: "🗑️ delete" } as const;

/**
 * `header: false` leaves out the title, summary line, warnings and blocked notes, for a caller that
 * prints its own (the GitHub Action's report); the changes table and details remain.
 */
export function formatPlanMarkdown(
  plan: Plan,
  options: { limit?: number; fullPlanAt?: string; header?: boolean } = {},
): string {
  const limit = options.limit ?? MARKDOWN_LIMIT;
  const head: string[] = [];
  if (options.header !== false) {
    head.push(`### mailops plan: \`${plan.project}\` on \`${plan.target}\``, "");
    head.push(`**${summary(plan)}**`, "");
    for (const w of plan.warnings) head.push(`> ⚠️ ${escapeMd(w)}`);
    if (plan.warnings.length) head.push("");
    if (plan.blocked.length) {
      for (const b of plan.blocked)
        head.push(`> ⛔ **Blocked:** ${escapeMd(b.reason)}. ${escapeMd(b.override)}.`);
      head.push("");
    }
  }
  if (plan.changes.length) {
    head.push("| | Kind | Name | Change |", "|---|---|---|---|");
    // The table may take half the budget at most; the rest is for details.
    let used = head.join("\n").length;
    for (let i = 0; i < plan.changes.length; i++) {
      const c = plan.changes[i] as (typeof plan.changes)[number];
      const row = `| ${ICON[c.action]} | ${c.kind} | \`${c.name}\` | ${escapeMd(c.fields?.length ? c.fields.join(", ") : c.action)} |`;
      if (used + row.length > limit / 2) {
        head.push(`| … | | | ${plan.changes.length - i} more changes, see the full plan |`);
        break;
      }
      head.push(row);
      used += row.length + 1;
    }
    head.push("");
  }
  if (plan.identities?.length) head.push(identitiesMarkdown(plan.identities));
  if (plan.vanished.length) {
    head.push(
      `${plan.vanished.length} resource${plan.vanished.length === 1 ? " was" : "s were"} deleted outside mailops and will be forgotten: ${plan.vanished
        .slice(0, 20)
        .map((v) => `\`${v.kind}/${v.name}\``)
        .join(", ")}${plan.vanished.length > 20 ? ", …" : ""}`,
      "",
    );
  }
  if (plan.conflicts.length) {
    head.push("**Not managed by mailops (left untouched):**", "");
    for (const c of plan.conflicts) head.push(`- ${escapeMd(c.message)}: ${escapeMd(c.hint)}`);
    head.push("");
  }
  const out = head.join("\n");
  const sections: string[] = [];
  for (const c of plan.changes) {
    const details = changeDetails(c);
    if (!details.length) continue;
    const body = details
      .map((d) => (d.kind === "diff" ? fenced("diff", d.body) : `\`${escapeCode(d.body)}\``))
      .join("\n\n");
    sections.push(`<details><summary>${escapeMd(c.message)}</summary>\n\n${body}\n\n</details>\n`);
  }
  let text = out;
  const note = (shown: number) =>
    `\n_…truncated: ${sections.length - shown} more change details not shown. See the full plan in ${options.fullPlanAt ?? "the job summary or `mailops plan`"}._\n`;
  for (let i = 0; i < sections.length; i++) {
    const next = `${text}\n${sections[i]}`;
    if (next.length + note(i + 1).length > limit) {
      return `${text}${note(i)}`;
    }
    text = next;
  }
  return text;
}

function escapeCode(s: string): string {
  return s.replace(/`/g, "'");
}
