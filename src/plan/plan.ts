/**
 * The plan is plain data (octoDNS provider/plan.py): ordered changes with before/after and a
 * message each. Building it is pure; printing and applying it live elsewhere.
 */
import { createHash } from "../util/crypto.js";
import type { IdentityReport } from "./identities.js";
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

/** The plan file format; `apply --plan` reads only this version. */
export const PLAN_VERSION = 2;

export interface Plan {
  version: typeof PLAN_VERSION;
  project: string;
  target: string;
  createdAt: string;
  /**
   * sha256 over the live state of every resource the repository declares or the inventory owns,
   * as the plan read them (changed or not; the rest of the account is not read). `apply --plan`
   * reads them again and refuses the plan if any moved.
   */
  liveChecksum: string;
  /**
   * The same live state per resource read (`kind/name` → digest, null when it did not exist), so
   * a refusal can say which moved. `liveChecksum` is the sha256 of this map.
   */
  live: Record<string, string | null>;
  changes: Change[];
  conflicts: Conflict[];
  blocked: Blocked[];
  /** Account-level facts worth a reviewer's attention (sandbox, sending paused, unverified identity). */
  warnings: string[];
  /** Inventory entries whose resource is already gone from the target; apply drops them. */
  vanished: { kind: KindName; name: string }[];
  /**
   * Each declared sender identity's verification and the DNS records it still needs (identities.ts):
   * facts for the reviewer, like warnings, never part of what is applied. Absent without identities.
   */
  identities?: IdentityReport[];
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

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * Per resource read (every desired or inventoried one), a digest of its live spec (normalized)
 * and tags, or null when it does not exist: what a stale-plan check compares.
 */
export function liveDigests(
  read: Iterable<{ kind: KindName; name: string }>,
  live: LiveResource[],
): Record<string, string | null> {
  const byKey = new Map(live.map((r) => [resourceKey(r), r]));
  const out: Record<string, string | null> = {};
  for (const key of [...new Set([...read].map(resourceKey))].sort()) {
    const r = byKey.get(key);
    out[key] = r ? sha256(canonicalJson({ spec: KIND_INFO[r.kind].normalize(r.spec), tags: r.tags })) : null;
  }
  return out;
}

export const liveChecksum = (digests: Plan["live"]): string => sha256(canonicalJson(digests));

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

  const liveState = liveDigests([...desired, ...Object.values(inventory.resources)], live);
  return {
    version: PLAN_VERSION,
    project,
    target: input.target,
    createdAt: input.now.toISOString(),
    liveChecksum: liveChecksum(liveState),
    live: liveState,
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
    // Exactly the percentage allowed passes; compared without division, so 7 of 100 is 7%, not
    // 7.000000000000001%. A single delete is always allowed: with one or two resources of a kind
    // any delete is "over 30%".
    if (deletes * 100 > maxPercent * managed && deletes > 1) {
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
