/**
 * Applying a plan: one change at a time in plan order, the inventory written after each, so an
 * interrupted apply leaves a record of exactly what was done and a re-run converges.
 */
import { ApplyRefusedError, MailopsError, TargetError } from "../errors.js";
import { savedPlanRefusal } from "../plan/integrity.js";
import { INVENTORY_KEY, type Inventory, recordApplied, recordDeleted } from "../plan/inventory.js";
import { KIND_INFO } from "../plan/kinds.js";
import type { Change, Plan } from "../plan/plan.js";
import { OWNER_TAG } from "../plan/resource.js";
import { PreconditionFailedError, type Store } from "../store/index.js";
import type { Target } from "../targets/port.js";
import type { InventoryState } from "./plan.js";

export interface ApplyOutcome {
  applied: Change[];
  failed?: { change: Change; error: string; hint?: string };
  notAttempted: Change[];
}

/** Why a plan may not be applied as it stands: a report state for deploy, an error for apply. */
export interface Refusal {
  message: string;
  hint: string;
  /** One line per thing that differs or blocks, when the message is a summary. */
  details: string[];
}

/** What must not be applied: blocked deletes, resources owned by someone else. */
export function applyRefusal(plan: Plan): Refusal | undefined {
  if (plan.blocked.length > 0) {
    return {
      message: `apply refused: ${plan.blocked.map((b) => b.reason).join("; ")}`,
      hint: plan.blocked[0]?.override ?? "",
      details: [],
    };
  }
  if (plan.conflicts.length > 0) {
    return {
      message: `apply refused: ${plan.conflicts.map((c) => c.message).join("; ")}`,
      hint: plan.conflicts[0]?.hint ?? "",
      details: [],
    };
  }
  return undefined;
}

/** A refusal as the error the command line prints: the message, then each detail on its line. */
export function refusalError(r: Refusal): ApplyRefusedError {
  return new ApplyRefusedError(
    [r.message, ...r.details.map((d) => `  - ${d}`)].join("\n"),
    r.hint || undefined,
  );
}

export function assertApplicable(plan: Plan): void {
  const refusal = applyRefusal(plan);
  if (refusal) throw refusalError(refusal);
}

/**
 * A saved plan is applied only if it is what would be applied now: the plan is made again from
 * the repository and the live state, and the file must match it (its live state, its changes).
 * Nothing of the file is written: the caller applies the plan made now.
 */
export function savedPlanCheck(
  file: string,
  saved: Plan,
  now: Plan,
): (Refusal & { reason: "plan-edited" | "live-changed" | "plan-differs" }) | undefined {
  const refusal = savedPlanRefusal(saved, now);
  if (!refusal) return undefined;
  const again = "run `mailops plan --out plan.json` again, review it, and apply the new plan";
  switch (refusal.why) {
    case "edited":
      return {
        reason: "plan-edited",
        message: `${file} was edited after it was written: nothing was applied`,
        hint: again,
        details: refusal.differences,
      };
    case "live":
      return {
        reason: "live-changed",
        message:
          "live state changed since this plan was made: the plan may no longer be right; nothing was applied",
        hint: again,
        details: refusal.differences,
      };
    case "changes":
      return {
        reason: "plan-differs",
        message: `${file} is not the plan of the repository as it is now (the file was edited, or the repository changed since): nothing was applied`,
        hint: again,
        details: refusal.differences,
      };
  }
}

export async function applyPlan(
  plan: Plan,
  target: Target,
  store: Store,
  state: InventoryState,
  options: { project: string; now: () => Date; progress: (line: string) => void },
): Promise<ApplyOutcome> {
  let inventory: Inventory = state.inventory;
  let etag = state.etag;
  if (plan.vanished.length > 0) {
    for (const v of plan.vanished) inventory = recordDeleted(inventory, v);
    etag = await saveInventory(store, inventory, etag);
  }
  const tags = { [OWNER_TAG]: options.project };
  const outcome: ApplyOutcome = { applied: [], notAttempted: [] };
  const changes = plan.changes;
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i] as Change;
    options.progress(`[${i + 1}/${changes.length}] ${change.message}`);
    try {
      await target.apply(change, tags);
    } catch (e) {
      outcome.failed = failure(change, e);
      outcome.notAttempted = changes.slice(i + 1);
      break;
    }
    inventory =
      change.action === "delete"
        ? recordDeleted(inventory, change)
        : recordApplied(
            inventory,
            { kind: change.kind, name: change.name, spec: change.after ?? {} },
            options.now(),
          );
    etag = await saveInventory(store, inventory, etag);
    outcome.applied.push(change);
  }
  return outcome;
}

/**
 * The inventory written over its version `etag` (created when there is none): its new etag.
 * Another run writing it in between refuses this apply.
 */
async function saveInventory(store: Store, inventory: Inventory, etag: string | undefined): Promise<string> {
  try {
    const body = `${JSON.stringify(inventory, null, 2)}\n`;
    if (etag !== undefined) return (await store.put(INVENTORY_KEY, body, { ifMatch: etag })).etag;
    const created = await store.putIfAbsent(INVENTORY_KEY, body);
    if (!created) throw new PreconditionFailedError(INVENTORY_KEY, store.location, "changed");
    return created.etag;
  } catch (e) {
    if (e instanceof PreconditionFailedError) {
      throw new ApplyRefusedError(
        `another mailops run changed the inventory in ${store.location} while this apply was running`,
        "wait for it to finish, then run `mailops plan` again",
      );
    }
    throw e;
  }
}

function failure(change: Change, e: unknown): NonNullable<ApplyOutcome["failed"]> {
  return {
    change,
    error: e instanceof MailopsError || e instanceof Error ? e.message : String(e),
    // The target's advice (fix the template, request a quota) is what the user acts on.
    ...(e instanceof MailopsError && e.hint ? { hint: e.hint } : {}),
  };
}

/** A change as the outcome's text and error name it (a Change, or a report's summary of one). */
export type Named = Pick<Change, "action" | "kind" | "name" | "message">;
export interface OutcomeOf<C extends Named> {
  applied: C[];
  failed?: { change: C; error: string; hint?: string };
  notAttempted: C[];
}

export function failureError(outcome: Pick<OutcomeOf<Named>, "failed">): TargetError | undefined {
  if (!outcome.failed) return undefined;
  const { change, error, hint } = outcome.failed;
  return new TargetError(
    `could not ${change.action} ${KIND_INFO[change.kind].label} ${change.name}: ${error}`,
    hint,
  );
}
