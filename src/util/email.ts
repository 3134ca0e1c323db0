/**
 * Address checks shared by config lint and the audience reader, and the address key. Deliberately
 * simple: no regex backtracking traps.
 */
import { domainToASCII } from "node:url";

const LOCAL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/**
 * What an internationalized domain may not hold: ASCII other than letters, digits, `.`, `-`, or a
 * label starting or ending with `-` (the IDNA host parser lets both through).
 */
const NOT_IDN = /[^A-Za-z0-9.\u0080-\uffff-]|(?:^|\.)-|-(?:$|\.)/;

/**
 * A valid address: an ASCII local part (SES does not take SMTPUTF8 local parts) and a domain
 * whose ASCII form (see asciiDomain) is two or more LDH labels; 254 characters at most as sent.
 */
export function isEmail(address: string): boolean {
  const at = address.lastIndexOf("@");
  if (at <= 0 || at !== address.indexOf("@")) return false;
  const local = address.slice(0, at);
  let domain = address.slice(at + 1);
  if (!isAscii(domain)) domain = asciiDomain(domain);
  if (at + 1 + domain.length > 254) return false;
  if (!LOCAL.test(local) || local.startsWith(".") || local.endsWith(".") || local.includes(".."))
    return false;
  const labels = domain.split(".");
  return labels.length >= 2 && labels.every((l) => LABEL.test(l));
}

/**
 * The ASCII (IDNA, punycode) form of a domain with non-ASCII characters, as SES needs it:
 * `bücher.example` → `xn--bcher-kva.example`; "" when it has none. Checked before conversion
 * (NOT_IDN): the IDNA host parser would percent-decode `%41` and pass characters no domain holds.
 */
export function asciiDomain(domain: string): string {
  return NOT_IDN.test(domain) ? "" : domainToASCII(domain);
}

/** Whether the local part holds a non-ASCII character: an SMTPUTF8 address, which SES does not take. */
export function hasNonAsciiLocalPart(address: string): boolean {
  const at = address.lastIndexOf("@");
  return !isAscii(at < 0 ? address : address.slice(0, at));
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
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
    return name !== undefined && isSenderAddress(address) ? { name: name || undefined, address } : undefined;
  }
  return isSenderAddress(trimmed) ? { address: trimmed } : undefined;
}

/** A From or Reply-To address is passed to SES as written, so its domain must be ASCII already. */
function isSenderAddress(address: string): boolean {
  return isAscii(address) && isEmail(address);
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

/** The domain of an address (or a bare domain) in key form: lowercase, ASCII (see normalizeAddress). */
export function domainOf(address: string): string {
  return normalizeDomain(address.slice(address.lastIndexOf("@") + 1));
}

/** A character no address key has: a capital, or one past ASCII (a surrogate half included). */
const NOT_KEY_FORM = /[A-Z\u0080-\uffff]/;

/**
 * The address key: the one identity of an address for dedupe, suppression (local, SES account
 * list, contact-list opt-outs), exclude lists, segment conditions on email fields, ledger ids and
 * unsubscribe tokens. Surrounding whitespace trimmed, Unicode in NFC, the whole address lowercased,
 * the domain in its ASCII (IDNA) form: ` Ann@Bücher.Example` → `ann@xn--bcher-kva.example`.
 *
 * The local part is folded too. RFC 5321 lets a server tell `Ann@` from `ann@`, but no large
 * mailbox provider does, so two spellings are one person: keeping them apart sent them the mail
 * twice, and let `Ann@` through an opt-out recorded as `ann@`. The key is only for comparing;
 * what is sent is the first row's own spelling (audience/audience.ts Recipient.address).
 *
 * Runs per row: an address already in key form (ASCII, no capitals, nothing to trim) is returned
 * as it is after one native scan, so no string is allocated. Idempotent.
 */
export function normalizeAddress(address: string): string {
  const n = address.length;
  // A regular expression reads a string sliced from the read text in place, twice as fast as a
  // loop of charCodeAt over it.
  if (n > 0 && address.charCodeAt(0) > 32 && address.charCodeAt(n - 1) > 32 && !NOT_KEY_FORM.test(address))
    return address;
  const a = address.trim();
  if (isAscii(a)) return a.toLowerCase();
  const s = a.normalize("NFC");
  const at = s.lastIndexOf("@");
  // Without an @ it is read as a domain or part of one (`ends_with: bücher.example` in a segment).
  if (at < 0) return normalizeDomain(s);
  return `${fold(s.slice(0, at))}@${normalizeDomain(s.slice(at + 1))}`;
}

/** A domain in key form: lowercase ASCII; a non-ASCII domain IDNA cannot convert is kept folded. */
function normalizeDomain(domain: string): string {
  if (isAscii(domain)) return domain.toLowerCase();
  return asciiDomain(domain) || fold(domain);
}

/** Lowercase in NFC (lowercasing can decompose: `İ` becomes `i` + a combining dot). */
function fold(s: string): string {
  return s.toLowerCase().normalize("NFC");
}

/**
 * The address key before version 2 (trimmed, domain lowercased, local part kept as written),
 * unchanged. Only for the ledger ids of runs started under it: src/send/ledger.ts.
 */
export function legacyAddressKeyV1(address: string): string {
  let a = address;
  const first = a.charCodeAt(0);
  const last = a.charCodeAt(a.length - 1);
  if (first <= 32 || last <= 32) a = a.trim();
  const at = a.lastIndexOf("@");
  if (at < 0) return a;
  for (let i = at + 1; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 127) return a.slice(0, at + 1) + a.slice(at + 1).toLowerCase();
  }
  return a;
}
