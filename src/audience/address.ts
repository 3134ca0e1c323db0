/** An address masked for messages (the dedupe/ledger key is util/email.ts normalizeAddress). */

/**
 * `john@example.com` → `j***@example.com`: enough to find the row, not enough to read the address.
 * Text without an `@` keeps only its first character.
 */
export function maskAddress(text: string): string {
  const t = text.trim();
  if (t === "") return "(empty)";
  const at = t.lastIndexOf("@");
  const first = t.slice(0, 1);
  if (at <= 0) return `${first}***`;
  // A long tail is junk, not a domain; cut it so a broken row cannot flood a message.
  const domain = t.slice(at);
  return `${first}***${domain.length > 64 ? `${domain.slice(0, 61)}...` : domain}`;
}
