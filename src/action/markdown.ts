/**
 * Markdown helpers for comments and job summaries: inline code, and cutting text without breaking
 * it. Escaping and fences are in src/util/markdown.ts, shared with the plan formatter.
 */

/** GitHub rejects an issue comment longer than this (characters). */
export const COMMENT_LIMIT = 65_536;

/** GitHub refuses a step summary over 1 MiB (bytes, UTF-8). */
export const SUMMARY_LIMIT_BYTES = 1_048_576;

/** Inline code that survives any content: backticks become quotes, pipes are escaped for tables. */
export function code(s: string): string {
  return `\`${s.replace(/`/g, "'").replace(/\|/g, "\\|")}\``;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? word : many}`;
}

/**
 * Cut `text` to at most `max` characters at a line end and append `note`, closing a code fence or
 * `<details>` left open by the cut, so the rest of the document still renders.
 */
export function truncateMarkdown(text: string, max: number, note: string): string {
  if (text.length <= max) return text;
  const closers = "\n```\n</details>\n</details>\n";
  let room = Math.max(0, max - note.length - closers.length - 2);
  let cut = text.slice(0, room);
  const nl = cut.lastIndexOf("\n");
  if (nl > 0) cut = cut.slice(0, nl);
  room = cut.length;
  let tail = "";
  if ((cut.match(/^```/gm) ?? []).length % 2 === 1) tail += "\n```";
  const open = (cut.match(/<details>/g) ?? []).length - (cut.match(/<\/details>/g) ?? []).length;
  for (let i = 0; i < Math.min(open, 2); i++) tail += "\n</details>";
  return `${cut}${tail}\n\n${note}\n`;
}

/** Cut to a byte budget (UTF-8), for the step summary. */
export function truncateBytes(text: string, maxBytes: number, note: string): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  // Characters are at most 4 bytes in UTF-8: start from a safe character count, then shrink.
  let max = Math.floor(maxBytes / 4);
  let lo = max;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (Buffer.byteLength(truncateMarkdown(text, mid, note)) <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  max = lo;
  return truncateMarkdown(text, max, note);
}
