import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const pages = ["README.md", ...readdirSync("docs").map((f) => path.join("docs", f))].filter((f) =>
  f.endsWith(".md"),
);

describe("documentation", () => {
  it.each(pages)("%s points only at files that exist", (page) => {
    const text = readFileSync(page, "utf8");
    const targets = new Set<string>();
    // Markdown links, and bare mentions of other pages (`see docs/x.md`).
    for (const m of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) targets.add(m[1] as string);
    for (const m of text.matchAll(/\bdocs\/[\w-]+\.md\b/g)) targets.add(m[0]);
    const missing = [...targets]
      .filter((t) => !/^[a-z]+:/.test(t))
      .filter((t) => !existsSync(path.resolve(path.dirname(page), t)) && !existsSync(t));
    expect(missing).toEqual([]);
  });
});
