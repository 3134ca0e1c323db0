/**
 * Paths of findings, which are from the project root, as GitHub places annotations: from the
 * workspace (in the action) or the working directory (`mailops validate --format github`).
 */
import path from "node:path";

/** `file` (relative to the project directory `dir`) as a `/`-separated path from `base`. */
export function pathFrom(base: string, dir: string, file: string): string {
  return path.relative(base, path.resolve(dir, file)).split(path.sep).join("/");
}

/** The findings with their files as paths from `base` instead of from the project directory `dir`. */
export function findingsFrom<T extends { file: string }>(findings: T[], base: string, dir: string): T[] {
  return findings.map((f) => ({ ...f, file: pathFrom(base, dir, f.file) }));
}
