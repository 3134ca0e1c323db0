/**
 * The only part of config/ that touches the disk: it lists and reads the repository's files
 * and turns file-system trouble into data (`problem`) for the pure steps to report.
 */
import { closeSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { isInside } from "../util/paths.js";

export const MAX_FILE_BYTES = 5 * 1024 * 1024;

export type FileProblem = "missing" | "outside-repo" | "too-large" | "binary" | "unreadable" | "not-a-file";

export interface RawFile {
  /** Relative to the repository root, forward slashes. */
  path: string;
  text?: string;
  problem?: FileProblem;
  /** What exactly is wrong, for the message: the bad byte, the system error. */
  detail?: string;
  /** Where in the file the problem is (the first bad byte), when it is somewhere in particular. */
  at?: { line: number; col: number };
  size?: number;
}

export interface RepoFiles {
  root: string;
  settings: RawFile;
  templates: RawFile[];
  sources: RawFile[];
  segments: RawFile[];
  campaigns: RawFile[];
  /**
   * Folders this read has resolved to their real paths; pass it to `readRepoFile`/`checkRepoPath`
   * for files of the same repository read later, so each folder is resolved once per load.
   */
  realDirs: RealDirs;
}

/** Folder → its real path (symbolic links resolved), for one read of one repository. */
export type RealDirs = Map<string, string>;

const yamlFile = /\.ya?ml$/i;

/** One decoder for every file: without `stream` each decode starts afresh, also after an error. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Read every configuration file of the repository rooted at `root`. */
export function readRepo(root: string): RepoFiles {
  const abs = path.resolve(root);
  const realDirs: RealDirs = new Map();
  const settingsPath =
    ["mailops.yaml", "mailops.yml"].find((p) => exists(path.join(abs, p))) ?? "mailops.yaml";
  const read = (dir: string) =>
    listYaml(abs, dir).map(({ rel, link }) =>
      link ? readRepoFile(abs, rel, realDirs) : readListed(abs, rel),
    );
  const subscribers = read("subscribers");
  return {
    root: abs,
    settings: readRepoFile(abs, settingsPath, realDirs),
    templates: read("templates"),
    sources: subscribers.filter((f) => !f.path.startsWith("subscribers/segments/")),
    segments: subscribers.filter((f) => f.path.startsWith("subscribers/segments/")),
    campaigns: read("campaigns"),
    realDirs,
  };
}

/**
 * Read a file named by the user (a template body), refusing anything that resolves outside the
 * repository, through `..` or a symbolic link. `realDirs` is the cache of the same repository's
 * read (`RepoFiles.realDirs`); without it the folders are resolved afresh.
 */
export function readRepoFile(root: string, relPath: string, realDirs: RealDirs = new Map()): RawFile {
  const rel = toPosix(relPath);
  const inside = resolveInside(root, rel, realDirs);
  if (inside.problem) return { path: rel, problem: inside.problem };
  return readFile(inside.abs, rel);
}

/** A file found by listing: the walk follows no symbolic links, so it is inside the repository. */
function readListed(root: string, rel: string): RawFile {
  return readFile(path.join(root, rel), rel);
}

function readFile(abs: string, rel: string): RawFile {
  let fd: number | undefined;
  try {
    const st = statSync(abs);
    if (!st.isFile()) return { path: rel, problem: "not-a-file" };
    if (st.size > MAX_FILE_BYTES) return { path: rel, problem: "too-large", size: st.size };
    fd = openSync(abs, "r");
    const buf = Buffer.alloc(st.size);
    let read = 0;
    while (read < st.size) {
      const n = readSync(fd, buf, read, st.size - read, read);
      if (n === 0) break;
      read += n;
    }
    const bytes = buf.subarray(0, read);
    const nul = bytes.indexOf(0);
    if (nul !== -1) {
      return {
        path: rel,
        problem: "binary",
        detail: "it holds binary data",
        at: where(bytes, nul),
        size: read,
      };
    }
    try {
      const text = UTF8.decode(bytes);
      return { path: rel, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, size: read };
    } catch {
      const bad = firstInvalidUtf8(bytes);
      const byte = (bytes[bad] ?? 0).toString(16).toUpperCase().padStart(2, "0");
      return {
        path: rel,
        problem: "binary",
        detail: `byte 0x${byte} is not UTF-8`,
        at: where(bytes, bad),
        size: read,
      };
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { path: rel, problem: "missing" };
    return { path: rel, problem: "unreadable", detail: systemError(code) };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Whether a data file named by the user exists inside the repository (subscriber sources). */
export function checkRepoPath(
  root: string,
  relPath: string,
  realDirs: RealDirs = new Map(),
): FileProblem | undefined {
  const inside = resolveInside(root, toPosix(relPath), realDirs);
  if (inside.problem) return inside.problem;
  try {
    return statSync(inside.abs).isFile() ? undefined : "not-a-file";
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : "unreadable";
  }
}

const SYSTEM_ERRORS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  ELOOP: "a symbolic link loops back on itself",
  EISDIR: "it is a folder",
  ENAMETOOLONG: "its name is too long",
};

function systemError(code: string | undefined): string {
  return `${SYSTEM_ERRORS[code ?? ""] ?? "the system refused"}${code ? ` (${code})` : ""}`;
}

/** Line and column (in characters) of byte `index`, for pointing at a bad byte. */
function where(bytes: Uint8Array, index: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < index; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      start = i + 1;
    }
  }
  const before = new TextDecoder("utf-8").decode(bytes.subarray(start, index));
  return { line, col: before.length + 1 };
}

/** Index of the first byte that breaks UTF-8 (the decoder only says that one does). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    const need =
      b < 0x80
        ? 0
        : b >= 0xc2 && b <= 0xdf
          ? 1
          : b >= 0xe0 && b <= 0xef
            ? 2
            : b >= 0xf0 && b <= 0xf4
              ? 3
              : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    // Overlong forms, surrogates and code points above U+10FFFF.
    const c1 = bytes[i + 1] ?? 0;
    if (
      (b === 0xe0 && c1 < 0xa0) ||
      (b === 0xed && c1 > 0x9f) ||
      (b === 0xf0 && c1 < 0x90) ||
      (b === 0xf4 && c1 > 0x8f)
    )
      return i;
    i += need + 1;
  }
  return bytes.length;
}

function resolveInside(
  root: string,
  rel: string,
  realDirs: RealDirs,
): { abs: string; problem?: FileProblem } {
  const abs = path.resolve(root, rel);
  if (path.isAbsolute(rel) || !isInside(root, abs)) return { abs, problem: "outside-repo" };
  try {
    // A symlink inside the repo (the file or a folder on its way) may still point outside it.
    // Folders are resolved once each; a plain file in a resolved folder needs only an lstat.
    const dir = realDir(realDirs, path.dirname(abs));
    const real = lstatSync(abs).isSymbolicLink() ? realpathSync(abs) : path.join(dir, path.basename(abs));
    if (!isInside(realDir(realDirs, root), real)) return { abs, problem: "outside-repo" };
  } catch {
    // Missing files are reported by the caller.
  }
  return { abs };
}

function realDir(realDirs: RealDirs, dir: string): string {
  let real = realDirs.get(dir);
  if (real === undefined) {
    real = realpathSync(dir);
    realDirs.set(dir, real);
  }
  return real;
}

/** YAML files under `dir`, sorted; symbolic links are marked so they are checked before reading. */
function listYaml(root: string, dir: string): { rel: string; link: boolean }[] {
  const out: { rel: string; link: boolean }[] = [];
  const walk = (rel: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = `${rel}/${entry.name}`;
      // A folder named like a YAML file is listed, not walked: the reader reports it as not a file.
      if (yamlFile.test(entry.name)) out.push({ rel: child, link: entry.isSymbolicLink() });
      else if (entry.isDirectory()) walk(child);
    }
  };
  walk(dir);
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}
