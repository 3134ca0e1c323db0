/**
 * The CLI's code cache (src/launch.ts): written by a command's first run, read by the next, one per
 * command, never the code of another bundle, and never in the way: a damaged, foreign or unwritable
 * cache costs the compiling and nothing else.
 */
import { isAscii } from "node:buffer";
import { spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BUILD_MARK, cacheDir, cacheName } from "../src/launch.js";

const ROOT = path.join(import.meta.dirname, "..");

let scratch: string;
/** A copy of the built package (bin/, dist/, package.json; node_modules linked), whose bundle a test may edit. */
let pkg: string;

beforeAll(() => {
  const build = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, encoding: "utf8" });
  expect(build.status, build.stderr).toBe(0);
  scratch = mkdtempSync(path.join(tmpdir(), "mailops-launch-"));
  pkg = path.join(scratch, "pkg");
  mkdirSync(path.join(pkg, "dist"), { recursive: true });
  cpSync(path.join(ROOT, "bin"), path.join(pkg, "bin"), { recursive: true });
  for (const f of ["cli.cjs", "launch.cjs"]) cpSync(path.join(ROOT, "dist", f), path.join(pkg, "dist", f));
  cpSync(path.join(ROOT, "package.json"), path.join(pkg, "package.json"));
  symlinkSync(path.join(ROOT, "node_modules"), path.join(pkg, "node_modules"), "dir");
}, 120_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** What the cache did, from NODE_DEBUG: "none yet", "accepted", "rejected", "written"... */
  cache: string[];
}

function env(cache: string, debug: boolean): NodeJS.ProcessEnv {
  const { NODE_DEBUG: _, ...rest } = process.env;
  return { ...rest, MAILOPS_COMPILE_CACHE: cache, ...(debug ? { NODE_DEBUG: "mailops-compile-cache" } : {}) };
}

function parse(r: { status: number | null; stdout: string; stderr: string }): Run {
  const cache = [...r.stderr.matchAll(/^MAILOPS-COMPILE-CACHE \d+: .*: (.+)$/gm)].map((m) => m[1] as string);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, cache };
}

/** The CLI of `root` (this repository's unless told), with its cache in `cache`. */
function mailops(cache: string, args: string[], opts: { root?: string; debug?: boolean } = {}): Run {
  const bin = path.join(opts.root ?? ROOT, "bin/mailops.cjs");
  return parse(
    spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: env(cache, opts.debug ?? true) }),
  );
}

const freshDir = (name: string) => path.join(mkdtempSync(path.join(scratch, `${name}-`)), "cache");
const files = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".v8"));

describe("a command's code cache", () => {
  it("is written by its first run and read by the next, which writes nothing", () => {
    const dir = freshDir("first");
    const first = mailops(dir, ["--version"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe("0.1.0\n");
    expect(first.cache).toEqual(["none yet", "written"]);
    const [file] = files(dir);
    expect(file).toMatch(/^_\.[0-9a-f]{32}\./);
    const written = statSync(path.join(dir, file as string)).mtimeMs;

    const second = mailops(dir, ["--version"]);
    expect(second.stdout).toBe("0.1.0\n");
    expect(second.cache).toEqual(["accepted"]);
    expect(files(dir)).toEqual([file]);
    expect(statSync(path.join(dir, file as string)).mtimeMs).toBe(written);
  });

  it("is one per command: what `validate` compiles is not what `--version` does", () => {
    const dir = freshDir("per-command");
    mailops(dir, ["--version"]);
    const v = mailops(dir, ["validate", "--dir", ROOT]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.cache).toEqual(["none yet", "written"]);
    expect(
      files(dir)
        .map((f) => f.split(".")[0])
        .sort(),
    ).toEqual(["_", "validate"]);
    expect(mailops(dir, ["validate", "--dir", ROOT]).cache).toEqual(["accepted"]);
  });

  it("outlives a rebuild of the same sources: the build leaves an unchanged bundle as it was", () => {
    const dir = freshDir("rebuild");
    expect(mailops(dir, ["--version"]).cache).toEqual(["none yet", "written"]);
    const bundle = path.join(ROOT, "dist", "cli.cjs");
    const before = statSync(bundle).mtimeMs;
    const build = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, encoding: "utf8" });
    expect(build.status, build.stderr).toBe(0);
    expect(statSync(bundle).mtimeMs).toBe(before);
    expect(mailops(dir, ["--version"]).cache).toEqual(["accepted"]);
  });

  it("damaged, is rejected by V8 and written anew; the command runs as ever", () => {
    const dir = freshDir("damaged");
    mailops(dir, ["--version"]);
    const file = path.join(dir, files(dir)[0] as string);
    const good = readFileSync(file);
    const bad = Buffer.from(good);
    bad.fill(0x5a, 0, 64);
    writeFileSync(file, bad);

    const r = mailops(dir, ["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("0.1.0\n");
    expect(r.cache).toEqual(["rejected", "written"]);
    expect(readFileSync(file).subarray(0, 64)).not.toEqual(bad.subarray(0, 64));
    expect(mailops(dir, ["--version"]).cache).toEqual(["accepted"]);
  });

  it("runs from many processes at once, each finding a whole file or none", async () => {
    const dir = freshDir("concurrent");
    const bin = path.join(ROOT, "bin/mailops.cjs");
    const runs = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<Run>((resolve) => {
            const child = spawn(process.execPath, [bin, "--version"], { env: env(dir, true) });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d) => {
              stdout += d;
            });
            child.stderr.on("data", (d) => {
              stderr += d;
            });
            child.on("close", (status) => resolve(parse({ status, stdout, stderr })));
          }),
      ),
    );
    for (const r of runs) expect([r.code, r.stdout]).toEqual([0, "0.1.0\n"]);
    expect(files(dir)).toHaveLength(1);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(mailops(dir, ["--version"]).cache).toEqual(["accepted"]);
  });
});

describe("a bundle that changed", () => {
  const bundle = () => path.join(pkg, "dist/cli.cjs");
  let original: { bytes: Buffer; atime: Date; mtime: Date };
  beforeEach(() => {
    const { atime, mtime } = statSync(bundle());
    original = { bytes: readFileSync(bundle()), atime, mtime };
  });
  afterEach(() => {
    writeFileSync(bundle(), original.bytes);
    utimesSync(bundle(), original.atime, original.mtime);
  });

  /** The copied bundle with the CLI's version replaced by `to`, keeping its file times unless told. */
  const setVersion = (to: string, mtime = original.mtime, edit = (text: string) => text) => {
    const text = original.bytes.toString("utf8");
    expect(text).toContain('VERSION = "0.1.0"');
    writeFileSync(bundle(), edit(text.replace('VERSION = "0.1.0"', `VERSION = "${to}"`)));
    utimesSync(bundle(), original.atime, mtime);
  };

  it("runs its own code, never the cache of the one before (same length, same build mark, a new time)", () => {
    const dir = freshDir("edited");
    expect(mailops(dir, ["--version"], { root: pkg }).stdout).toBe("0.1.0\n");
    // A time the file did not have: an edit within the same millisecond would not tell.
    setVersion("0.1.1", new Date(original.mtime.getTime() + 5_000));
    const r = mailops(dir, ["--version"], { root: pkg });
    expect(r.stdout).toBe("0.1.1\n");
    expect(r.cache).toEqual(["none yet", "written"]);
  });

  it("is read as UTF-8 when it is not ASCII (a bundle not from scripts/build.mjs)", () => {
    setVersion("0.1.\u00e9");
    expect(mailops(freshDir("utf8"), ["--version"], { root: pkg }).stdout).toBe("0.1.\u00e9\n");
  });

  it("runs its own code when a rebuild changed only its build mark (an npm install keeps one file time)", () => {
    const dir = freshDir("rebuilt");
    expect(mailops(dir, ["--version"], { root: pkg }).stdout).toBe("0.1.0\n");
    const text = original.bytes.toString("utf8");
    const at = text.lastIndexOf(BUILD_MARK) + BUILD_MARK.length;
    const mark = text.slice(at, at + 32);
    const other = [...mark].reverse().join("");
    expect(other).not.toBe(mark);
    setVersion("0.2.0", original.mtime, (t) => t.slice(0, at) + other + t.slice(at + 32));

    const r = mailops(dir, ["--version"], { root: pkg });
    expect(r.stdout).toBe("0.2.0\n");
    expect(r.cache).toEqual(["none yet", "written"]);
    // The older build's file for the same command is gone.
    expect(files(dir)).toHaveLength(1);
    expect(files(dir)[0]).toContain(other);
  });
});

describe("where the cache cannot be", () => {
  it("MAILOPS_COMPILE_CACHE=off: nothing is read or written", () => {
    const r = mailops("off", ["--version"]);
    expect(r.stdout).toBe("0.1.0\n");
    expect(r.cache).toEqual([]);
  });

  it("a folder that cannot be made costs the compiling, and says nothing", () => {
    const blocker = path.join(scratch, "a-file");
    writeFileSync(blocker, "not a folder");
    const r = mailops(path.join(blocker, "cache"), ["--version"], { debug: false });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, "0.1.0\n", ""]);
    // With NODE_DEBUG, it is told.
    expect(mailops(path.join(blocker, "cache"), ["--version"]).stderr).toMatch(/not written: ENOTDIR/);
  });

  it("a cache that cannot take its name leaves no temp file behind", () => {
    const dir = freshDir("taken");
    const bundle = path.join(ROOT, "dist/cli.cjs");
    const name = cacheName(readFileSync(bundle, "latin1"), statSync(bundle), "--version") as string;
    // A folder where the file would go: the rename fails after the temp file is written.
    mkdirSync(path.join(dir, name), { recursive: true });
    const r = mailops(dir, ["--version"]);
    expect([r.code, r.stdout]).toEqual([0, "0.1.0\n"]);
    expect(r.stderr).toMatch(/not written: E(ISDIR|NOTEMPTY|EXIST)/);
    expect(readdirSync(dir)).toEqual([name]);
  });

  it("a bundle without a build mark is not cached", () => {
    expect(cacheName("console.log(1)\n", { size: 15, mtimeMs: 1 }, "send")).toBeUndefined();
    expect(cacheName(`x\n${BUILD_MARK}not-hex\n`, { size: 15, mtimeMs: 1 }, "send")).toBeUndefined();
  });
});

describe("the bundle", () => {
  it("is strict code: its first statement is the directive, before the banner's line", () => {
    const text = readFileSync(path.join(ROOT, "dist/cli.cjs"), "latin1");
    expect(text.startsWith('"use strict";\n')).toBe(true);
  });

  it("is ASCII, so V8 holds it as one-byte text (the comments esbuild keeps are escaped too)", () => {
    const bytes = readFileSync(path.join(ROOT, "dist/cli.cjs"));
    expect(isAscii(bytes)).toBe(true);
    // What was escaped is still there: js-yaml's comment on its flow indicators.
    expect(bytes.toString("latin1")).toContain("\\u201c-\\u201d");
  });
});

describe("the cache's folder and names", () => {
  it("an installed package's is its project's node_modules/.cache; a checkout's, its own node_modules/.cache", () => {
    expect(cacheDir("/p/node_modules/mailops/dist/cli.cjs", {})).toBe("/p/node_modules/.cache/mailops");
    expect(cacheDir("/src/mailops/dist/cli.cjs", {})).toBe("/src/mailops/node_modules/.cache/mailops");
    expect(cacheDir("/x/dist/cli.cjs", { MAILOPS_COMPILE_CACHE: "0" })).toBeUndefined();
    expect(cacheDir("/x/dist/cli.cjs", { MAILOPS_COMPILE_CACHE: "/tmp/c" })).toBe("/tmp/c");
  });

  it("names the command (`_` for anything but a word), the build, the file and the runtime", () => {
    const source = `x\n${BUILD_MARK}${"ab".repeat(16)}\n`;
    const file = { size: 10, mtimeMs: 1234.5 };
    const name = cacheName(source, file, "send");
    expect(name).toBe(
      `send.${"ab".repeat(16)}.10-1234.node${process.versions.node}-${process.platform}-${process.arch}.v8`,
    );
    expect(cacheName(source, file, "--version")?.startsWith("_.")).toBe(true);
    expect(cacheName(source, file, "../../etc")?.startsWith("_.")).toBe(true);
    expect(cacheName(source, file, undefined)?.startsWith("_.")).toBe(true);
    expect(cacheName(source, { ...file, size: 11 }, "send")).not.toBe(name);
    expect(cacheName(source, { ...file, mtimeMs: 1235 }, "send")).not.toBe(name);
  });
});
