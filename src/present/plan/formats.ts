/** The plan output formats; kept apart from the printers so the CLI can list them without loading them. */
export const PLAN_FORMATS = ["text", "markdown", "json"] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];
