// Bundles bench/main.ts (with the sources it measures) and runs it: benchmarks measure the
// same compiled code the CLI ships, not a test-time transform.
import { spawnSync } from "node:child_process";
import { build } from "esbuild";

await build({
  entryPoints: { cli: "src/bin.ts", bench: "bench/main.ts" },
  outdir: "dist",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  packages: "external",
  logLevel: "warning",
});
const r = spawnSync(process.execPath, ["--expose-gc", "dist/bench.js", ...process.argv.slice(2)], {
  stdio: "inherit",
});
process.exitCode = r.status ?? 1;
