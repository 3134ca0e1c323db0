import type { Plan } from "../plan.js";
import { formatPlanMarkdown } from "./markdown.js";
import { formatPlanText } from "./text.js";

export const PLAN_FORMATS = ["text", "markdown", "json"] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

export function formatPlan(plan: Plan, format: PlanFormat): string {
  if (format === "json") return `${JSON.stringify(plan, null, 2)}\n`;
  if (format === "markdown") return formatPlanMarkdown(plan);
  return formatPlanText(plan);
}
