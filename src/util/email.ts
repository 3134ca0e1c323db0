/** Address checks shared by config lint and the audience reader. Deliberately simple: no regex backtracking traps. */

const LOCAL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function isEmail(address: string): boolean {
  const at = address.lastIndexOf("@");
  if (at <= 0 || at !== address.indexOf("@") || address.length > 254) return false;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (!LOCAL.test(local) || local.startsWith(".") || local.endsWith(".") || local.includes(".."))
    return false;
  const labels = domain.split(".");
  return labels.length >= 2 && labels.every((l) => LABEL.test(l));
}

export interface Mailbox {
  name?: string;
  address: string;
}

/** Parse `Display Name <user@example.com>` or a bare address; undefined when it is neither. */
export function parseMailbox(text: string): Mailbox | undefined {
  const trimmed = text.trim();
  const angle = /^(.*?)\s*<([^<>]+)>$/.exec(trimmed);
  if (angle) {
    const address = (angle[2] ?? "").trim();
    const name = displayName((angle[1] ?? "").trim());
    return name !== undefined && isEmail(address) ? { name: name || undefined, address } : undefined;
  }
  return isEmail(trimmed) ? { address: trimmed } : undefined;
}

/**
 * The display name as mail shows it, or undefined when it is not one: unquoted names may not hold
 * RFC 5322 specials (`Acme, Inc.` would read as two addresses), quoted ones may not hold a bare `"`.
 */
function displayName(raw: string): string | undefined {
  const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(raw);
  if (quoted) return (quoted[1] ?? "").replace(/\\(.)/g, "$1");
  return /[<>@,;:"[\]\\]/.test(raw) ? undefined : raw;
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}

/**
 * The key an address is deduplicated, suppressed and recorded under: trimmed, domain lowercased.
 * The local part keeps its case (RFC 5321 lets a server distinguish it, and SES does not fold it).
 * Returns the input itself when it is already in key form, so no string is allocated per row.
 */
export function normalizeAddress(address: string): string {
  let a = address;
  const first = a.charCodeAt(0);
  const last = a.charCodeAt(a.length - 1);
  if (first <= 32 || last <= 32) a = a.trim();
  const at = a.lastIndexOf("@");
  if (at < 0) return a;
  for (let i = at + 1; i < a.length; i++) {
    const c = a.charCodeAt(i);
    // ASCII capitals, or anything non-ASCII (an internationalized domain): lowercase the domain.
    if ((c >= 65 && c <= 90) || c > 127) return a.slice(0, at + 1) + a.slice(at + 1).toLowerCase();
  }
  return a;
}
