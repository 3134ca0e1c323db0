import type { Plan } from "../../plan/plan.js";
import { planJson } from "../../plan/planfile.js";
import type { PlanFormat } from "./formats.js";
import { formatPlanMarkdown } from "./markdown.js";
import { formatPlanText } from "./text.js";

export { PLAN_FORMATS, type PlanFormat } from "./formats.js";

export function formatPlan(plan: Plan, format: PlanFormat): string {
  if (format === "json") return planJson(plan);
  if (format === "markdown") return formatPlanMarkdown(plan);
  return formatPlanText(plan);
}
