/**
 * The deploy use case: what a merge runs. validate → plan → apply → send --due, one DeployResult;
 * `deployReport` makes it the plain data `cli/deploy.ts` presents.
 */

import { type ChangeFingerprint, changeDifferences, fingerprint, planChecksum } from "../plan/integrity.js";
import { type Action, type Plan, planCounts } from "../plan/plan.js";
import { KINDS } from "../plan/resource.js";
import type { Target } from "../targets/port.js";
import { type ApplyOutcome, applyRefusal, type Refusal } from "./apply.js";
import { applyInSession, type ChangeSummary, outcomeSummary } from "./apply-project.js";
import { lostStateRefusal, stateLostOkWarning } from "./lost-state.js";
import { makePlan } from "./plan.js";
import { type CampaignResult, type HeldLock, sendFailed, sendUnlessLocked } from "./send.js";
import type { Session } from "./session.js";

export type { ChangeFingerprint };

/**
 * What a review knows a plan by (the pull request's plan comment records it in its marker): the
 * checksum of the plan as data, and each change's fingerprint, so that a deploy can say which
 * change differs (compareWithReviewed).
 */
export interface PlanIdentity {
  checksum: string;
  changes: ChangeFingerprint[];
}

export function planIdentity(plan: Plan): PlanIdentity {
  return { checksum: planChecksum(plan), changes: plan.changes.map(fingerprint) };
}

const ACTIONS: readonly string[] = ["create", "update", "delete"] satisfies Action[];

/** A fingerprint read back from a record another run wrote (a comment): one of our actions and kinds. */
export function isChangeFingerprint(c: {
  action: string;
  kind: string;
  name: string;
  before: string | null;
  after: string | null;
}): c is ChangeFingerprint {
  return ACTIONS.includes(c.action) && (KINDS as readonly string[]).includes(c.kind);
}

/**
 * The plan that was reviewed, as the caller found it (the GitHub flow: the merged pull request's
 * plan comment), or why there is none to compare with.
 */
export type ReviewedPlan =
  | { found: true; by: string; checksum: string; changes?: ChangeFingerprint[] }
  | { found: false; why: string };

/** The plan a deploy applies, compared with the reviewed one. */
export type Review =
  | { state: "matches"; by: string }
  | { state: "differs"; by: string; differences: string[] }
  | { state: "none"; why: string };

/** Equal by checksum of the plan as data; when not, what differs, change by change. */
export function compareWithReviewed(plan: Plan, reviewed: ReviewedPlan): Review {
  if (!reviewed.found) return { state: "none", why: reviewed.why };
  const { by } = reviewed;
  if (reviewed.checksum === planChecksum(plan)) return { state: "matches", by };
  const sides = { reviewed: "the reviewed plan", current: "this deploy" };
  const changes = reviewed.changes ? changeDifferences(reviewed.changes, plan.changes, sides) : [];
  const differences = changes.length
    ? changes
    : [
        reviewed.changes
          ? "the changes are the same; what the plan refuses or forgets differs (resources not managed, blocked deletes, resources deleted outside mailops)"
          : "the reviewed plan does not list its changes (too many for its comment, or an older mailops): compare the plan below with it",
      ];
  return { state: "differs", by, differences };
}

/** Each step as it completes, before its result is acted on (a refused plan, a failed apply). */
export type DeployStep =
  | { step: "plan"; plan: Plan; target: Target; review?: Review }
  | { step: "apply"; outcome: ApplyOutcome }
  | { step: "send"; results: CampaignResult[]; outboxes: string[] };

export interface DeployRunOptions {
  force?: boolean;
  /** Go on although the state store appears lost (lost-state.ts): recipients are sent again. */
  stateLostOk?: boolean;
  /** Finds the reviewed plan to compare with; without it, there is none. */
  reviewed?: () => Promise<ReviewedPlan>;
  onStep?: (step: DeployStep) => void | Promise<void>;
}

export interface DeployResult {
  plan: Plan;
  review?: Review;
  /** Set when nothing was applied or sent: why (blocked deletes, conflicts, an unreviewed plan). */
  refused?: Refusal;
  /** When `outcome.failed` is set, nothing was sent: `failureError(outcome)` says why. */
  outcome: ApplyOutcome;
  /** Per campaign; empty when the apply failed or was refused, or the send lock was held. */
  results: CampaignResult[];
  /** Applied, but another run holds the send lock: nothing was sent (what is due stays due). */
  locked?: HeldLock;
  /** The local outbox `index.html` of every campaign this deploy sent (local target only). */
  outboxes: string[];
}

const NO_REVIEW =
  "this deploy was not given a reviewed plan to compare with (on the command line there is no pull request)";

/** guardrails.require_reviewed_plan: anything but the reviewed plan is refused. */
export function unreviewedRefusal(review: Review | undefined): Refusal | undefined {
  const r = review ?? { state: "none", why: NO_REVIEW };
  if (r.state === "matches") return undefined;
  const hint = review
    ? "review the plan as it is now in a pull request (its plan comment shows it), merge that, then deploy; guardrails.require_reviewed_plan is on"
    : "apply a reviewed plan file instead: `mailops plan --out plan.json`, review it, `mailops apply --plan plan.json`, then `mailops send --due`";
  if (r.state === "differs") {
    return {
      message: `deploy refused: the plan differs from the one reviewed on ${r.by} (guardrails.require_reviewed_plan); nothing was applied or sent`,
      hint,
      details: r.differences,
    };
  }
  return {
    message: `deploy refused: there is no reviewed plan to compare with (guardrails.require_reviewed_plan): ${r.why}; nothing was applied or sent`,
    hint,
    details: [],
  };
}

/**
 * Plan, apply, then send what is due, on the session's project, target and store, at its time. A plan that may not be applied
 * (a lost state store without `stateLostOk`: lost-state.ts; blocked, conflicts, not the reviewed
 * one under guardrails.require_reviewed_plan) is returned
 * `refused`, as is a failed apply in `outcome`, and a send lock another run holds in `locked`.
 */
export async function deploy(session: Session, options: DeployRunOptions): Promise<DeployResult> {
  const { project, observe } = session;
  const { plan, inventory, lost } = await makePlan(session, {
    force: options.force ?? false,
    stateLostOk: options.stateLostOk ?? false,
  });
  const review = options.reviewed ? compareWithReviewed(plan, await options.reviewed()) : undefined;
  const target = await session.target();
  observe({ kind: "planned", plan });
  await options.onStep?.({ step: "plan", plan, target, ...(review ? { review } : {}) });
  const none: ApplyOutcome = { applied: [], notAttempted: [] };
  // Checked before apply: apply writes the inventory, after which a lost store looks like any other.
  const refused =
    (lost && !options.stateLostOk ? lostStateRefusal(lost) : undefined) ??
    (project.settings.guardrails.requireReviewedPlan ? unreviewedRefusal(review) : undefined) ??
    applyRefusal(plan);
  if (refused)
    return { plan, ...(review ? { review } : {}), refused, outcome: none, results: [], outboxes: [] };
  if (lost) observe({ kind: "warning", text: stateLostOkWarning(lost) });
  const outcome = await applyInSession(session, plan, inventory);
  await options.onStep?.({ step: "apply", outcome });
  if (outcome.failed) return { plan, ...(review ? { review } : {}), outcome, results: [], outboxes: [] };
  const { results, locked } = await sendUnlessLocked(session, {
    due: true,
    ...(options.stateLostOk ? { stateLostOk: true } : {}),
  });
  if (locked) return { plan, ...(review ? { review } : {}), outcome, results, outboxes: [], locked };
  const outboxes = results.flatMap((r) => (r.outbox ? [r.outbox] : []));
  await options.onStep?.({ step: "send", results, outboxes });
  return { plan, ...(review ? { review } : {}), outcome, results, outboxes };
}

/**
 * A deploy as plain data (`mailops deploy --format json`): the plan summed up (no resource
 * bodies), what was applied, each campaign's send result. No address: counts and states only.
 */
export interface DeployReport {
  /** `refused`: nothing applied or sent; `apply-failed`: stopped at a change, nothing sent; `done`: applied, then sent what was due. */
  state: "done" | "refused" | "apply-failed";
  project: string;
  target: string;
  /** The repository validated without errors (a deploy with errors ends before any report). */
  validate: { files: number; errors: 0 };
  plan: {
    changes: Record<Action, number>;
    conflicts: number;
    blocked: number;
    warnings: string[];
    review?: Review;
  };
  refused?: Refusal;
  apply: {
    applied: ChangeSummary[];
    failed?: { change: ChangeSummary; error: string; hint?: string };
    notAttempted: ChangeSummary[];
  };
  campaigns: CampaignResult[];
  outboxes: string[];
  /** Done, and no campaign refused, stopped or partial: the command exits 0. */
  ok: boolean;
}

export function deployReport(session: Session, result: DeployResult): DeployReport {
  const { project } = session;
  const { plan, outcome } = result;
  const state = result.refused ? "refused" : outcome.failed ? "apply-failed" : "done";
  return {
    state,
    project: project.settings.project,
    target: plan.target,
    validate: { files: project.fileCount, errors: 0 },
    plan: {
      changes: planCounts(plan),
      conflicts: plan.conflicts.length,
      blocked: plan.blocked.length,
      warnings: plan.warnings,
      ...(result.review ? { review: result.review } : {}),
    },
    ...(result.refused ? { refused: result.refused } : {}),
    apply: outcomeSummary(outcome),
    campaigns: result.results,
    outboxes: result.outboxes,
    ok: state === "done" && !sendFailed(result.results),
  };
}
