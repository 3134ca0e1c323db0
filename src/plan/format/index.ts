import type { Plan } from "../plan.js";
import type { PlanFormat } from "./formats.js";
import { formatPlanMarkdown } from "./markdown.js";
import { formatPlanText } from "./text.js";

export { PLAN_FORMATS, type PlanFormat } from "./formats.js";

export function formatPlan(plan: Plan, format: PlanFormat): string {
  if (format === "json") return `${JSON.stringify(plan, null, 2)}\n`;
  if (format === "markdown") return formatPlanMarkdown(plan);
  return formatPlanText(plan);
}
