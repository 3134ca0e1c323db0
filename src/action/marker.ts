/**
 * The hidden marker that makes a plan comment sticky. It carries a checksum of the canonical JSON
 * plan (sorted keys, volatile fields left out), never of rendered text: a change in wording or
 * whitespace of the comment must not read as a different plan.
 */
import { createHash } from "node:crypto";
import type { Plan } from "../plan/plan.js";
import { canonicalJson } from "../plan/resource.js";

const PREFIX = "<!-- mailops:plan-comment ";
const SUFFIX = " -->";

/** `live`: planned against the target's live state; `desired-only`: a fork PR, no live state read. */
type PlanMode = "live" | "desired-only";

export interface MarkerData {
  v: 1;
  /** sha256 of the canonical plan, or `none` when there is no plan (validation failed). */
  checksum: string;
  mode: PlanMode;
  /** The commit the plan was made for. */
  sha: string;
}

/**
 * What a reviewer approves: the changes with before/after, conflicts, blocks and forgotten
 * resources. Left out: `createdAt` (time), `liveChecksum` (covers unchanged resources too) and
 * `warnings` (account facts that change nothing in SES).
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
  return createHash("sha256").update(canonicalJson(reviewed)).digest("hex");
}

export function formatMarker(data: MarkerData): string {
  // JSON inside an HTML comment: `--` cannot appear in it (hex digits, fixed words and a sha).
  return `${PREFIX}${JSON.stringify(data)}${SUFFIX}`;
}

export function hasMarker(body: string): boolean {
  return body.startsWith(PREFIX);
}

export function parseMarker(body: string): MarkerData | undefined {
  if (!hasMarker(body)) return undefined;
  const end = body.indexOf(SUFFIX, PREFIX.length);
  if (end < 0) return undefined;
  try {
    const data = JSON.parse(body.slice(PREFIX.length, end)) as Partial<MarkerData>;
    if (data.v !== 1 || typeof data.checksum !== "string" || typeof data.sha !== "string") return undefined;
    return {
      v: 1,
      checksum: data.checksum,
      mode: data.mode === "desired-only" ? "desired-only" : "live",
      sha: data.sha,
    };
  } catch {
    return undefined;
  }
}
