import type { Finding } from "../findings.js";
import type { Project } from "../model.js";
import { checkCampaigns } from "./campaigns.js";
import { checkCompliance } from "./compliance.js";
import type { Rule } from "./context.js";
import { checkDataSafety } from "./data-safety.js";
import { checkIdentities } from "./identities.js";
import { checkLocalSendAt } from "./local-time.js";
import { checkNames } from "./names.js";
import { checkPostgresSources } from "./postgres.js";
import { checkRecurring } from "./recurring.js";
import { checkReferences } from "./references.js";
import { checkSameDayAudience } from "./schedule.js";
import { checkSegments } from "./segments.js";
import { checkSettings, checkSources } from "./settings.js";
import { checkTemplates } from "./templates.js";
import { checkVariables } from "./variables.js";
import { checkVariants } from "./variants.js";

const RULES: Rule[] = [
  checkNames,
  checkReferences,
  checkSettings,
  checkSources,
  checkPostgresSources,
  checkTemplates,
  checkCompliance,
  checkIdentities,
  checkVariables,
  checkDataSafety,
  checkSegments,
  checkCampaigns,
  checkSameDayAudience,
  checkRecurring,
  checkVariants,
  checkLocalSendAt,
];

/** Cross-file checks over a built model. Pure. */
export function lintProject(project: Project): Finding[] {
  const findings: Finding[] = [];
  const ctx = { project, report: (f: Finding) => findings.push(f) };
  for (const rule of RULES) rule(ctx);
  return findings;
}
