/**
 * A command that ended with an error, on stderr: what the error carries to show first (a
 * repository's validation errors), then its message and hint; the exit code is the error's. Only
 * the entry catches: anything not a MailopsError is a bug and shows its stack.
 */
import { InvalidProjectError } from "../commands/validate.js";
import { MailopsError } from "../errors.js";
import { formatFindings } from "../present/findings.js";

export function presentFailure(e: unknown, err: (s: string) => void): number {
  if (e instanceof InvalidProjectError) err(formatFindings(e.errors, "text", e.fileCount));
  if (e instanceof MailopsError) {
    err(`mailops: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ""}`);
    return e.exitCode;
  }
  err(`mailops: internal error (please report it): ${(e as Error).stack ?? String(e)}\n`);
  return 1;
}
