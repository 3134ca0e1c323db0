/**
 * A large subscriber file counted in two parts, the second in a real worker thread, through the
 * command line as it is built (scripts/build.mjs: dist/cli.js beside dist/count-worker.js): the
 * dry run says exactly what one read says, render-check skips included.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyExampleRepo, type ExampleRepo } from "../support/repo.js";

let repo: ExampleRepo;
let cli: string;
let hook: string;

beforeAll(async () => {
  repo = copyExampleRepo();
  // 30,000 subscribers (about 3.5 MB): repeats across the middle, markup a template refuses, bad rows.
  const segments = ["new_customers", "loyal_customers", "prospects"];
  const rows: object[] = [];
  for (let i = 0; i < 30_000; i++) {
    const n = i % 10 === 9 ? (i * 7919) % 30_000 : i;
    const email =
      i % 997 === 5 ? `not-an-address-${i}` : `user${n}@${i % 10 === 9 ? "EXAMPLE" : "example"}.com`;
    const name = i % 101 === 0 ? "<script>x</script>" : `User ${n}`;
    rows.push({ email, name, segment: segments[n % 3], preferences: n % 2 ? ["fashion"] : ["books"] });
  }
  repo.subscribers(rows);
  // Next to node_modules, so the packages left out of the bundle resolve as they do for dist/cli.js.
  const dir = path.resolve("dist", "split-test");
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: { cli: "src/bin.ts", "count-worker": "src/commands/count-worker.ts" },
    outdir: dir,
    splitting: true,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "silent",
  });
  cli = path.join(dir, "cli.js");
  // Tells how many workers started and how many answered with counts (not an error).
  hook = path.join(dir, "workers.mjs");
  writeFileSync(
    hook,
    `import { createRequire, syncBuiltinESMExports } from "node:module";
const threads = createRequire(import.meta.url)("node:worker_threads");
let started = 0, counted = 0;
const Worker = threads.Worker;
threads.Worker = class extends Worker {
  constructor(...args) {
    super(...args);
    started++;
    this.once("message", (m) => { if (m && "counts" in m) counted++; });
  }
};
syncBuiltinESMExports();
process.on("exit", () => process.stderr.write("WORKERS " + started + " " + counted + "\\n"));
`,
  );
}, 60_000);
afterAll(() => repo.cleanup());

function dryRun(minBytes: string): { out: string; workers: string } {
  const r = spawnSync(
    process.execPath,
    ["--import", hook, cli, "send", "--dry-run", "--due", "--dir", repo.dir, "--now", "2026-12-01T09:05:00Z"],
    { encoding: "utf8", env: { ...process.env, MAILOPS_TARGET: "local", MAILOPS_SPLIT_MIN_BYTES: minBytes } },
  );
  expect(r.status, r.stderr).toBe(0);
  return { out: r.stdout, workers: /WORKERS (\d+ \d+)/.exec(r.stderr)?.[1] ?? "none" };
}

describe("a large source counted in two parts", () => {
  it("says what one read says, the second part counted by a worker thread", () => {
    const whole = dryRun("0");
    const split = dryRun("1");
    expect(whole.workers).toBe("0 0");
    // One source, one split for the three campaigns counted over it; the worker answered.
    expect(split.workers).toBe("1 1");
    expect(split.out).toBe(whole.out);
    // What the comparison is about: duplicates, invalid rows and render-check skips were counted.
    expect(whole.out).toMatch(/duplicates [1-9]\d*, invalid rows [1-9]/);
    expect(whole.out).toMatch(/skipped: \d+ unsafe value in field name/);
  });
});
