/**
 * The JSON Schemas in schemas/ on their own, as an editor or CI would use them: every file under
 * test/fixtures/schema/valid must pass its kind's schema and every one under invalid/ must fail it.
 * The kind is the file name's prefix (mailops-, template-, source-, segment-, campaign-); an
 * invalid file's first line, `# fails: <keyword> at <instancePath>`, names the error it must raise.
 * Formats are checked as editors check them (EDITOR_FORMATS), and held to mailops' own checks: an
 * editor never flags a value mailops takes.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseInstant } from "../../src/audience/instant.js";
import { parseSendAt } from "../../src/config/build.js";
import { checkSchema } from "../../src/config/schema.js";
import { parseYaml } from "../../src/config/yaml.js";
import { parseMailbox } from "../../src/util/email.js";

const ROOT = path.join(import.meta.dirname, "../..");
const FIXTURES = path.join(ROOT, "test/fixtures/schema");
const KINDS = ["mailops", "template", "source", "segment", "campaign"] as const;
type Kind = (typeof KINDS)[number];

/**
 * The formats as the YAML and JSON editors check them: the patterns of yaml-language-server
 * (src/languageservice/parser/schemaValidation/baseValidator.ts `formats`), which VS Code's JSON
 * language service shares.
 */
const EDITOR_FORMATS = {
  "date-time":
    /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)([01][0-9]|2[0-3]):([0-5][0-9]))$/i,
  date: /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/i,
  email:
    /^(([^<>()[\]\\.,;:\s@"]+(\.[^<>()[\]\\.,;:\s@"]+)*)|(".+"))@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}])|(([a-zA-Z\-0-9]+\.)+[a-zA-Z]{2,}))$/,
};

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, formats: EDITOR_FORMATS });
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

describe("formats, as an editor checks them", () => {
  const campaign = (extra: object) => ({ template: "t", to: "s", ...extra });
  const project = (from: string) => ({ project: "p", sender: { from, reply_to: [from] } });
  const segment = (before: string) => ({ from: "c", where: { joined: { before, after: before } } });
  const passes = (kind: Kind, data: unknown) => validators[kind](data);

  it.each([
    "on-merge",
    "2026-12-01T09:00:00Z",
    "2026-12-01T09:00Z",
    "2026-12-01T09:00:00.250+01:00",
    "2026-12-01T09:00-05:00",
  ])("send_at %s: mailops takes it, and so does the editor", (value) => {
    expect(parseSendAt(value)).toBeDefined();
    expect(passes("campaign", campaign({ send_at: value }))).toBe(true);
  });

  it.each(["tomorrow", "2026-12-01", "2026-12-01 09:00", "2026-13-01T09:00:00Z", "2026-12-01T09:00:00"])(
    "send_at %s: mailops refuses it, and the editor flags it",
    (value) => {
      expect(parseSendAt(value)).toBeUndefined();
      expect(passes("campaign", campaign({ send_at: value }))).toBe(false);
    },
  );

  it.each([
    "news@example.com",
    "Acme Marketing <marketing@example.com>",
    '"Acme, Inc." <news@example.com>',
    "first.last+tag@mail.example.co.uk",
    "o'brien@example.com",
  ])("from and reply_to %s: mailops takes it, and so does the editor", (value) => {
    expect(parseMailbox(value)).toBeDefined();
    expect(passes("mailops", project(value))).toBe(true);
    expect(passes("campaign", campaign({ from: value, reply_to: [value] }))).toBe(true);
  });

  it.each(["news@", "news at example.com", "news@example", "@example.com"])(
    "from and reply_to %s: mailops refuses it, and the editor flags it",
    (value) => {
      expect(parseMailbox(value)).toBeUndefined();
      expect(passes("mailops", project(value))).toBe(false);
      expect(passes("campaign", campaign({ from: value }))).toBe(false);
    },
  );

  it.each([
    "2026-01-31",
    "2026-01-31T09:00",
    "2026-01-31T09:00:30",
    "2026-01-31T09:00:30.5",
    "2026-01-31T09:00Z",
    "2026-01-31T09:00:30+02:00",
  ])("segment before/after %s: mailops takes it, and so does the editor", (value) => {
    expect(Number.isNaN(parseInstant(value))).toBe(false);
    expect(passes("segment", segment(value))).toBe(true);
  });

  it.each(["last week", "31/01/2026", "2026-1-31", "2026-01-31 09:00"])(
    "segment before/after %s: mailops refuses it, and the editor flags it",
    (value) => {
      expect(Number.isNaN(parseInstant(value))).toBe(true);
      expect(passes("segment", segment(value))).toBe(false);
    },
  );

  it("mailops' own schema check ignores them: its own checks word the error (config/lint)", () => {
    const { doc } = parseYaml("c.yaml", "template: t\nto: s\nsend_at: tomorrow\nfrom: news@\n");
    expect(doc).toBeDefined();
    expect(checkSchema("campaign", doc as NonNullable<typeof doc>)).toEqual([]);
  });
});
