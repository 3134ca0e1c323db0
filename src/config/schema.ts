import type { ErrorObject, ValidateFunction } from "ajv";
import { didYouMean, listOptions } from "../util/closest.js";
import { error, excerpt, type Finding } from "./findings.js";
// Precompiled from schemas/ by scripts/gen-validators.mjs (npm test checks it is current), with
// `format` ignored: the schemas state formats for editors; mailops' own checks decide.
import * as validators from "./validators.generated.js";
import type { PathSegment, YamlDoc } from "./yaml.js";

export type FileKind = "project" | "template" | "source" | "segment" | "campaign";

/** The schema file an editor should point at, relative to the repository root. */
export const schemaFile: Record<FileKind, string> = {
  project: "schemas/mailops.schema.json",
  template: "schemas/template.schema.json",
  source: "schemas/source.schema.json",
  segment: "schemas/segment.schema.json",
  campaign: "schemas/campaign.schema.json",
};

const compiled: Record<FileKind, ValidateFunction> = validators;

/** Validate a parsed file against its kind's JSON Schema; every error points at the offending node. */
export function checkSchema(kind: FileKind, doc: YamlDoc): Finding[] {
  const validate = compiled[kind];
  if (validate(doc.data)) return [];
  // A bad key under `propertyNames` is reported once, by its own rule; drop ajv's summary of it.
  // Likewise an `if` whose `then` or `else` failed: the failing keyword is reported itself.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== "propertyNames" && e.keyword !== "if");
  return collapse(errors).map((e) => toFinding(e, doc));
}

/** ajv reports `type` once per branch of a union and a failing `$ref` once per level: keep one per place. */
function collapse(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  for (const e of errors) {
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}|${e.propertyName ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}

function pathOf(instancePath: string): PathSegment[] {
  if (instancePath === "") return [];
  return instancePath
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(path: PathSegment[]): string {
  if (path.length === 0) return "the file";
  return `\`${path
    .map((p) => (typeof p === "number" ? `[${p}]` : p))
    .join(".")
    .replace(/\.\[/g, "[")}\``;
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the string "${excerpt(value)}"`;
  return `${typeof value} ${String(value)}`;
}

const typeNames: Record<string, string> = {
  object: "a mapping",
  array: "a list",
  string: "a string",
  number: "a number",
  integer: "a whole number",
  boolean: "true or false",
};

function toFinding(e: ErrorObject, doc: YamlDoc): Finding {
  const path = pathOf(e.instancePath);
  const where = describe(path);
  const parent = e.parentSchema as { properties?: Record<string, unknown>; description?: string } | undefined;
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const valid = Object.keys(parent?.properties ?? {});
      const suggestion = didYouMean(key, valid);
      return error(
        "schema/unknown-key",
        doc.pos([...path, key], "key"),
        `unknown key \`${key}\`${path.length ? ` in ${where}` : ""}`,
        suggestion ?? (valid.length ? `valid keys: ${listOptions(valid, 20)}` : undefined),
      );
    }
    case "required": {
      const key = String((e.params as { missingProperty: string }).missingProperty);
      const about = (parent?.properties?.[key] as { description?: string } | undefined)?.description;
      return error(
        "schema/missing-key",
        doc.pos(path, "key"),
        `missing required key \`${key}\`${path.length ? ` in ${where}` : ""}`,
        `add \`${key}:\`${about ? ` — ${lowerFirst(about).replace(/\.$/, "")}` : ""}`,
      );
    }
    case "type": {
      const expected = String((e.params as { type: string | string[] }).type)
        .split(",")
        .map((t) => typeNames[t] ?? t);
      return error(
        "schema/wrong-type",
        doc.pos(path),
        `${where} must be ${expected.join(" or ")}, found ${typeOf(e.data)}`,
        e.data === null ? "an empty value is null in YAML; give it a value or remove the key" : undefined,
      );
    }
    case "enum": {
      const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
      const suggestion = typeof e.data === "string" ? didYouMean(e.data, allowed) : undefined;
      return error(
        "schema/invalid-value",
        doc.pos(path),
        `${where} must be one of ${listOptions(allowed)}, found ${typeOf(e.data)}`,
        suggestion,
      );
    }
    case "pattern": {
      const pattern = String((e.params as { pattern: string }).pattern);
      const hint =
        PATTERN_HINTS[pattern] ?? describeHint(parent?.description) ?? `expected the pattern ${pattern}`;
      if (e.propertyName !== undefined) {
        return error(
          "schema/invalid-value",
          doc.pos([...path, e.propertyName], "key"),
          `key \`${e.propertyName}\` in ${where} is not a valid name`,
          hint,
        );
      }
      return error(
        "schema/invalid-value",
        doc.pos(path),
        `${where} has an invalid format: ${typeOf(e.data)}`,
        hint,
      );
    }
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum": {
      const { comparison, limit } = e.params as { comparison: string; limit: number };
      const bound =
        { "<=": "at most", ">=": "at least", "<": "less than", ">": "more than" }[comparison] ?? comparison;
      return error(
        "schema/invalid-value",
        doc.pos(path),
        `${where} must be ${bound} ${limit}, found ${String(e.data)}`,
        describeHint(parent?.description),
      );
    }
    case "minItems":
    case "minProperties": {
      const { limit } = e.params as { limit: number };
      const noun = e.keyword === "minItems" ? "item" : "key";
      return error(
        "schema/invalid-value",
        doc.pos(path),
        limit === 1 ? `${where} must not be empty` : `${where} needs at least ${limit} ${noun}s`,
        describeHint(parent?.description),
      );
    }
    case "maxItems":
    case "maxProperties": {
      const { limit } = e.params as { limit: number };
      const found =
        e.keyword === "maxItems" ? (e.data as unknown[]).length : Object.keys(e.data as object).length;
      const names = Object.keys(e.data as object).map((k) => `\`${k}\``);
      const keys = e.keyword === "maxProperties" ? ` (${names.join(", ")})` : "";
      const noun = e.keyword === "maxItems" ? "item" : "key";
      return error(
        "schema/invalid-value",
        doc.pos(path),
        `${where} may hold at most ${limit} ${noun}${limit === 1 ? "" : "s"}, found ${found}${keys}`,
        describeHint(parent?.description),
      );
    }
    case "uniqueItems": {
      const { i, j } = e.params as { i: number; j: number };
      const later = Math.max(i, j);
      return error(
        "schema/invalid-value",
        doc.pos([...path, later]),
        `${where} lists ${typeOf((e.data as unknown[])[later])} twice`,
        "remove the repeated item",
      );
    }
    default:
      return error(
        "schema/invalid-value",
        doc.pos(path),
        `${where} ${e.message ?? "is invalid"}`,
        describeHint(parent?.description),
      );
  }
}

/** What a value matching each schema pattern looks like. */
const PATTERN_HINTS: Record<string, string> = {
  "^[A-Za-z0-9_-]{1,64}$": "use only letters, digits, `-` and `_`, at most 64 characters",
  "^[0-9]+(s|m|h|d)$": "write a whole number and a unit: `90s`, `30m`, `24h` or `7d`",
  "^[A-Za-z_][A-Za-z0-9_]*$":
    "the name of an environment variable (letters, digits and `_`), such as `CRM_DATABASE_URL`, not the URL itself",
  "^[0-9]+(\\.[0-9]+)?%$": "write a number of rows (`250`) or a share of the rows read (`1%`, `0.5%`)",
  "^arn:aws[a-z-]*:sns:": "an SNS topic ARN, like `arn:aws:sns:us-east-1:123456789012:mailops-events`",
  "^arn:aws[a-z-]*:events:":
    "an EventBridge bus ARN, like `arn:aws:events:us-east-1:123456789012:event-bus/default`",
  "^arn:aws": "an ARN, like `arn:aws:sns:us-east-1:123456789012:alerts`",
};

/** A schema description used as a hint reads like the other hints: lower-case start, no full stop. */
function describeHint(description: string | undefined): string | undefined {
  return description === undefined ? undefined : lowerFirst(description).replace(/\.$/, "");
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
