/**
 * Every rule id the code can emit is exercised by a golden fixture and documented in docs/rules.md
 * with the severity the code gives it; docs/rules.md lists nothing else.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FILE_PROBLEMS } from "../src/config/load.js";

const ROOT = path.join(import.meta.dirname, "..");

function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p, pattern) : pattern.test(name) ? [p] : [];
  });
}

/** Rule ids written as string literals in src/config, plus `file/<problem>` built from FILE_PROBLEMS. */
function rulesInCode(): Set<string> {
  const ids = new Set(Object.keys(FILE_PROBLEMS).map((p) => `file/${p}`));
  for (const file of filesUnder(path.join(ROOT, "src/config"), /\.ts$/)) {
    for (const m of readFileSync(file, "utf8").matchAll(/"([a-z]+(?:-[a-z]+)*\/[a-z]+(?:-[a-z]+)*)"/g)) {
      ids.add(m[1] as string);
    }
  }
  return ids;
}

/** rule → severities seen in the golden reports. */
function rulesInGoldens(): Map<string, Set<string>> {
  const seen = new Map<string, Set<string>>();
  for (const file of filesUnder(path.join(ROOT, "test/fixtures"), /^expected\.txt$/)) {
    for (const m of readFileSync(file, "utf8").matchAll(/^.+?:\d+:\d+ (error|warning|info) (\S+) /gm)) {
      const [, severity, rule] = m as unknown as [string, string, string];
      if (!seen.has(rule)) seen.set(rule, new Set());
      seen.get(rule)?.add(severity);
    }
  }
  return seen;
}

/** rule → severity from the `### \`rule\` (severity)` headings of docs/rules.md. */
function rulesInDocs(): Map<string, string> {
  const doc = readFileSync(path.join(ROOT, "docs/rules.md"), "utf8");
  return new Map(
    [...doc.matchAll(/^### `([^`]+)` \((error|warning|info)\)$/gm)].map((m) => [
      m[1] as string,
      m[2] as string,
    ]),
  );
}

describe("rule ids", () => {
  const code = rulesInCode();
  const goldens = rulesInGoldens();
  const docs = rulesInDocs();

  it("the code emits a sensible number of rules (the scan works)", () => {
    expect(code.size).toBeGreaterThan(40);
  });

  it("every rule the code can emit has a golden fixture", () => {
    expect([...code].filter((r) => !goldens.has(r)).sort()).toEqual([]);
  });

  it("goldens show no rule the code does not define", () => {
    expect([...goldens.keys()].filter((r) => !code.has(r)).sort()).toEqual([]);
  });

  it("docs/rules.md documents exactly the rules the code can emit", () => {
    expect([...docs.keys()].sort()).toEqual([...code].sort());
  });

  it("docs/rules.md gives each rule the severity it is reported with", () => {
    for (const [rule, severities] of goldens) {
      expect([...severities], rule).toEqual([docs.get(rule)]);
    }
  });

  it("the README links to docs/rules.md", () => {
    expect(readFileSync(path.join(ROOT, "README.md"), "utf8")).toContain("(docs/rules.md)");
  });
});
