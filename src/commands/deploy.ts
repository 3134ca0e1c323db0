/** `mailops deploy`: what a merge runs. validate → plan → apply → send --due, one summary. */
import { formatPlanText } from "../plan/format/text.js";
import { type ChangeFingerprint, changeDifferences, planChecksum } from "../plan/integrity.js";
import type { Plan } from "../plan/plan.js";
import type { Target } from "../targets/port.js";
import {
  type ApplyOutcome,
  applyPlan,
  applyRefusal,
  failureError,
  formatOutcome,
  type Refusal,
  refusalError,
} from "./apply.js";
import { type Io, type TargetFactory, warn } from "./context.js";
import { lostStateRefusal, stateLostOkWarning } from "./lost-state.js";
import { makePlan } from "./plan.js";
import { type CampaignResult, formatSendResults, parseNow, sendCampaigns, sendFailed } from "./send.js";
import { openSession, type Session } from "./session.js";

export interface DeployOptions {
  dir: string;
  target?: string;
  now?: string;
  force?: boolean;
  /** Go on although the state store appears lost (lost-state.ts): recipients are sent again. */
  stateLostOk?: boolean;
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
  /** Per campaign; empty when the apply failed or was refused. */
  results: CampaignResult[];
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
 * `refused`, as is a failed apply in `outcome`; it throws when sending cannot start (the send lock
 * is held).
 */
export async function deploy(session: Session, options: DeployRunOptions): Promise<DeployResult> {
  const { project, io } = session;
  const { plan, inventory, lost } = await makePlan(session, {
    force: options.force ?? false,
    stateLostOk: options.stateLostOk ?? false,
  });
  const review = options.reviewed ? compareWithReviewed(plan, await options.reviewed()) : undefined;
  const target = await session.target();
  await options.onStep?.({ step: "plan", plan, target, ...(review ? { review } : {}) });
  const none: ApplyOutcome = { applied: [], notAttempted: [] };
  // Checked before apply: apply writes the inventory, after which a lost store looks like any other.
  const refused =
    (lost && !options.stateLostOk ? lostStateRefusal(lost) : undefined) ??
    (project.settings.guardrails.requireReviewedPlan ? unreviewedRefusal(review) : undefined) ??
    applyRefusal(plan);
  if (refused)
    return { plan, ...(review ? { review } : {}), refused, outcome: none, results: [], outboxes: [] };
  if (lost) warn(io, stateLostOkWarning(lost));
  const outcome = await applyPlan(plan, target, session.store(), inventory, {
    project: project.settings.project,
    now: () => new Date(session.clock.now()),
    progress: (line) => io.err(`${line}\n`),
  });
  await options.onStep?.({ step: "apply", outcome });
  if (outcome.failed) return { plan, ...(review ? { review } : {}), outcome, results: [], outboxes: [] };
  const results = await sendCampaigns(session, {
    due: true,
    ...(options.stateLostOk ? { stateLostOk: true } : {}),
  });
  const outboxes = results.flatMap((r) => (r.outbox ? [r.outbox] : []));
  await options.onStep?.({ step: "send", results, outboxes });
  return { plan, ...(review ? { review } : {}), outcome, results, outboxes };
}

export async function runDeploy(options: DeployOptions, io: Io, factory?: TargetFactory): Promise<number> {
  io.err("validate: checking the repository\n");
  const session = openSession({
    dir: options.dir,
    target: options.target,
    io,
    factory,
    ...(options.now ? { now: parseNow(options.now) } : {}),
  });
  const result = await deploy(session, {
    force: options.force ?? false,
    ...(options.stateLostOk ? { stateLostOk: true } : {}),
    // The plan is progress (stderr), printed before apply may refuse it.
    onStep: (s) => {
      if (s.step === "plan") io.err(formatPlanText(s.plan));
    },
  });
  if (result.refused) throw refusalError(result.refused);
  io.out(`apply:\n${formatOutcome(result.outcome)}`);
  const failure = failureError(result.outcome);
  if (failure) throw failure;
  io.out(`send:\n${formatSendResults(result.results)}`);
  if (result.outboxes.length) io.out(`Outbox: ${result.outboxes.join(", ")}\n`);
  return sendFailed(result.results) ? 1 : 0;
}
