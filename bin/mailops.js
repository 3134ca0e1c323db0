#!/usr/bin/env node
// The CLI is bundled from src/ into dist/ by `npm run build` (run by `npm ci` through `prepare`).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("mailops: dist/cli.js is missing; run `npm run build` (npm ci does it for you)\n");
  process.exit(1);
}
await import(entry.href);
