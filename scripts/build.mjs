// Bundles the CLI entry into dist/cli.cjs, its launcher into dist/launch.cjs, and the package's
// entries for user code (package.json `exports`, src/exports/) into dist/<name>.js, with their
// declarations in dist/types/ (tsc). Dependencies stay external (installed by npm), but for the
// few every CLI command loads at start.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { build } from "esbuild";
import { CLI_BUNDLE, NODE_BUNDLE } from "./cli-build.mjs";

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
 * Packages every command loads before its first line of work: bundled into the CLI. Each loaded
 * from node_modules costs the module loader its own resolution, and commander and ajv's runtime
 * (CommonJS) the CommonJS loader's start and a lexer pass: 8 ms of a dry run's 140 ms start
 * (docs/performance.md). The rest (the AWS SDK, pg, nodemailer, handlebars...) loads
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

// An earlier build's ES module chunks (dist/cli.js and dist/chunks/, before the CLI was one CommonJS file).
rmSync("dist/chunks", { recursive: true, force: true });
rmSync("dist/cli.js", { force: true });
rmSync("dist/cli.js.map", { force: true });

await Promise.all([
  build({
    ...CLI_BUNDLE,
    entryPoints: { cli: "src/bin.ts", launch: "src/launch.ts" },
    outdir: "dist",
    plugins: [external, ...CLI_BUNDLE.plugins],
  }).then(writeOutputs),
  build({
    ...NODE_BUNDLE,
    entryPoints: { unsubscribe: "src/exports/unsubscribe.ts" },
    outdir: "dist",
    format: "esm",
    packages: "external",
  }),
  declarations(),
]);

/**
 * Writes the CLI's files, each whole or not at all (a test may start the CLI while another test's
 * build writes it), and only where they changed: a file's time is part of its code cache's name
 * (src/launch.ts), so a rebuild of the same sources (each `npm ci`, a test's build) keeps the
 * caches. The bundle ends with a hash of its text, which names its code cache (BUILD_MARK):
 * hashed here once, not by every start.
 */
function writeOutputs(result) {
  for (const file of result.outputFiles) {
    let text = file.text;
    if (path.basename(file.path) === "cli.cjs") {
      // esbuild escapes what is not ASCII in code, but not in the comments it keeps (js-yaml's, a
      // few of ours): one such character makes V8 hold the whole bundle as two-byte text.
      text = text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
      text += `//# mailops-build=${createHash("sha256").update(text).digest("hex").slice(0, 32)}\n`;
    }
    if (readIfThere(file.path) === text) continue;
    const temp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, file.path);
  }
}

function readIfThere(file) {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
