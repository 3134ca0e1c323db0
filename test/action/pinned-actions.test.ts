/**
 * Every action the repository's workflows and action.yml (and any other workflow or action file
 * in it, such as templates it writes) use from outside the repository is pinned to a commit SHA
 * with its release in a comment; .github/dependabot.yml keeps them and the npm packages current.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { unpinned, usesOf } from "../support/pinned-actions.js";

const ROOT = path.join(import.meta.dirname, "../..");
const SKIP = new Set(["node_modules", "dist", ".git", ".mailops", "coverage"]);

/** YAML files of the repository that use actions: workflows (`jobs`) and actions (`runs`). */
function actionFiles(dir = ROOT): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const file = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...actionFiles(file));
    else if (/\.ya?ml$/.test(e.name) && /^\s*(-\s+)?uses:/m.test(readFileSync(file, "utf8"))) out.push(file);
  }
  return out;
}

const rel = (file: string) => path.relative(ROOT, file);

describe("actions from outside the repository", () => {
  const files = actionFiles();

  it("are found in the workflows (the scan sees them)", () => {
    expect(files.map(rel)).toEqual(expect.arrayContaining([".github/workflows/ci.yml"]));
    expect(files.flatMap((f) => usesOf(readFileSync(f, "utf8"))).length).toBeGreaterThan(10);
  });

  it("are each pinned to a full commit SHA, with the release in a comment", () => {
    const problems = files.flatMap((file) =>
      usesOf(readFileSync(file, "utf8")).flatMap((use) => {
        const why = unpinned(use);
        return why ? [`${rel(file)}:${use.line}: ${use.value} must name ${why}`] : [];
      }),
    );
    expect(problems).toEqual([]);
  });

  it("name one commit and one release per action, everywhere", () => {
    const seen = new Map<string, Set<string>>();
    for (const file of files)
      for (const use of usesOf(readFileSync(file, "utf8"))) {
        if (use.value.startsWith("./")) continue;
        const [action] = use.value.split("@");
        seen.set(
          action as string,
          (seen.get(action as string) ?? new Set()).add(`${use.value} ${use.comment}`),
        );
      }
    const mixed = [...seen]
      .filter(([, pins]) => pins.size > 1)
      .map(([a, pins]) => `${a}: ${[...pins].join(", ")}`);
    expect(mixed).toEqual([]);
  });

  it("the check refuses a tag, a branch, a short SHA and a missing comment", () => {
    const sha = "fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09";
    const check = (line: string) => usesOf(`steps:\n  - ${line}\n`).map(unpinned);
    expect(check(`uses: actions/checkout@${sha} # v5.1.0`)).toEqual([undefined]);
    expect(check(`uses: "actions/checkout@${sha}" # v5.1.0`)).toEqual([undefined]);
    expect(check("uses: ./")).toEqual([undefined]);
    expect(check("uses: actions/checkout@v5 # v5.1.0")[0]).toMatch(/commit SHA/);
    expect(check("uses: actions/checkout@main")[0]).toMatch(/commit SHA/);
    expect(check(`uses: actions/checkout@${sha.slice(0, 12)} # v5.1.0`)[0]).toMatch(/commit SHA/);
    expect(check(`uses: actions/checkout@${sha}`)[0]).toMatch(/comment/);
    expect(check(`uses: actions/checkout@${sha} # latest`)[0]).toMatch(/comment/);
    expect(check("uses: docker://alpine:3")[0]).toMatch(/digest/);
  });
});

describe(".github/dependabot.yml", () => {
  const config = parse(readFileSync(path.join(ROOT, ".github/dependabot.yml"), "utf8")) as {
    version: number;
    updates: { "package-ecosystem": string; directory: string; schedule: { interval: string } }[];
  };

  it("updates the npm packages and the actions weekly, from the root (workflows and action.yml)", () => {
    expect(config.version).toBe(2);
    const by = new Map(config.updates.map((u) => [u["package-ecosystem"], u]));
    for (const ecosystem of ["npm", "github-actions"]) {
      expect(by.get(ecosystem)?.directory, ecosystem).toBe("/");
      expect(by.get(ecosystem)?.schedule.interval, ecosystem).toBe("weekly");
    }
  });
});
