/**
 * Runs the CLI bundle (dist/cli.cjs) through a code cache: V8's compiled code for what a command
 * ran, written after its first run and read at the next start instead of compiling again. A dry
 * run spends about 30 ms of its start compiling the bundle (docs/performance.md); Node 22's
 * `module.enableCompileCache()` does the same for every module, but Node 20 has nothing of the kind
 * for ES modules, so the bundle is CommonJS, compiled here with `vm.Script`'s cachedData.
 *
 * A cache file is one command's (what `send` compiles is not what `validate` does), named by the
 * hash of the bundle's text the build wrote at its end, the file's size and time, the Node version
 * and the platform: V8 checks its own version and flags, but of the source only its length, and a
 * bundle rebuilt to the same length must not run the old one's code. A cache V8 rejects (another
 * V8, other flags, a damaged file) is written anew; any failure to read or write one only costs
 * the compiling. Files go where build tools keep theirs, node_modules/.cache/mailops;
 * MAILOPS_COMPILE_CACHE names another folder, or `off`. NODE_DEBUG=mailops-compile-cache says what
 * happened.
 */
import { isAscii } from "node:buffer";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { debuglog } from "node:util";
import { Script } from "node:vm";

const debug = debuglog("mailops-compile-cache");

/** The cache folder for the bundle at `bundle` (<package>/dist/cli.cjs), or undefined: none. */
export function cacheDir(bundle: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env.MAILOPS_COMPILE_CACHE;
  if (setting === "off" || setting === "0") return undefined;
  if (setting) return path.resolve(setting);
  const root = path.dirname(path.dirname(bundle));
  const parent = path.dirname(root);
  // An installed package (node_modules/mailops) shares its project's node_modules/.cache.
  return path.basename(parent) === "node_modules"
    ? path.join(parent, ".cache", "mailops")
    : path.join(root, "node_modules", ".cache", "mailops");
}

/** The last line of a bundle scripts/build.mjs wrote: a hash of the text above it. */
export const BUILD_MARK = "//# mailops-build=";

/**
 * The cache file's name, or undefined when the bundle carries no build hash (then it is not
 * cached): the command (a word, else `_`), the build's hash, the file's size and time (a bundle
 * edited by hand is another), and the runtime that compiled it.
 */
export function cacheName(
  source: string,
  file: { size: number; mtimeMs: number },
  command: string | undefined,
): string | undefined {
  const at = source.lastIndexOf(BUILD_MARK);
  const build = at === -1 ? "" : source.slice(at + BUILD_MARK.length).trim();
  if (!/^[0-9a-f]{16,64}$/.test(build)) return undefined;
  const runtime = `node${process.versions.node}-${process.platform}-${process.arch}`;
  return `${commandPart(command)}.${build}.${file.size}-${Math.trunc(file.mtimeMs)}.${runtime}.v8`;
}

function commandPart(command: string | undefined): string {
  return command !== undefined && /^[a-z][a-z-]{0,31}$/.test(command) ? command : "_";
}

/** Runs the CommonJS bundle at `bundle` as a module would, through the cache (see above). */
export function launch(bundle: string, argv: readonly string[]): void {
  const bytes = readFileSync(bundle);
  // The build writes ASCII (scripts/build.mjs): as Latin-1 it is the same text, decoded as a copy.
  const source = bytes.toString(isAscii(bytes) ? "latin1" : "utf8");
  const dir = cacheDir(bundle);
  const name = dir === undefined ? undefined : cacheName(source, statSync(bundle), argv[0]);
  const file = dir === undefined || name === undefined ? undefined : path.join(dir, name);
  let cached: Buffer | undefined;
  if (file !== undefined) {
    try {
      cached = readFileSync(file);
    } catch {
      debug("%s: none yet", file);
    }
  }
  // The function Node wraps a CommonJS module in, on one line so the bundle's lines keep their numbers.
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
  const script = new Script(wrapped, { filename: bundle, cachedData: cached });
  if (file !== undefined) {
    if (cached !== undefined && script.cachedDataRejected === false) debug("%s: accepted", file);
    else {
      if (cached !== undefined) debug("%s: rejected", file);
      // On exit, so that it holds every function the command compiled, not only the top level.
      process.once("exit", () => writeCache(file, script));
    }
  }
  const module = { exports: {}, id: bundle, filename: bundle };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
}

/** Writes the script's code cache to `file` whole (a temp file renamed), and drops the command's older ones. */
function writeCache(file: string, script: Script): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const dir = path.dirname(file);
    mkdirSync(dir, { recursive: true });
    writeFileSync(temp, script.createCachedData());
    renameSync(temp, file);
    debug("%s: written", file);
    // Another build's or Node's cache for the same command is of no more use.
    const prefix = `${path.basename(file).split(".")[0]}.`;
    for (const other of readdirSync(dir))
      if (other.startsWith(prefix) && other.endsWith(".v8") && other !== path.basename(file))
        rmSync(path.join(dir, other), { force: true });
  } catch (e) {
    debug("%s: not written: %s", file, (e as Error).message);
    try {
      rmSync(temp, { force: true });
    } catch {
      // No folder, no temp file.
    }
  }
}
