/**
 * A top-level key's position is found in the text without parsing it again (YamlDoc.topLevel):
 * it must be where `yaml` puts it, for every YAML file of the repository and for the forms a
 * quick look could misread.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseYaml, type YamlDoc } from "../../src/config/yaml.js";

const ROOT = path.join(import.meta.dirname, "../..");

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === "node_modules" || name.startsWith(".")) return [];
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(name) ? [p] : [];
  });
}

/** The position `yaml` gives: the doc's positions made first, so the quick look is never taken. */
function slow(file: string, text: string, key: string, part: "key" | "value") {
  const doc = parseYaml(file, text).doc as YamlDoc;
  doc.pos([]);
  return doc.pos([key], part);
}

function quick(file: string, text: string, key: string, part: "key" | "value") {
  return (parseYaml(file, text).doc as YamlDoc).pos([key], part);
}

function keysOf(text: string): string[] {
  return [...text.matchAll(/^([A-Za-z_][\w-]*)[ ]*:/gm)].map((m) => m[1] as string).concat(["absent"]);
}

describe("a top-level key's position without a second parse", () => {
  const files = [
    ...yamlFiles(path.join(ROOT, "test/fixtures")),
    ...["campaigns", "subscribers", "templates"].flatMap((d) => yamlFiles(path.join(ROOT, d))),
    path.join(ROOT, "mailops.yaml"),
  ];

  it("finds the repository's YAML files", () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it("is where yaml puts it, key and value, in every YAML file of the repository", () => {
    let compared = 0;
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      if (!parseYaml(file, text).doc) continue;
      for (const key of keysOf(text)) {
        for (const part of ["key", "value"] as const) {
          expect(quick(file, text, key, part), `${file} ${key} ${part}`).toEqual(slow(file, text, key, part));
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(500);
  });

  it("the document's own position (a finding about the whole file) is where yaml puts it, in every file", () => {
    const cases = [
      "# c\n\n  # indented comment\nname: x\n",
      "\n\nname: x\n",
      "- a\n- b\n",
      "{a: 1}\n",
      '"q": 1\n',
      "# only a comment\n",
      "  name: x\n",
    ];
    let compared = 0;
    for (const [file, text] of [
      ...files.map((f) => [f, readFileSync(f, "utf8")]),
      ...cases.map((t) => ["case.yaml", t]),
    ]) {
      if (!parseYaml(file as string, text as string).doc) continue;
      const doc = () => parseYaml(file as string, text as string).doc as YamlDoc;
      const slowDoc = doc();
      slowDoc.pos(["absent", "nested"]);
      for (const part of ["key", "value"] as const) {
        expect(doc().pos([], part), `${file} ${part}`).toEqual(slowDoc.pos([], part));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(200);
  });

  it.each([
    ["plain", "name: x\nsend_at: 2026-12-01T09:00:00Z\n"],
    ["quoted value", 'send_at: "2026-12-01T09:00:00Z"\n'],
    ["space before the colon", "send_at   :   on-merge\n"],
    ["CRLF", "name: x\r\nsend_at: on-merge\r\n"],
    ["value on the next line", "send_at:\n  on-merge\n"],
    ["a comment, then the value below", "send_at: # when\n  on-merge\n"],
    ["a block scalar", "send_at: |\n  on-merge\n"],
    ["an anchor", "send_at: &a on-merge\n"],
    ["a tag", "send_at: !!str on-merge\n"],
    ["a document marker", "---\nsend_at: on-merge\n"],
    ["a flow mapping", "{send_at: on-merge}\n"],
    ["a quoted key", '"send_at": on-merge\n'],
    ["nested only", "data:\n  send_at: on-merge\n"],
    ["a longer key", "send_at_2: x\nsend_at: on-merge\n"],
    ["a flow value", "send_at: [a, b]\n"],
    ["empty", "send_at:\n"],
  ])("%s", (_, text) => {
    for (const part of ["key", "value"] as const)
      expect(quick("x.yaml", text, "send_at", part)).toEqual(slow("x.yaml", text, "send_at", part));
  });
});
