/** What each change shows beyond its message: unified diffs of text fields, old → new for the rest. */
import { createRequire } from "node:module";
import { KIND_INFO } from "../../plan/kinds.js";
import type { Change } from "../../plan/plan.js";
import type { Json } from "../../plan/resource.js";

const TEXT_FIELDS = new Set(["subject", "html", "text"]);

export interface Detail {
  /** A unified diff (for text fields) or `old → new` lines. */
  kind: "diff" | "values";
  field: string;
  body: string;
}

export function changeDetails(change: Change): Detail[] {
  const info = KIND_INFO[change.kind];
  const before = change.before ?? {};
  const after = change.after ? info.normalize(change.after) : {};
  const shown = change.action === "delete" ? before : after;
  // Creates and deletes list what is set; empty options (null) say nothing to a reviewer.
  const fields =
    change.action === "update"
      ? (change.fields ?? [])
      : info.fields.filter((f) => shown[f] !== undefined && shown[f] !== null);
  const out: Detail[] = [];
  for (const field of fields) {
    const b = before[field];
    const a = after[field];
    if (TEXT_FIELDS.has(field) && change.kind === "template") {
      out.push({ kind: "diff", field, body: patch(field, textOf(b), textOf(a)) });
    } else if (isLong(b) || isLong(a)) {
      // A value too long for one line (a dashboard body) is shown whole, as a diff of its
      // pretty-printed JSON: the difference may be anywhere in it.
      const was = change.action === "create" ? "" : pretty(b);
      const is = change.action === "delete" ? "" : pretty(a);
      out.push({ kind: "diff", field, body: patch(field, was, is) });
    } else if (change.action === "update") {
      out.push({ kind: "values", field, body: `${field}: ${show(b)} → ${show(a)}` });
    } else {
      out.push({ kind: "values", field, body: `${field}: ${show(change.action === "delete" ? b : a)}` });
    }
  }
  return out;
}

/** A unified diff of one field, without the `===` banner reviewers do not read. */
function patch(field: string, before: string, after: string): string {
  return twoFilesPatch()(`a/${field}`, `b/${field}`, before, after, undefined, undefined, {
    context: 3,
  })
    .split("\n")
    .filter((l) => !l.startsWith("===="))
    .join("\n")
    .trimEnd();
}

/** Longer than this on one line, a value is shown as a diff of its pretty-printed form. */
const INLINE_MAX = 200;

const isLong = (v: Json | undefined): boolean =>
  v !== undefined && v !== null && JSON.stringify(v).length > INLINE_MAX;

function pretty(v: Json | undefined): string {
  if (v === undefined || v === null) return "";
  return textOf(typeof v === "string" ? v : JSON.stringify(v, null, 2));
}

function textOf(v: Json | undefined): string {
  return typeof v === "string" ? (v.endsWith("\n") || v === "" ? v : `${v}\n`) : "";
}

/** A short value on one line (long ones are diffs, above): never cut. */
function show(v: Json | undefined): string {
  if (v === undefined || v === null) return "(none)";
  return JSON.stringify(v);
}

let loadedPatch: typeof import("diff").createTwoFilesPatch | undefined;

/** `diff` loads when a first diff is made: most runs (a send, a validate) make none. */
function twoFilesPatch(): typeof import("diff").createTwoFilesPatch {
  loadedPatch ??= (createRequire(import.meta.url)("diff") as typeof import("diff")).createTwoFilesPatch;
  return loadedPatch;
}
