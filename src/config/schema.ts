import type { ErrorObject, ValidateFunction } from "ajv";
import { didYouMean, listOptions } from "../util/closest.js";
import { error, type Finding } from "./findings.js";
// Precompiled from schemas/ by scripts/gen-validators.mjs (npm test checks it is current).
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
  return collapse(validate.errors ?? []).map((e) => toFinding(e, doc));
}

/** ajv reports `type` once per branch of a union and a failing `$ref` once per level: keep one per place. */
function collapse(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  for (const e of errors) {
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
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
  if (typeof value === "string")
    return `the string "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
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
      return error(
        "schema/missing-key",
        doc.pos(path, "key"),
        `missing required key \`${key}\`${path.length ? ` in ${where}` : ""}`,
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
      const hint = /A-Za-z0-9_-/.test(String((e.params as { pattern: string }).pattern))
        ? "use only letters, digits, `-` and `_`, at most 64 characters"
        : `expected the pattern ${(e.params as { pattern: string }).pattern}`;
      return error(
        "schema/invalid-value",
        doc.pos(path),
        `${where} has an invalid format: ${typeOf(e.data)}`,
        hint,
      );
    }
    case "propertyNames":
      return error("schema/invalid-value", doc.pos(path), `${where} has an invalid key: ${e.message ?? ""}`);
    default:
      return error(
        "schema/invalid-value",
        doc.pos(path),
        `${where} ${e.message ?? "is invalid"}`,
        parent?.description,
      );
  }
}
