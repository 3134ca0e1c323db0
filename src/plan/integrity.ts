/**
 * Whether a plan about to be applied is the one that was reviewed. Changes are compared as
 * canonical data (kind, name, action, digests of before and after), never as text; live state is
 * compared per resource. Pure: `apply --plan` and deploy decide what a difference means.
 */
import { createHash } from "../util/crypto.js";
import { KIND_INFO } from "./kinds.js";
import { type Action, type Change, liveChecksum, type Plan } from "./plan.js";
import { canonicalJson, KINDS, type KindName, resourceKey, type Spec } from "./resource.js";

export interface ChangeFingerprint {
  action: Action;
  kind: KindName;
  name: string;
  /** sha256 (hex, possibly cut short) of the canonical before / after spec; null when absent. */
  before: string | null;
  after: string | null;
}

/** A change with its specs: differences can then name the fields. */
type Comparable = ChangeFingerprint | Change;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Over the spec exactly as it would be written (not normalized): any byte a reviewer saw counts. */
const digestOf = (spec: Spec | undefined): string | null =>
  spec === undefined ? null : sha256(canonicalJson(spec));

export function fingerprint(c: Change): ChangeFingerprint {
  return {
    action: c.action,
    kind: c.kind,
    name: c.name,
    before: digestOf(c.before),
    after: digestOf(c.after),
  };
}

/**
 * The checksum of a plan as reviewed (the pull-request comment's marker carries it). What a
 * reviewer approves: the changes with before/after, conflicts, blocks and forgotten
 * resources. Left out: `createdAt` (time), `liveChecksum` and `live` (they cover unchanged
 * resources too) and `warnings` (account facts that change nothing in SES).
 */
export function planChecksum(plan: Plan): string {
  const reviewed = {
    version: plan.version,
    project: plan.project,
    target: plan.target,
    changes: plan.changes,
    conflicts: plan.conflicts,
    blocked: plan.blocked,
    vanished: plan.vanished,
  };
  return sha256(canonicalJson(reviewed));
}

/** How the two sides are named in messages: "the plan file" / "the repository". */
export interface Sides {
  reviewed: string;
  current: string;
}

const isChange = (c: Comparable): c is Change => "message" in c;

/** Digests match when one is a prefix of the other (the plan comment carries them cut short). */
function sameDigest(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  const n = Math.min(a.length, b.length);
  return n > 0 && a.slice(0, n) === b.slice(0, n);
}

export function resourceLabel(kind: KindName, name: string): string {
  return `${KIND_INFO[kind].label} \`${name}\``;
}

/** `kind/name` back to a label; names may contain `/` (event destinations). */
function labelOfKey(key: string): string {
  const slash = key.indexOf("/");
  const kind = key.slice(0, slash) as KindName;
  return (KINDS as readonly string[]).includes(kind) ? resourceLabel(kind, key.slice(slash + 1)) : key;
}

/** Top-level fields whose values differ, as written (not normalized). */
function differingFields(a: Spec | undefined, b: Spec | undefined): string[] {
  const x = a ?? {};
  const y = b ?? {};
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  return [...keys].filter((k) => canonicalJson(x[k]) !== canonicalJson(y[k])).sort();
}

/**
 * What differs between the reviewed changes and the current ones, one line per difference, in
 * the current plan's order (then what only the reviewed plan has). Empty when they are the same.
 */
export function changeDifferences(
  reviewed: readonly Comparable[],
  current: readonly Comparable[],
  sides: Sides,
): string[] {
  const out: string[] = [];
  const reviewedByKey = new Map<string, Comparable>();
  for (const c of reviewed) {
    const key = resourceKey(c);
    if (reviewedByKey.has(key))
      out.push(`${resourceLabel(c.kind, c.name)}: ${sides.reviewed} lists it more than once`);
    reviewedByKey.set(key, c);
  }
  const seen = new Set<string>();
  for (const c of current) {
    const key = resourceKey(c);
    seen.add(key);
    const label = resourceLabel(c.kind, c.name);
    const r = reviewedByKey.get(key);
    if (!r) {
      out.push(`${label}: ${sides.current} would ${c.action} it, ${sides.reviewed} would not change it`);
      continue;
    }
    if (r.action !== c.action) {
      out.push(`${label}: ${sides.reviewed} would ${r.action} it, ${sides.current} would ${c.action} it`);
      continue;
    }
    out.push(...specDifferences(label, r, c, sides));
  }
  for (const [key, r] of reviewedByKey) {
    if (!seen.has(key))
      out.push(
        `${resourceLabel(r.kind, r.name)}: ${sides.reviewed} would ${r.action} it, ${sides.current} would not change it`,
      );
  }
  return out;
}

function specDifferences(label: string, r: Comparable, c: Comparable, sides: Sides): string[] {
  const out: string[] = [];
  const rf = isChange(r) ? fingerprint(r) : r;
  const cf = isChange(c) ? fingerprint(c) : c;
  if (!sameDigest(rf.after, cf.after)) {
    if (isChange(r) && isChange(c)) {
      for (const field of differingFields(r.after, c.after))
        out.push(`${label}: ${sides.reviewed}'s ${field} differs from ${sides.current}'s`);
    } else {
      out.push(`${label}: what ${sides.reviewed} writes differs from what ${sides.current} writes`);
    }
  }
  if (!sameDigest(rf.before, cf.before)) {
    if (isChange(r) && isChange(c)) {
      for (const field of differingFields(r.before, c.before))
        out.push(`${label}: the live ${field} differs from what ${sides.reviewed} saw`);
    } else {
      out.push(`${label}: its live state differs from what ${sides.reviewed} saw`);
    }
  }
  return out;
}

/**
 * Which resources moved on the target between two readings. Only resources read both times are
 * compared: one read only once is declared or owned at one time and not the other, a change of
 * the repository or the inventory, which the change comparison reports.
 */
export function liveDifferences(saved: Plan["live"], now: Plan["live"]): string[] {
  const out: string[] = [];
  for (const key of Object.keys(now).sort()) {
    if (!Object.hasOwn(saved, key)) continue;
    const was = saved[key];
    const is = now[key];
    if (was === is) continue;
    const label = labelOfKey(key);
    if (was === null) out.push(`${label} was created on the target`);
    else if (is === null) out.push(`${label} was deleted on the target`);
    else out.push(`${label} was changed on the target`);
  }
  return out;
}

/**
 * Why a saved plan may not be applied now, given the plan recomputed from the repository and the
 * live state: `edited` when the file's live record does not match its own checksum, `live` when
 * the target moved since the plan was made (checked before the changes: it explains most change
 * differences), `changes` when the file's changes are not the recomputed ones.
 */
export function savedPlanRefusal(
  saved: Plan,
  current: Plan,
): { why: "edited" | "live" | "changes"; differences: string[] } | undefined {
  if (liveChecksum(saved.live) !== saved.liveChecksum) {
    return { why: "edited", differences: ["its live state does not match its live checksum"] };
  }
  const live = liveDifferences(saved.live, current.live);
  if (live.length > 0) return { why: "live", differences: live };
  const changes = changeDifferences(saved.changes, current.changes, {
    reviewed: "the plan file",
    current: "the repository",
  });
  return changes.length ? { why: "changes", differences: changes } : undefined;
}
