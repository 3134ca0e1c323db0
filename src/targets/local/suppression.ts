/** The `local` target's suppression list: .mailops/local/suppressed, one address per line. */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import type { SuppressionCheck } from "../../audience/index.js";
import { normalizeAddress } from "../../util/email.js";
import { KeySet } from "../../util/key-set.js";

/** SES's mailbox simulator treats this address as on the account suppression list. */
const SIMULATOR_SUPPRESSED = "suppressionlist@simulator.amazonses.com";

export const LOCAL_SUPPRESSION_FILE = path.join(".mailops", "local", "suppressed");

/**
 * Lines are trimmed; blank lines and `#` comments (a whole line, or after whitespace) are
 * ignored. A missing file is an empty list. Entries are stored in key form (util/email.ts
 * normalizeAddress), so the file may spell an address in any case, its domain in Unicode or ASCII.
 */
export async function localSuppression(root: string): Promise<SuppressionCheck & { readonly size: number }> {
  // A KeySet, like the dedupe set: checked for every selected recipient, and it can be large.
  const keys = new KeySet();
  keys.add(SIMULATOR_SUPPRESSED);
  const file = path.join(root, LOCAL_SUPPRESSION_FILE);
  const exists = await stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
  if (exists) {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const text of lines) {
      const line = stripComment(text).trim();
      if (line !== "") keys.add(normalizeAddress(line));
    }
  }
  return keys;
}

/** `#` starts a comment at the start of a line or after whitespace; `a#b@example.com` is an address. */
function stripComment(line: string): string {
  if (line.trimStart().startsWith("#")) return "";
  const m = /\s#/.exec(line);
  return m ? line.slice(0, m.index) : line;
}
