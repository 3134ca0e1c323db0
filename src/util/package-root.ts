/**
 * The root of the mailops package a module runs from: the first folder above it whose package.json
 * is mailops'. The same from the sources (src/…), the bundle (dist/cli.cjs) and an installed
 * package (node_modules/mailops/dist/…).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export function packageRoot(moduleUrl: string): string {
  let dir = path.dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "mailops")
      return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no mailops package.json above ${fileURLToPath(moduleUrl)}`);
    dir = up;
  }
}
