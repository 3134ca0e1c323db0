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

/** The dedupe and ledger key of an address: trimmed, domain lowercased, local part kept as given. */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  const at = trimmed.lastIndexOf("@");
  return at < 0 ? trimmed : `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`;
}
