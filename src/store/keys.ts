/**
 * Key rules shared by both backends, so a key that works on `local` works on S3 and the reverse.
 * Keys map onto file paths in LocalStore, so anything that could escape the directory or mean a
 * different path on another OS is refused. Segments starting with "." are reserved: LocalStore
 * keeps its temp and lock files under `.store/` inside the directory.
 */
import { InvalidKeyError } from "./errors.js";

/** S3's limit for a whole key; the store prefix counts too, so S3Store checks the total again. */
export const MAX_KEY_BYTES = 1024;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const controlChars = /[\u0000-\u001f\u007f]/;

export function assertValidKey(key: string): void {
  const reason = keyProblem(key, false);
  if (reason !== undefined) throw new InvalidKeyError(key, reason);
}

/** A list prefix: like a key, but it may be empty and may end with "/" or inside a segment. */
export function assertValidPrefix(prefix: string): void {
  if (prefix === "") return;
  const reason = keyProblem(prefix, true);
  if (reason !== undefined) throw new InvalidKeyError(prefix, reason);
}

function keyProblem(key: string, isPrefix: boolean): string | undefined {
  if (typeof key !== "string" || key === "") return "it is empty";
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) return `it is longer than ${MAX_KEY_BYTES} bytes`;
  if (key.includes("\\")) return "backslashes are not allowed; use /";
  if (controlChars.test(key)) return "control characters are not allowed";
  if (key.startsWith("/")) return "it must not start with /";
  const segments = key.split("/");
  // A prefix may end with "/" (list a "folder"), which leaves one empty last segment.
  const checked = isPrefix && segments.at(-1) === "" ? segments.slice(0, -1) : segments;
  for (const segment of checked) {
    if (segment === "") return "empty segments (// or a trailing /) are not allowed";
    if (segment === "." || segment === "..") return "segments . and .. are not allowed";
    if (segment.startsWith(".")) return "segments must not start with . (reserved for the store's own files)";
  }
  return undefined;
}

/** UTF-8 byte order, which is the order S3 lists keys in; used by both backends. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
