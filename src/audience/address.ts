/** Address forms used by the audience: the dedupe/ledger key, and a masked form safe for messages. */

/**
 * The key an address is deduplicated, suppressed and recorded under: trimmed, domain lowercased.
 * The local part keeps its case (RFC 5321 lets a server distinguish it, and SES does not fold it).
 * Returns the input itself when it is already in key form, so no string is allocated per row.
 */
export function addressKey(address: string): string {
  let a = address;
  const first = a.charCodeAt(0);
  const last = a.charCodeAt(a.length - 1);
  if (first <= 32 || last <= 32) a = a.trim();
  const at = a.lastIndexOf("@");
  if (at < 0) return a;
  for (let i = at + 1; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c >= 65 && c <= 90) return a.slice(0, at + 1) + a.slice(at + 1).toLowerCase();
  }
  return a;
}

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
