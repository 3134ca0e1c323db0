/**
 * The JSON Schemas in schemas/ on their own, as an editor or CI would use them: every file under
 * test/fixtures/schema/valid must pass its kind's schema and every one under invalid/ must fail it.
 * The kind is the file name's prefix (mailops-, template-, source-, segment-, campaign-); an
 * invalid file's first line, `# fails: <keyword> at <instancePath>`, names the error it must raise.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = path.join(import.meta.dirname, "../..");
const FIXTURES = path.join(ROOT, "test/fixtures/schema");
const KINDS = ["mailops", "template", "source", "segment", "campaign"] as const;
type Kind = (typeof KINDS)[number];

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
const validators = Object.fromEntries(
  KINDS.map((k) => [
    k,
    ajv.compile(JSON.parse(readFileSync(path.join(ROOT, `schemas/${k}.schema.json`), "utf8"))),
  ]),
) as Record<Kind, ValidateFunction>;

const kindOf = (file: string): Kind => {
  const kind = KINDS.find((k) => path.basename(file).startsWith(`${k}-`));
  if (!kind) throw new Error(`${file}: name it <kind>-<what>.yaml with kind one of ${KINDS.join(", ")}`);
  return kind;
};
const load = (file: string): unknown => parse(readFileSync(file, "utf8"));
const yamlIn = (dir: string) =>
  readdirSync(path.join(FIXTURES, dir))
    .filter((f) => f.endsWith(".yaml"))
    .sort();

describe("schema fixtures", () => {
  it("cover every kind, valid and invalid", () => {
    for (const dir of ["valid", "invalid"]) {
      expect(new Set(yamlIn(dir).map(kindOf))).toEqual(new Set(KINDS));
    }
  });

  it.each(yamlIn("valid"))("valid/%s passes its schema", (name) => {
    const validate = validators[kindOf(name)];
    validate(load(path.join(FIXTURES, "valid", name)));
    expect(validate.errors ?? []).toEqual([]);
  });

  // Each invalid file's first line says why it must fail, so it cannot pass by failing for another reason.
  it.each(yamlIn("invalid"))("invalid/%s fails its schema for the stated reason", (name) => {
    const file = path.join(FIXTURES, "invalid", name);
    const stated = /^# fails: (\w+) at (\S+)$/m.exec(readFileSync(file, "utf8"));
    expect(stated, "first line: # fails: <keyword> at <instancePath>").not.toBeNull();
    const validate = validators[kindOf(name)];
    expect(validate(load(file))).toBe(false);
    const found = (validate.errors ?? []).map((e) => `${e.keyword} at ${e.instancePath || "/"}`);
    expect(found).toContain(`${stated?.[1]} at ${stated?.[2]}`);
  });
});

describe("the example repository against the schemas", () => {
  const examples: [string, Kind][] = [
    ["mailops.yaml", "mailops"],
    ...readdirSync(path.join(ROOT, "templates"))
      .filter((f) => f.endsWith(".yaml"))
      .map((f): [string, Kind] => [`templates/${f}`, "template"]),
    ...readdirSync(path.join(ROOT, "subscribers"))
      .filter((f) => f.endsWith(".yaml"))
      .map((f): [string, Kind] => [`subscribers/${f}`, "source"]),
    ...readdirSync(path.join(ROOT, "subscribers/segments"))
      .filter((f) => f.endsWith(".yaml"))
      .map((f): [string, Kind] => [`subscribers/segments/${f}`, "segment"]),
    ...readdirSync(path.join(ROOT, "campaigns"))
      .filter((f) => f.endsWith(".yaml"))
      .map((f): [string, Kind] => [`campaigns/${f}`, "campaign"]),
  ];

  it("has every kind of file", () => {
    expect(new Set(examples.map(([, kind]) => kind))).toEqual(new Set(KINDS));
  });

  it.each(examples)("%s passes the %s schema", (file, kind) => {
    const validate = validators[kind];
    validate(load(path.join(ROOT, file)));
    expect(validate.errors ?? []).toEqual([]);
  });

  it.each(examples)("%s names its schema for the editor", (file, kind) => {
    const first = readFileSync(path.join(ROOT, file), "utf8").split("\n")[0];
    const schema = path.relative(
      path.dirname(path.join(ROOT, file)),
      path.join(ROOT, `schemas/${kind}.schema.json`),
    );
    expect(first).toBe(`# yaml-language-server: $schema=${schema.startsWith(".") ? schema : `./${schema}`}`);
  });
});
