/**
 * The hidden marker that makes a plan comment sticky. It carries a checksum of the canonical JSON
 * plan (sorted keys, volatile fields left out), never of rendered text: a change in wording or
 * whitespace of the comment must not read as a different plan.
 */
import { type ChangeFingerprint, isChangeFingerprint, planIdentity } from "../commands/deploy.js";
import type { Plan } from "../commands/plan.js";

const PREFIX = "<!-- mailops:plan-comment ";
const SUFFIX = " -->";

/** `live`: planned against the target's live state; `desired-only`: a fork PR, no live state read. */
type PlanMode = "live" | "desired-only";

export interface MarkerData {
  /** 2 adds `changes`; a version 1 marker (an older mailops) carries the checksum only. */
  v: 1 | 2;
  /** sha256 of the canonical plan, or `none` when there is no plan (validation failed). */
  checksum: string;
  mode: PlanMode;
  /** The commit the plan was made for. */
  sha: string;
  /**
   * Each change's fingerprint, digests cut to DIGEST_CHARS, so deploy can say which change
   * differs from the reviewed plan. Absent when they would not fit in the comment.
   */
  changes?: ChangeFingerprint[];
}

/** Enough to tell changes apart in a report; the full checksum decides whether plans match. */
const DIGEST_CHARS = 12;
/** At most this much of the 65,536-character comment goes to the marker (about 250 changes). */
const MAX_MARKER_CHARS = 24_000;

/** What the marker of a comment on this plan carries. */
export function markerOf(plan: Plan | undefined, mode: PlanMode, sha: string): MarkerData {
  if (!plan) return { v: 2, checksum: "none", mode, sha };
  const identity = planIdentity(plan);
  const changes = identity.changes.map((f) => ({
    ...f,
    before: f.before?.slice(0, DIGEST_CHARS) ?? null,
    after: f.after?.slice(0, DIGEST_CHARS) ?? null,
  }));
  const data: MarkerData = { v: 2, checksum: identity.checksum, mode, sha, changes };
  return formatMarker(data).length <= MAX_MARKER_CHARS ? data : { v: 2, checksum: data.checksum, mode, sha };
}

/** `[action, kind, name, before, after]`, "" for none: a compact form for the comment. */
type Encoded = [string, string, string, string, string];

const encodeChanges = (changes: ChangeFingerprint[]): Encoded[] =>
  changes.map((c) => [c.action, c.kind, c.name, c.before ?? "", c.after ?? ""]);

function decodeChanges(v: unknown): ChangeFingerprint[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: ChangeFingerprint[] = [];
  for (const e of v) {
    if (!Array.isArray(e) || e.length !== 5 || !e.every((x) => typeof x === "string")) return undefined;
    const [action, kind, name, before, after] = e as Encoded;
    const change = { action, kind, name, before: before || null, after: after || null };
    if (!isChangeFingerprint(change)) return undefined;
    out.push(change);
  }
  return out;
}

export function formatMarker(data: MarkerData): string {
  const { changes, ...rest } = data;
  const json = JSON.stringify(changes ? { ...rest, changes: encodeChanges(changes) } : rest);
  // JSON inside an HTML comment: no `--` or `>` in it (resource names may hold `--`). JSON reads
  // the escapes back.
  const safe = json.replace(/[-<>]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return `${PREFIX}${safe}${SUFFIX}`;
}

export function hasMarker(body: string): boolean {
  return body.startsWith(PREFIX);
}

export function parseMarker(body: string): MarkerData | undefined {
  if (!hasMarker(body)) return undefined;
  const end = body.indexOf(SUFFIX, PREFIX.length);
  if (end < 0) return undefined;
  try {
    const data = JSON.parse(body.slice(PREFIX.length, end)) as Partial<Omit<MarkerData, "changes">> & {
      changes?: unknown;
    };
    if ((data.v !== 1 && data.v !== 2) || typeof data.checksum !== "string" || typeof data.sha !== "string")
      return undefined;
    const changes = data.v === 2 ? decodeChanges(data.changes) : undefined;
    return {
      v: data.v,
      checksum: data.checksum,
      mode: data.mode === "desired-only" ? "desired-only" : "live",
      sha: data.sha,
      ...(changes ? { changes } : {}),
    };
  } catch {
    return undefined;
  }
}
