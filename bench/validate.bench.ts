/**
 * validate on 1,000 templates + 200 campaigns + 50 segments (docs/performance.md: under 1 s),
 * next to a bare read-and-parse of the same YAML files as the baseline.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseDocument } from "yaml";
import { validateProject } from "../src/commands/validate.js";
import { generateRepo } from "./generate.js";
import { type Figure, median, timeIt } from "./measure.js";

function bareParse(root: string): number {
  let n = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".yaml")) {
        parseDocument(readFileSync(p, "utf8")).toJS();
        n++;
      }
    }
  };
  walk(root);
  return n;
}

export async function benchValidate(): Promise<Figure[]> {
  const root = await mkdtemp(path.join(tmpdir(), "mailops-bench-validate-"));
  try {
    const files = generateRepo(root, { templates: 1000, campaigns: 200, segments: 50 });
    let errors = -1;
    // First run includes module warm-up (schema compile), as a CLI invocation would.
    const cold = timeIt(() => {
      errors = validateProject(root).errors;
    });
    if (errors !== 0) throw new Error(`the generated repository should validate clean, got ${errors} errors`);
    const warm = median(5, () => validateProject(root));
    const baseline = median(5, () => bareParse(root));
    // What a user waits for: a fresh `mailops validate` process, start-up and module loading included.
    const cli = median(3, () => {
      const r = spawnSync(process.execPath, ["bin/mailops.cjs", "validate", "--dir", root], {
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(`mailops validate failed: ${r.stderr}${r.stdout.slice(-500)}`);
    });
    return [
      { name: `validate, ${files} files (first run)`, ms: cold, budgetMs: 1000 },
      { name: "validate (median of 5)", ms: warm, budgetMs: 1000 },
      { name: "`mailops validate` process (median of 3)", ms: cli, budgetMs: 1000 },
      { name: "baseline: read + YAML parse only (median of 5)", ms: baseline },
    ];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
