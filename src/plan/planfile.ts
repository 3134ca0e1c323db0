/**
 * The plan file: what `plan --out` (and the Action's `plan-path`) writes and `apply --plan`
 * reads, the Plan as JSON. A file of another format version is refused with what to do; the
 * shape is checked here, what it means against the plan made at apply time (integrity.ts).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { UsageError } from "../errors.js";
import { PLAN_VERSION, type Plan } from "./plan.js";
import { KINDS } from "./resource.js";

/** The plan as JSON: the plan file, and what `plan --format json` prints. */
export const planJson = (plan: Plan): string => `${JSON.stringify(plan, null, 2)}\n`;

/** The plan file `apply --plan` reads (`plan --out`, the action's `plan-path`): the plan as JSON. */
export function writePlanFile(file: string, plan: Plan): void {
  writeFileSync(file, planJson(plan));
}

export function readPlanFile(file: string): Plan {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UsageError(`cannot read plan file ${file}`, "pass the file written by `mailops plan --out`");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(
      `${file} is not a plan file (not JSON)`,
      "pass the file written by `mailops plan --out`",
    );
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === "number" && version !== PLAN_VERSION) {
    throw new UsageError(
      `${file} is a plan of format ${version}; this mailops reads format ${PLAN_VERSION} only`,
      "make the plan again with this version: `mailops plan --out plan.json`, review it, and apply that",
    );
  }
  if (!isPlan(json)) {
    throw new UsageError(
      `${file} is not a mailops plan (format ${PLAN_VERSION})`,
      "pass the file written by `mailops plan --out`",
    );
  }
  return json;
}

const ACTIONS: readonly unknown[] = ["create", "update", "delete"];
const isSpec = (v: unknown) => v === undefined || (typeof v === "object" && v !== null && !Array.isArray(v));

/** The shape the comparison relies on; what it means is checked against the plan made now. */
function isPlan(v: unknown): v is Plan {
  const p = v as Partial<Plan> | null;
  return (
    typeof p === "object" &&
    p !== null &&
    p.version === PLAN_VERSION &&
    typeof p.project === "string" &&
    typeof p.target === "string" &&
    typeof p.liveChecksum === "string" &&
    typeof p.live === "object" &&
    p.live !== null &&
    Object.values(p.live).every((d) => d === null || typeof d === "string") &&
    Array.isArray(p.changes) &&
    p.changes.every(
      (c) =>
        typeof c === "object" &&
        c !== null &&
        ACTIONS.includes(c.action) &&
        (KINDS as readonly unknown[]).includes(c.kind) &&
        typeof c.name === "string" &&
        isSpec(c.before) &&
        isSpec(c.after),
    )
  );
}
