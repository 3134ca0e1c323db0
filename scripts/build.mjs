// Bundles the CLI entry into dist/cli.js and the package's entries for user code (package.json
// `exports`, src/exports/) into dist/<name>.js, with their declarations in dist/types/ (tsc).
// Dependencies stay external (installed by npm).
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { build } from "esbuild";

/** The TypeScript declarations of the `exports` entries, emitted while esbuild bundles. */
function declarations() {
  const pkg = createRequire(import.meta.url).resolve("typescript/package.json");
  const tsc = path.join(path.dirname(pkg), "bin/tsc");
  const args = [
    ...["--ignoreConfig", "--declaration", "--emitDeclarationOnly", "--outDir", "dist/types"],
    ...["--rootDir", "src", "--module", "nodenext", "--moduleResolution", "nodenext"],
    ...["--target", "es2022", "--strict", "--skipLibCheck", "--types", "node"],
    "src/exports/unsubscribe.ts",
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, ...args], { stdio: "inherit" });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`tsc exited with ${code}`))));
  });
}

// Chunk names carry a hash of their content: an earlier build's would stay beside them, and be
// packed (package.json `files`).
rmSync("dist/chunks", { recursive: true, force: true });

await Promise.all([
  build({
    entryPoints: { cli: "src/bin.ts", unsubscribe: "src/exports/unsubscribe.ts" },
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
  }),
  declarations(),
]);
