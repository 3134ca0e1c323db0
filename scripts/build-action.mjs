// Bundles the GitHub Action (src/action.ts) into dist/action/, ignored by git and built in the
// workflow after `npm ci`. Dependencies stay external: the action runs from the repository
// checkout, with the node_modules that `npm ci` installed.
import { writeFileSync } from "node:fs";
import { build } from "esbuild";

await build({
  entryPoints: { main: "src/action.ts" },
  outdir: "dist/action",
  bundle: true,
  platform: "node",
  // GitHub runs actions on Node 24; developers and CI on Node 20: build for the older one.
  target: "node20",
  format: "esm",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});

// main.js only exports run() (so @github/local-action can import it); index.js runs it.
// esbuild has created dist/action by now.
writeFileSync(
  "dist/action/index.js",
  '// Entry named by action.yml; built by scripts/build-action.mjs.\nimport { run } from "./main.js";\n\nawait run();\n',
);
