/** What each change shows beyond its message: unified diffs of text fields, old → new for the rest. */
import { createTwoFilesPatch } from "diff";
import { KIND_INFO } from "../kinds.js";
import type { Change } from "../plan.js";
import type { Json } from "../resource.js";

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
      const patch = createTwoFilesPatch(
        `a/${field}`,
        `b/${field}`,
        textOf(b),
        textOf(a),
        undefined,
        undefined,
        { context: 3 },
      );
      // Drop the `===` banner and file headers' trailing tabs: keep what reviewers read.
      out.push({
        kind: "diff",
        field,
        body: patch
          .split("\n")
          .filter((l) => !l.startsWith("===="))
          .join("\n")
          .trimEnd(),
      });
    } else if (change.action === "update") {
      out.push({ kind: "values", field, body: `${field}: ${show(b)} → ${show(a)}` });
    } else {
      out.push({ kind: "values", field, body: `${field}: ${show(change.action === "delete" ? b : a)}` });
    }
  }
  return out;
}

function textOf(v: Json | undefined): string {
  return typeof v === "string" ? (v.endsWith("\n") || v === "" ? v : `${v}\n`) : "";
}

function show(v: Json | undefined): string {
  if (v === undefined || v === null) return "(none)";
  const s = JSON.stringify(v);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
