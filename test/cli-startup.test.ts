/**
 * What a run loads is part of its cost: `send --dry-run` over files in the repository, on the local
 * target, loads neither the S3 SDK nor the PostgreSQL driver (each loaded when first used:
 * util/s3-client.ts, audience/postgres.ts), nor `yaml` for a finding about a whole file.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyExampleRepo, type ExampleRepo } from "./support/repo.js";

let repo: ExampleRepo;
let cli: string;
let hook: string;

beforeAll(async () => {
  repo = copyExampleRepo();
  // Next to node_modules, so the packages left out of the bundle resolve as they do for dist/cli.js.
  const dir = path.resolve("dist", "startup-test");
  mkdirSync(dir, { recursive: true });
  cli = path.join(dir, "cli.js");
  hook = path.join(dir, "loaded.mjs");
  await build({
    // As scripts/build.mjs builds it: a chunk per dynamic import, each command loading its own.
    entryPoints: { cli: path.resolve("src/bin.ts") },
    outdir: dir,
    splitting: true,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "silent",
  });
  writeFileSync(
    hook,
    `import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
process.on("exit", () => process.stderr.write("LOADED " + JSON.stringify(Object.keys(require.cache)) + "\\n"));
`,
  );
}, 60_000);
afterAll(() => repo.cleanup());

function loaded(...args: string[]): string[] {
  const r = spawnSync(
    process.execPath,
    ["--import", hook, cli, ...args, "--dir", repo.dir, "--target", "local"],
    {
      encoding: "utf8",
    },
  );
  const line = r.stderr.split("\n").find((l) => l.startsWith("LOADED ")) ?? "LOADED []";
  return JSON.parse(line.slice(7)) as string[];
}

describe("a dry run over files on the local target", () => {
  it("loads neither the AWS SDK, nor the PostgreSQL driver, nor yaml", () => {
    const files = loaded("send", "--dry-run", "--campaign", "holiday-promo", "--now", "2026-12-01T09:05:00Z");
    // The run happened: the packages it does need are there.
    expect(files.some((f) => f.includes("/node_modules/handlebars/"))).toBe(true);
    const heavy = files.filter((f) => /\/node_modules\/(@aws-sdk|@smithy|pg|pg-cursor|yaml)\//.test(f));
    expect(heavy).toEqual([]);
  });
});
