#!/usr/bin/env node
/**
 * Fails fast, before the test run, when an emulator the tests start is missing, and says what to
 * install. The tests fail on their own too (they never skip); this only gives one clear line
 * early in CI. Usage: node scripts/emulators-check.mjs
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const problems = [];

const moto = process.env.MAILOPS_MOTO_SERVER ?? "moto_server";
const help = spawnSync(moto, ["--help"], { encoding: "utf8" });
if (help.error || help.status !== 0) {
  problems.push(
    `moto_server is missing or broken (${help.error?.message ?? `exit code ${help.status}: ${help.stderr.trim()}`}).\n` +
      `  Install it with: pip install "moto[server]" (Python 3; verified with moto 5.2.1), or set MAILOPS_MOTO_SERVER.`,
  );
} else {
  // The interpreter behind moto_server is usually python3; the version is information, not a gate.
  const version = spawnSync("python3", ["-c", "import moto; print(moto.__version__)"], { encoding: "utf8" });
  console.log(`moto_server: ok${version.status === 0 ? ` (moto ${version.stdout.trim()})` : ""}`);
}

try {
  const pkg = createRequire(import.meta.url).resolve("aws-ses-v2-local/package.json");
  const cli = path.join(path.dirname(pkg), "dist", "cli.js");
  if (!existsSync(cli)) throw new Error(`${cli} is missing`);
  const { version } = createRequire(import.meta.url)("aws-ses-v2-local/package.json");
  console.log(`aws-ses-v2-local: ok (${version})`);
} catch (error) {
  problems.push(
    `aws-ses-v2-local is not installed (${error instanceof Error ? error.message : error}).\n` +
      "  It is a devDependency: run npm ci.",
  );
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`emulators: ${problem}`);
  process.exit(1);
}
