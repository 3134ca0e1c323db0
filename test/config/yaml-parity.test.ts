/** The fast path (js-yaml) and the positions path (`yaml`) must read every value the same way. */
import jsYaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { fastParse, parseYaml } from "../../src/config/yaml.js";

const scalars = [
  "1",
  "-1",
  "+1",
  "007",
  "0o17",
  "0x1F",
  "+0x1",
  "-0x1",
  "0b101",
  "1_000",
  "1.5",
  "+.5",
  "-.5",
  ".5",
  "5.",
  "1e3",
  "1E-3",
  "+1e3",
  ".inf",
  "-.Inf",
  "+.INF",
  ".nan",
  ".NaN",
  "true",
  "True",
  "TRUE",
  "yes",
  "no",
  "on",
  "off",
  "null",
  "Null",
  "~",
  "",
  "2026-12-01",
  "2026-12-01T09:00:00Z",
  "0.1.2",
  "1,000",
  "0o8",
  "0xG",
  "'1'",
  '"2"',
  "1:2",
  "=",
  "<<",
];

describe("YAML parser parity", () => {
  it.each(scalars)("reads `v: %s` the same on both paths", (scalar) => {
    const text = `v: ${scalar}\nlist: [${scalar === "" ? "~" : scalar}]\n`;
    const careful = parseDocument(text).toJS();
    expect(fastParse(text)).toEqual(careful);
    expect(parseYaml("f.yaml", text).doc?.data).toEqual(careful);
  });

  it("reports duplicate keys whichever path reads the file", () => {
    expect(() => jsYaml.load("a: 1\na: 2\n")).toThrow();
    expect(parseYaml("f.yaml", "a: 1\na: 2\n").findings[0]?.rule).toBe("yaml/duplicate-key");
  });
});
