/**
 * The plan is plain data (octoDNS provider/plan.py): ordered changes with before/after and a
 * message each. Building it is pure; printing and applying it live elsewhere.
 */
import { createHash } from "node:crypto";
import type { Inventory } from "./inventory.js";
import { changedFields, KIND_INFO } from "./kinds.js";
import {
  canonicalJson,
  type DesiredResource,
  KINDS,
  type KindName,
  type LiveResource,
  OWNER_TAG,
  resourceKey,
  type Spec,
} from "./resource.js";

export type Action = "create" | "update" | "delete";

export interface Change {
  action: Action;
  kind: KindName;
  name: string;
  /** Normalized live spec (update, delete). */
  before?: Spec;
  /** Desired spec as it will be sent (create, update). */
  after?: Spec;
  /** Fields that differ (update). */
  fields?: string[];
  message: string;
}

/** A resource the plan will not touch, and why. */
export interface Conflict {
  kind: KindName;
  name: string;
  message: string;
  hint: string;
}

export interface Blocked {
  kind: KindName;
  reason: string;
  override: string;
}

export interface Plan {
  version: 1;
  project: string;
  target: string;
  createdAt: string;
  /**
   * sha256 over the live state of the resources this plan changes, as it read them; apply --plan
   * re-reads those and refuses if it moved. (Only those: apply --plan reads nothing else.)
   */
  liveChecksum: string;
  changes: Change[];
  conflicts: Conflict[];
  blocked: Blocked[];
  /** Account-level facts worth a reviewer's attention (sandbox, sending paused, unverified identity). */
  warnings: string[];
  /** Inventory entries whose resource is already gone from the target; apply drops them. */
  vanished: { kind: KindName; name: string }[];
}

export interface PlanInput {
  project: string;
  target: string;
  desired: DesiredResource[];
  /** Live state of every desired or inventoried resource that exists. */
  live: LiveResource[];
  inventory: Inventory;
  maxDeletePercent: number;
  force: boolean;
  warnings: string[];
  now: Date;
}

export function liveChecksum(live: LiveResource[]): string {
  const sorted = [...live]
    .map((r) => ({ key: resourceKey(r), spec: KIND_INFO[r.kind].normalize(r.spec), tags: r.tags }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  return createHash("sha256").update(canonicalJson(sorted)).digest("hex");
}

const kindOrder = (k: KindName) => KIND_INFO[k].order;

export function buildPlan(input: PlanInput): Plan {
  const { project, desired, live, inventory } = input;
  const liveByKey = new Map(live.map((r) => [resourceKey(r), r]));
  const desiredKeys = new Set(desired.map(resourceKey));
  const changes: Change[] = [];
  const conflicts: Conflict[] = [];
  const vanished: Plan["vanished"] = [];

  for (const d of desired) {
    const key = resourceKey(d);
    const label = KIND_INFO[d.kind].label;
    const current = liveByKey.get(key);
    if (!current) {
      const recreated = key in inventory.resources;
      changes.push({
        action: "create",
        kind: d.kind,
        name: d.name,
        after: d.spec,
        message: `create ${label} ${d.name}${recreated ? " (it was deleted outside mailops)" : ""}`,
      });
      continue;
    }
    const owned = key in inventory.resources || current.tags[OWNER_TAG] === project;
    if (!owned && !d.adopt) {
      const ownerTag = current.tags[OWNER_TAG];
      conflicts.push({
        kind: d.kind,
        name: d.name,
        message: `${label} ${d.name} exists and is not managed by mailops${ownerTag ? ` (it belongs to project ${ownerTag})` : ""}`,
        hint:
          d.kind === "template"
            ? "rename the template file, or set `adopt: true` in it to let this project manage the existing template"
            : "set `adopt: true` on it in mailops.yaml to let this project manage it",
      });
      continue;
    }
    const before = KIND_INFO[d.kind].normalize(current.spec);
    const after = KIND_INFO[d.kind].normalize(d.spec);
    const fields = changedFields(before, after);
    if (fields.length > 0) {
      changes.push({
        action: "update",
        kind: d.kind,
        name: d.name,
        before,
        after: d.spec,
        fields,
        message: `update ${label} ${d.name}: ${fields.join(", ")}${owned ? "" : " (adopting it)"}`,
      });
    } else if (!owned) {
      changes.push({
        action: "update",
        kind: d.kind,
        name: d.name,
        before,
        after: d.spec,
        fields: [],
        message: `adopt ${label} ${d.name}`,
      });
    }
  }

  for (const entry of Object.values(inventory.resources)) {
    const key = resourceKey(entry);
    if (desiredKeys.has(key)) continue;
    const current = liveByKey.get(key);
    if (!current) {
      vanished.push({ kind: entry.kind, name: entry.name });
      continue;
    }
    changes.push({
      action: "delete",
      kind: entry.kind,
      name: entry.name,
      before: KIND_INFO[entry.kind].normalize(current.spec),
      message: `delete ${KIND_INFO[entry.kind].label} ${entry.name} (removed from the repository)`,
    });
  }

  changes.sort(
    (a, b) =>
      (a.action === "delete" ? 1 : 0) - (b.action === "delete" ? 1 : 0) ||
      (a.action === "delete"
        ? kindOrder(b.kind) - kindOrder(a.kind)
        : kindOrder(a.kind) - kindOrder(b.kind)) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );

  const touched = new Set(changes.map(resourceKey));
  return {
    version: 1,
    project,
    target: input.target,
    createdAt: input.now.toISOString(),
    liveChecksum: liveChecksum(live.filter((r) => touched.has(resourceKey(r)))),
    changes,
    conflicts,
    blocked: input.force ? [] : deleteGuard(changes, inventory, input.maxDeletePercent),
    warnings: input.warnings,
    vanished,
  };
}

/** Deleting more than `maxPercent` of a kind's managed resources needs --force (octoDNS' safety thresholds). */
function deleteGuard(changes: Change[], inventory: Inventory, maxPercent: number): Blocked[] {
  const blocked: Blocked[] = [];
  for (const kind of KINDS) {
    const managed = Object.values(inventory.resources).filter((e) => e.kind === kind).length;
    const deletes = changes.filter((c) => c.action === "delete" && c.kind === kind).length;
    if (deletes === 0 || managed === 0) continue;
    const percent = (deletes / managed) * 100;
    // A single delete is always allowed: with one or two resources of a kind any delete is "over 30%".
    if (percent > maxPercent && deletes > 1) {
      blocked.push({
        kind,
        reason: `${deletes} of ${managed} managed ${KIND_INFO[kind].label}s would be deleted (${percent.toFixed(0)}% > guardrails.max_delete_percent ${maxPercent}%)`,
        override: "check the deletes are intended, then run `mailops apply --force`",
      });
    }
  }
  return blocked;
}

export function planCounts(plan: Plan): Record<Action, number> {
  const counts: Record<Action, number> = { create: 0, update: 0, delete: 0 };
  for (const c of plan.changes) counts[c.action]++;
  return counts;
}

/**
 * Whether live state differs from the repository: changes, or resources in the way (conflicts).
 * The rule of `plan --detailed-exitcode` and of the pr and drift flows' `has-changes` output.
 */
export const hasChanges = (plan: Plan): boolean => plan.changes.length > 0 || plan.conflicts.length > 0;
