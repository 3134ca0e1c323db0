// Builds the CLI exactly as `npm run build` does (the benchmarks time the shipped `mailops`
// process), bundles bench/main.ts with the sources it measures, and runs it.
import { spawnSync } from "node:child_process";
import { build } from "esbuild";

const cli = spawnSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
if (cli.status !== 0) process.exit(cli.status ?? 1);
await build({
  entryPoints: { bench: "bench/main.ts" },
  outdir: "dist/bench",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  packages: "external",
  logLevel: "warning",
});
const r = spawnSync(process.execPath, ["--expose-gc", "dist/bench/bench.js", ...process.argv.slice(2)], {
  stdio: "inherit",
  // The AWS SDK's notice that its releases after January 2027 need Node 22 (as in vitest.config.ts).
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...process.env },
});
process.exitCode = r.status ?? 1;
