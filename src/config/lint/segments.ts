import { didYouMean, listOptions } from "../../util/closest.js";
import { isEmail } from "../../util/email.js";
import { error, excerpt } from "../findings.js";
import {
  type Condition,
  type FieldType,
  type Operator,
  positionOf,
  type Segment,
  type Source,
} from "../model.js";
import type { LintContext } from "./context.js";

/** Which operators make sense for which field type. `contains` on a list tests membership, on text a substring. */
export const OPERATORS_BY_TYPE: Record<FieldType, readonly Operator[]> = {
  email: ["eq", "ne", "in", "not_in", "contains", "exists", "starts_with", "ends_with"],
  string: ["eq", "ne", "in", "not_in", "contains", "exists", "starts_with", "ends_with"],
  number: ["eq", "ne", "in", "not_in", "exists", "gt", "gte", "lt", "lte"],
  boolean: ["eq", "ne", "exists"],
  date: ["eq", "ne", "exists", "before", "after", "gt", "gte", "lt", "lte"],
  list: ["contains", "exists"],
};

const VALUE_HINT: Record<FieldType, string> = {
  email: 'write the address as text, e.g. `eq: "ann@example.com"`',
  string: 'quote it, e.g. `eq: "5"`: YAML reads an unquoted 5 or true as a number or boolean',
  number: "write the number without quotes, e.g. `gte: 3`",
  boolean: "write `true` or `false` without quotes",
  date: "write an ISO 8601 date, e.g. `2026-01-31`, or a date-time with an offset",
  list: "`contains` takes one item, e.g. `contains: fashion`",
};

const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

export function checkSegments({ project, report }: LintContext): void {
  for (const segment of project.segments.values()) {
    if (!segment.where) continue;
    const source = segment.from ? project.sources.get(segment.from) : undefined;
    walk(segment, source, segment.where, report);
  }
}

function walk(
  segment: Segment,
  source: Source | undefined,
  c: Condition,
  report: LintContext["report"],
): void {
  if (c.kind === "all" || c.kind === "any") {
    if (c.items.length === 0) {
      report(
        error(
          "segment/empty-group",
          positionOf(segment, c.path, "key"),
          `\`${c.kind}\` has no conditions`,
          c.kind === "all"
            ? "an empty `all` matches everyone; list conditions or remove it"
            : "an empty `any` matches no one; list conditions or remove it",
        ),
      );
    }
    for (const item of c.items) walk(segment, source, item, report);
    return;
  }
  if (c.kind === "not") {
    walk(segment, source, c.item, report);
    return;
  }
  // Unknown source: reported by the references rule. A source the schema rejected lost fields.
  if (c.kind !== "field" || !source?.ok) return;
  const field = source.fields.get(c.field);
  if (!field) {
    const known = [...source.fields.keys()];
    report(
      error(
        "segment/unknown-field",
        positionOf(segment, c.path, "key"),
        `field \`${c.field}\` is not declared in subscriber source \`${source.name}\``,
        didYouMean(c.field, [...known, "all", "any", "not"]) ??
          `declare it in ${source.file}, or use one of ${listOptions(known)}`,
      ),
    );
    return;
  }
  for (const test of c.tests) {
    const at = () => positionOf(segment, [...c.path, test.op], "key");
    const allowed = OPERATORS_BY_TYPE[field.type];
    if (!allowed.includes(test.op)) {
      report(
        error(
          "segment/operator-type",
          at,
          `\`${test.op}\` does not apply to \`${c.field}\`, a ${field.type} field`,
          `for a ${field.type} field use ${listOptions(allowed as string[])}`,
        ),
      );
      continue;
    }
    const problem = valueProblem(field.type, test.op, test.value);
    if (problem) {
      report(
        error(
          "segment/invalid-value",
          positionOf(segment, [...c.path, test.op]),
          problem,
          VALUE_HINT[field.type],
        ),
      );
    }
  }
}

/** Every operator's value against the field's declared type: what the audience would compare it with. */
function valueProblem(type: FieldType, op: Operator, value: unknown): string | undefined {
  if (op === "exists") {
    return typeof value === "boolean" ? undefined : `\`exists\` needs true or false, found ${shown(value)}`;
  }
  const values = op === "in" || op === "not_in" ? (Array.isArray(value) ? value : [value]) : [value];
  for (const v of values) {
    const expected = expectedValue(type, op, v);
    if (expected !== undefined)
      return `\`${op}\` on ${type === "email" ? "an" : "a"} ${type} field needs ${expected}, found ${shown(v)}`;
  }
  return undefined;
}

/** What a value should have been, or undefined when it fits. */
function expectedValue(type: FieldType, op: Operator, v: unknown): string | undefined {
  switch (type) {
    case "number":
      return typeof v === "number" && Number.isFinite(v) ? undefined : "a number";
    case "boolean":
      return typeof v === "boolean" ? undefined : "true or false";
    case "date":
      return typeof v === "string" && DATE.test(v) && !Number.isNaN(Date.parse(v))
        ? undefined
        : "a date like 2026-01-31 or 2026-01-31T09:00:00Z";
    case "string":
      return typeof v === "string" ? undefined : "text";
    case "email":
      if (typeof v !== "string") return "text";
      // A whole-address test with something that is not an address matches no one.
      return (op === "eq" || op === "ne" || op === "in" || op === "not_in") && !isEmail(v.trim())
        ? "an email address"
        : undefined;
    case "list":
      // Lists hold text (CSV) or JSON scalars: an item is text or a number.
      return typeof v === "string" || typeof v === "number" ? undefined : "one text or number item";
  }
}

function shown(v: unknown): string {
  return excerpt(JSON.stringify(v) ?? String(v), 60);
}
