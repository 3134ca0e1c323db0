// Writes a generated file; with --check, fails instead when the committed one is not what the
// generator makes (npm test runs each generator so).
import { readFileSync, writeFileSync } from "node:fs";

export function writeGenerated(target, code, { from, script }) {
  if (!process.argv.includes("--check")) {
    writeFileSync(target, code);
    return;
  }
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {}
  if (current !== code) {
    console.error(`${target} is out of date with ${from}: run \`node ${script}\``);
    process.exit(1);
  }
}
