/**
 * The apply use case: the plan made and applied, as an ApplyReport of plain data (what was applied
 * in order, what failed and why, or why nothing was applied) that `cli/apply.ts` presents. The
 * plan about to be applied, each change as it is made and the warnings are told to the session's
 * observer. The changes themselves are made by `applyPlan` (apply.ts), as deploy makes them.
 */

import type { Change } from "../plan/plan.js";
import { readPlanFile } from "../plan/planfile.js";
import { type ApplyOutcome, applyPlan, applyRefusal, type Refusal, savedPlanCheck } from "./apply.js";
import { lostStateRefusal, stateLostOkWarning } from "./lost-state.js";
import { type InventoryState, makePlan, type Plan } from "./plan.js";
import type { Session } from "./session.js";

export interface ApplyOptions {
  /** A plan written by `plan --out`: applied only if it is still the plan of the repository now. */
  plan?: string;
  force?: boolean;
  /** Apply although the state store appears lost (lost-state.ts): the next send mails everyone again. */
  stateLostOk?: boolean;
}

/** A change as the report names it: no resource bodies, which may be large. */
export interface ChangeSummary {
  action: Change["action"];
  kind: Change["kind"];
  name: string;
  message: string;
}

/**
 * Why nothing was applied: the plan file is another project's or target's (`other-plan`), was
 * edited (`plan-edited`), live state moved since it was made (`live-changed`), it is not the
 * repository's plan now (`plan-differs`); the state store appears lost (`state-lost`); deletes
 * beyond the guardrail (`blocked`); resources someone else owns (`conflict`).
 */
export type ApplyRefusalReason =
  | "other-plan"
  | "plan-edited"
  | "live-changed"
  | "plan-differs"
  | "state-lost"
  | "blocked"
  | "conflict";

export interface ApplyReport {
  /** `applied`: every change made (none when there was nothing to do); `failed`: stopped at one. */
  state: "applied" | "failed" | "refused";
  project: string;
  target: string;
  refused?: Refusal & { reason: ApplyRefusalReason };
  /** Made, in order; each is in the inventory. */
  applied: ChangeSummary[];
  /** The change that failed, and the target's error and advice. */
  failed?: { change: ChangeSummary; error: string; hint?: string };
  /** After a failure, the changes not attempted, in order. */
  notAttempted: ChangeSummary[];
  /** Warnings given while applying (going on past a lost state store). */
  warnings: string[];
}

export const changeSummary = (c: Change): ChangeSummary => ({
  action: c.action,
  kind: c.kind,
  name: c.name,
  message: c.message,
});

/** An apply's outcome as the reports carry it (apply's, deploy's): each change summed up. */
export function outcomeSummary(
  outcome: ApplyOutcome,
): Pick<ApplyReport, "applied" | "failed" | "notAttempted"> {
  return {
    applied: outcome.applied.map(changeSummary),
    ...(outcome.failed
      ? { failed: { ...outcome.failed, change: changeSummary(outcome.failed.change) } }
      : {}),
    notAttempted: outcome.notAttempted.map(changeSummary),
  };
}

/**
 * `plan` applied on the session's target and store, its inventory written after each change,
 * each change told to the observer as `progress` (apply's and deploy's one way to apply).
 */
export async function applyInSession(
  session: Session,
  plan: Plan,
  inventory: InventoryState,
): Promise<ApplyOutcome> {
  return applyPlan(plan, await session.target(), session.store(), inventory, {
    project: session.project.settings.project,
    now: () => new Date(session.clock.now()),
    progress: (line) => session.observe({ kind: "progress", line }),
  });
}

/**
 * Apply the session's project: the plan made now (and, with `options.plan`, compared with the
 * saved one), refused as a whole or applied one change at a time. Told to the observer: the plan
 * (`planned`, unless it is a saved one, reviewed already), each change (`progress`), `warning`s.
 */
export async function applyProject(session: Session, options: ApplyOptions): Promise<ApplyReport> {
  const { project, targetName: name } = session;
  const base = {
    project: project.settings.project,
    target: name,
    applied: [],
    notAttempted: [],
    warnings: [],
  };
  const refused = (reason: ApplyRefusalReason, refusal: Refusal): ApplyReport => ({
    ...base,
    state: "refused",
    refused: { reason, ...refusal },
  });
  const saved = options.plan ? readPlanFile(options.plan) : undefined;
  const other = saved && options.plan ? otherPlan(options.plan, saved, base) : undefined;
  if (other) return refused("other-plan", other);
  // A saved plan is made again and compared: what is applied comes from the repository and the
  // live state as they are now, never from the file, and only if they still make the same plan.
  const { plan, inventory, lost } = await makePlan(session, {
    force: options.force ?? false,
    stateLostOk: options.stateLostOk ?? false,
  });
  // Applying writes the inventory, after which the lost store looks like any other.
  if (lost && !options.stateLostOk) return refused("state-lost", lostStateRefusal(lost));
  if (saved && options.plan) {
    const check = savedPlanCheck(options.plan, saved, plan);
    if (check) return refused(check.reason, check);
  } else {
    session.observe({ kind: "planned", plan });
  }
  const blocked = applyRefusal(plan);
  if (blocked) return refused(plan.blocked.length > 0 ? "blocked" : "conflict", blocked);
  const warnings: string[] = [];
  if (lost) {
    const text = stateLostOkWarning(lost);
    warnings.push(text);
    session.observe({ kind: "warning", text });
  }
  const outcome = await applyInSession(session, plan, inventory);
  return appliedReport(base, outcome, warnings);
}

/** A saved plan made for another project or target, or undefined when it is this one's. */
function otherPlan(
  file: string,
  saved: { project: string; target: string },
  here: { project: string; target: string },
): Refusal | undefined {
  if (saved.project === here.project && saved.target === here.target) return undefined;
  return {
    message: `${file} was made for project ${saved.project} on target ${saved.target}, not ${here.project} on ${here.target}`,
    hint: "make a new plan for this project and target",
    details: [],
  };
}

function appliedReport(
  base: Pick<ApplyReport, "project" | "target">,
  outcome: ApplyOutcome,
  warnings: string[],
): ApplyReport {
  return {
    ...base,
    state: outcome.failed ? "failed" : "applied",
    ...outcomeSummary(outcome),
    warnings,
  };
}
