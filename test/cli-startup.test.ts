/**
 * What a run loads is part of its cost: `send --dry-run` over files in the repository, on the local
 * target, loads neither the S3 SDK nor the PostgreSQL driver (each loaded when first used:
 * util/s3-client.ts, audience/postgres.ts), nor `yaml` for a finding about a whole file, nor
 * nodemailer (render/eml.ts) or `diff` (present/plan/details.ts), which only a message or a diff needs.
 * Checking a schedule's time zone builds no date format (config/schedule.ts knownTimeZone). Nor
 * does a dry run load node:crypto (util/crypto.ts) or node:zlib (audience/open.ts): a few ms each.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_BUNDLE } from "../scripts/cli-build.mjs";
import { copyExampleRepo, type ExampleRepo } from "./support/repo.js";

let repo: ExampleRepo;
let cli: string;
let hook: string;

beforeAll(async () => {
  repo = copyExampleRepo();
  // Next to node_modules, so the packages left out of the bundle resolve as they do for dist/cli.cjs.
  const dir = path.resolve("dist", "startup-test");
  mkdirSync(dir, { recursive: true });
  cli = path.join(dir, "cli.cjs");
  hook = path.join(dir, "loaded.mjs");
  await build({
    // As scripts/build.mjs builds it, but with every package left out of the bundle, so that each
    // one a command loads is seen loading.
    ...CLI_BUNDLE,
    entryPoints: { cli: path.resolve("src/bin.ts") },
    outdir: dir,
    packages: "external",
    write: true,
    logLevel: "silent",
  });
  // CommonJS packages are in require.cache; ES modules are told by a load hook, which runs on the
  // loader's own thread: it appends each URL to a file, read after the process has exited.
  const esmHook = path.join(dir, "esm-hook.mjs");
  writeFileSync(
    esmHook,
    `import { appendFileSync } from "node:fs";
export async function load(url, context, next) {
  appendFileSync(process.env.LOADED_ESM, url + "\\n");
  return next(url, context);
}
`,
  );
  writeFileSync(
    hook,
    `import { createRequire, register } from "node:module";
register(${JSON.stringify(pathToFileURL(esmHook).href)});
const require = createRequire(import.meta.url);
process.on("exit", () => process.stderr.write("LOADED " + JSON.stringify(Object.keys(require.cache)) + "\\n"));
// Node's own modules, by the names its loader records ("NativeModule zlib").
process.on("exit", () => process.stderr.write("BUILTINS " + JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice(13))) + "\\n"));
// Date formats built: the first one loads ICU's date formatting (tens of ms).
const DateTimeFormat = Intl.DateTimeFormat;
let formats = 0;
Intl.DateTimeFormat = function (...args) { formats++; return new DateTimeFormat(...args); };
process.on("exit", () => process.stderr.write("FORMATS " + formats + "\\n"));
`,
  );
}, 60_000);
afterAll(() => repo.cleanup());

function run(...args: string[]): { files: string[]; formats: number; builtins: string[] } {
  const esm = path.join(repo.dir, "loaded-esm.txt");
  const r = spawnSync(process.execPath, ["--import", hook, cli, ...args, "--dir", repo.dir], {
    encoding: "utf8",
    env: { ...process.env, LOADED_ESM: esm, MAILOPS_TARGET: "local" },
  });
  const line = r.stderr.split("\n").find((l) => l.startsWith("LOADED ")) ?? "LOADED []";
  const urls = existsSync(esm) ? readFileSync(esm, "utf8").split("\n").filter(Boolean) : [];
  expect(r.status, r.stderr).toBe(0);
  const formats = Number(
    r.stderr
      .split("\n")
      .find((l) => l.startsWith("FORMATS "))
      ?.slice(8),
  );
  const builtins = r.stderr.split("\n").find((l) => l.startsWith("BUILTINS ")) ?? "BUILTINS []";
  return {
    files: [...(JSON.parse(line.slice(7)) as string[]), ...urls],
    formats,
    builtins: JSON.parse(builtins.slice(9)),
  };
}

const loaded = (...args: string[]): string[] => run(...args).files;

describe("a dry run over files on the local target", () => {
  it("loads neither the AWS SDK, nor the PostgreSQL driver, nor yaml", () => {
    const files = loaded("send", "--dry-run", "--campaign", "holiday-promo", "--now", "2026-12-01T09:05:00Z");
    // The run happened (run() holds its exit status to 0): the packages it does need are there.
    // (The template analysis no longer loads Handlebars for these templates, so it is no witness.)
    expect(files.some((f) => f.includes("/node_modules/js-yaml/"))).toBe(true);
    const heavy = files.filter((f) =>
      /\/node_modules\/(@aws-sdk|@smithy|pg|pg-cursor|yaml|nodemailer|diff)\//.test(f),
    );
    expect(heavy).toEqual([]);
  });
});

describe("a dry run's own modules of Node", () => {
  it("loads neither node:crypto nor node:zlib, which only a send's ids and a .gz source need", () => {
    const { builtins } = run("send", "--dry-run", "--due", "--now", "2026-12-01T09:05:00Z");
    // The hook sees Node's modules (the run read a file through streams).
    expect(builtins).toContain("stream");
    expect(builtins.filter((m) => /^(crypto|zlib)$/.test(m))).toEqual([]);
  });
});

describe("a command's start-up", () => {
  it("builds no date format for checking a schedule's zone", () => {
    // The example's weekly campaign has a cron in Europe/Berlin; checking it needs no zone lookup.
    expect(run("validate").formats).toBe(0);
    // The hook counts: a dry run of that campaign does look its occurrences up in its zone.
    expect(
      run("send", "--dry-run", "--campaign", "weekly-newsletter", "--now", "2027-01-04T08:05:00Z").formats,
    ).toBeGreaterThan(0);
  });
});
