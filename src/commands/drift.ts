/**
 * The drift use case (the Action's daily `drift`): the plan of the session's project against live
 * state, and whether live state drifted from the repository. Drift is what `plan
 * --detailed-exitcode` counts: changes, or resources in the way that mailops does not manage.
 */
import type { Plan } from "../plan/plan.js";
import { planProject } from "./plan.js";
import type { Session } from "./session.js";

export interface DriftReport {
  plan: Plan;
  drifted: boolean;
}

export async function checkDrift(session: Session): Promise<DriftReport> {
  const { plan, changed } = await planProject(session);
  return { plan, drifted: changed };
}
