/**
 * `mailops init [DIR]`: a campaign repository of its own (scaffold/scaffold.ts): the example's
 * files, schemas and workflows, a README, and a package.json that pins mailops, so upgrading is a
 * reviewed pull request instead of a merge of the tool's sources. It returns an InitReport;
 * `cli/init.ts` presents it.
 *
 * It never overwrites a file: a folder that holds anything (but a `.git`) is refused unless
 * `force`, and then only the missing files are written (each created exclusively, so a file that
 * appears meanwhile is kept too).
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MailopsError, UsageError } from "../errors.js";
import { projectName, type ScaffoldFile, scaffoldFiles } from "../scaffold/scaffold.js";
import { actionUses, gitDependency, packageSource, parseSource } from "../scaffold/source.js";

export interface InitOptions {
  /** The new repository's folder (made if missing). */
  dir: string;
  /** The mailops package whose example and workflows are copied: its root folder. */
  packageRoot: string;
  /** Add the missing files to a folder that is not empty. */
  force?: boolean;
  /** `owner/name@tag` of mailops on GitHub (default: this package's repository, at `v<version>`). */
  mailops?: string;
  /** How package.json names mailops (default: the git dependency on that tag). */
  packageSpec?: string;
}

export interface InitReport {
  /** Absolute. */
  dir: string;
  project: string;
  /** What the workflows' `uses:` names. */
  action: string;
  /** What package.json's `dependencies.mailops` says. */
  dependency: string;
  /** Files written, relative to `dir`. */
  written: string[];
  /** Files that existed and were left as they were (only with `force`). */
  kept: string[];
}

export class FolderNotEmptyError extends MailopsError {}

/** Entries that do not make a folder "not empty": a fresh `git init` or clone. */
const IGNORED = new Set([".git"]);

function assertUsable(dir: string, force: boolean): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} exists and is not a folder`);
  const entries = readdirSync(dir).filter((e) => !IGNORED.has(e));
  if (entries.length === 0 || force) return;
  const shown = entries.slice(0, 5).join(", ") + (entries.length > 5 ? ", …" : "");
  throw new FolderNotEmptyError(
    `${dir} is not empty (${shown}): init writes a new campaign repository`,
    "choose an empty or new folder, or pass --force to add only the files that are missing (none is overwritten)",
  );
}

/** Writes `file` unless something is there: true when written. */
function writeNew(dir: string, file: ScaffoldFile): boolean {
  const target = path.join(dir, ...file.path.split("/"));
  mkdirSync(path.dirname(target), { recursive: true });
  try {
    writeFileSync(target, file.content, { flag: "wx" });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
}

export function initRepository(o: InitOptions): InitReport {
  const dir = path.resolve(o.dir);
  assertUsable(dir, o.force ?? false);
  const source = o.mailops ? parseSource(o.mailops) : packageSource(o.packageRoot);
  const report: InitReport = {
    dir,
    project: projectName(dir),
    action: actionUses(source),
    dependency: o.packageSpec ?? gitDependency(source),
    written: [],
    kept: [],
  };
  const files = scaffoldFiles(o.packageRoot, {
    project: report.project,
    repository: source.repository,
    uses: report.action,
    dependency: report.dependency,
  });
  mkdirSync(dir, { recursive: true });
  for (const file of files) (writeNew(dir, file) ? report.written : report.kept).push(file.path);
  return report;
}
