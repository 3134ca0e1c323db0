// Bundles the CLI entry into dist/cli.js; dependencies stay external (installed by npm).
import { build } from "esbuild";

await build({
  entryPoints: { cli: "src/bin.ts" },
  outdir: "dist",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});
