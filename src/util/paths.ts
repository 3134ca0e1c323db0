import path from "node:path";

/**
 * Whether `file` is `root` or lies under it, comparing resolved paths (no file-system access, so
 * symbolic links are the caller's to resolve). A name that merely starts with dots (`..foo`) is
 * inside; only `..` itself, `../…` or a path on another drive is outside.
 */
export function isInside(root: string, file: string): boolean {
  // A file named under the root, with no `..` to climb out by: inside, without resolving both (a
  // validate asks this of every template file).
  if (
    file.startsWith(root) &&
    (file.length === root.length || file[root.length] === path.sep || root.endsWith(path.sep)) &&
    root !== "" &&
    !file.includes("..")
  )
    return true;
  const rel = path.relative(root, file);
  return rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
