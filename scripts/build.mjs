// Bundles the CLI entry into dist/cli.js and the package's entries for user code (package.json
// `exports`, src/exports/) into dist/<name>.js, with their declarations in dist/types/ (tsc).
// Dependencies stay external (installed by npm), but for the few every command loads at start.
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

/**
 * Packages every command loads before its first line of work: bundled into the chunks that use
 * them. Each loaded from node_modules costs the module loader its own resolution, and commander
 * and ajv's runtime (CommonJS) the CommonJS loader's start and a lexer pass: 8 ms of a dry run's
 * 140 ms start (docs/performance.md). The rest (the AWS SDK, pg, nodemailer, handlebars...) loads
 * only where a command needs it, and stays external.
 */
const AT_START = new Set(["commander", "js-yaml", "croner", "ajv"]);

/** Marks every package external but those of AT_START. */
const external = {
  name: "external-but-at-start",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("node:")) return { external: true };
      const parts = args.path.split("/");
      const name = args.path.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
      return AT_START.has(name) ? undefined : { path: args.path, external: true };
    });
  },
};

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
    plugins: [external],
    // What the bundled CommonJS packages require (node:events...): an ES module has no `require`.
    banner: {
      js: 'import { createRequire as __mailopsRequire } from "node:module";\nconst require = __mailopsRequire(import.meta.url);',
    },
    sourcemap: true,
    logLevel: "warning",
  }),
  declarations(),
]);
