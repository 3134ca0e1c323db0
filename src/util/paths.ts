import path from "node:path";

/**
 * Whether `file` is `root` or lies under it, comparing resolved paths (no file-system access, so
 * symbolic links are the caller's to resolve). A name that merely starts with dots (`..foo`) is
 * inside; only `..` itself, `../…` or a path on another drive is outside.
 */
export function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
