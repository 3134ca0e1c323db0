#!/usr/bin/env node
// The CLI is bundled from src/ into dist/ by `npm run build` (run by `npm ci` through `prepare`),
// and run through a code cache (src/launch.ts). CommonJS, as the bundle is: Node's ES module
// loader would cost every start a few milliseconds more.
const { existsSync } = require("node:fs");
const path = require("node:path");

const dist = path.join(__dirname, "..", "dist");
if (!existsSync(path.join(dist, "cli.cjs")) || !existsSync(path.join(dist, "launch.cjs"))) {
  process.stderr.write("mailops: dist/cli.cjs is missing; run `npm run build` (npm ci does it for you)\n");
  process.exit(1);
}
require(path.join(dist, "launch.cjs")).launch(path.join(dist, "cli.cjs"), process.argv.slice(2));
