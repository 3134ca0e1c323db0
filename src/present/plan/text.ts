/** Terraform-like text: `+ ~ -` per change, diffs indented under it, a summary line last. */

import { type Plan, planCounts } from "../../plan/plan.js";
import { changeDetails } from "./details.js";
import { identitiesText } from "./identities.js";

const SIGN = { create: "+", update: "~", delete: "-" } as const;

export function formatPlanText(plan: Plan): string {
  const lines: string[] = [`mailops plan for project ${plan.project} on target ${plan.target}`, ""];
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  if (plan.warnings.length) lines.push("");
  for (const c of plan.changes) {
    lines.push(`  ${SIGN[c.action]} ${c.message}`);
    for (const d of changeDetails(c)) {
      for (const l of d.body.split("\n")) lines.push(`      ${l}`);
    }
  }
  if (plan.changes.length) lines.push("");
  if (plan.identities?.length)
    lines.push("Sender identities:", ...identitiesText(plan.identities, { indent: "  " }), "");
  for (const v of plan.vanished)
    lines.push(`  note: ${v.kind} ${v.name} was deleted outside mailops; it will be forgotten`);
  for (const c of plan.conflicts) {
    lines.push(`  ! ${c.message}`, `      hint: ${c.hint}`);
  }
  for (const b of plan.blocked) lines.push(`  BLOCKED: ${b.reason}`, `      ${b.override}`);
  if (plan.conflicts.length || plan.blocked.length || plan.vanished.length) lines.push("");
  lines.push(summary(plan));
  return `${lines.join("\n")}\n`;
}

export function summary(plan: Plan): string {
  const n = planCounts(plan);
  if (plan.changes.length === 0 && plan.conflicts.length === 0)
    return "No changes. SES and CloudWatch match the repository.";
  const parts = [`${n.create} to create`, `${n.update} to update`, `${n.delete} to delete`];
  let s = `Plan: ${parts.join(", ")}.`;
  if (plan.conflicts.length) s += ` ${plan.conflicts.length} not managed (skipped).`;
  if (plan.blocked.length) s += " Apply is blocked (see above).";
  return s;
}
