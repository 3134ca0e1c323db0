// Bundles the CLI entry into dist/cli.js; dependencies stay external (installed by npm).
import { build } from "esbuild";

await build({
  entryPoints: { cli: "src/bin.ts" },
  outdir: "dist",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  // Chunks per dynamic import, so each command loads only what it needs (and its packages).
  splitting: true,
  entryNames: "[name]",
  chunkNames: "chunks/[name]-[hash]",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});
