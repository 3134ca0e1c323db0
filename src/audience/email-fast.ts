/**
 * The same rule as isEmail in src/util/email.ts, as one pass over char codes: it runs for every
 * row, and the regex and split version allocates a slice per part. test/audience/email-fast.test.ts
 * checks the two agree, on cases and on random strings. An internationalized domain leaves the
 * fast path: it is converted to its ASCII form (the one IDNA conversion, util/email.ts
 * asciiDomain), which is then scanned like any other.
 */
import { asciiDomain } from "../util/email.js";

/** Characters the local part may hold besides `.` (RFC 5322 atext). */
const ATEXT = new Uint8Array(128);
const ALNUM = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") {
  ALNUM[c.charCodeAt(0)] = 1;
  ATEXT[c.charCodeAt(0)] = 1;
}
for (const c of "!#$%&'*+/=?^_`{|}~-") ATEXT[c.charCodeAt(0)] = 1;

/**
 * The usual address as one native match (two to three times the scan's speed): an ASCII local
 * part, dots only between atext runs, two or more letter-digit-hyphen labels. Only this short, no
 * local part or label can be too long, and backtracking stays within a few dozen steps; anything
 * it does not match is decided by the scan.
 */
const COMMON =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const COMMON_MAX = 64;

const INVALID = -1;
/** The domain holds a non-ASCII character: valid only in its ASCII form. */
const UNICODE = -2;

export function isEmailFast(s: string): boolean {
  return emailFast(s) !== undefined;
}

/**
 * The address as sent, or undefined when it is not valid: `s` itself when it is valid as written
 * (no allocation), or `s` with its internationalized domain in ASCII (punycode) form.
 */
export function emailFast(s: string): string | undefined {
  if (s.length <= COMMON_MAX && COMMON.test(s)) return s;
  const at = scanLocal(s);
  if (at === INVALID) return undefined;
  const r = scanDomain(s, at + 1);
  if (r === INVALID) return undefined;
  if (r !== UNICODE) return s.length <= 254 ? s : undefined;
  const ascii = asciiDomain(s.slice(at + 1));
  if (ascii === "") return undefined;
  const sent = s.slice(0, at + 1) + ascii;
  return sent.length <= 254 && scanDomain(sent, at + 1) !== INVALID ? sent : undefined;
}

/** The index of the `@` after a local part of 1-64 atext characters, dots only between them. */
function scanLocal(s: string): number {
  const n = s.length;
  let i = 0;
  let dot = true;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 64 /* @ */) break;
    if (i >= 64) return INVALID;
    if (c === 46 /* . */) {
      if (dot) return INVALID;
      dot = true;
    } else if (c < 128 && ATEXT[c] === 1) {
      dot = false;
    } else {
      return INVALID;
    }
  }
  if (i === n || i === 0 || dot) return INVALID;
  return i;
}

/**
 * Two or more labels of 1-63 letters, digits and inner hyphens from `from` to the end; a second @
 * fails here. 0 when valid; UNICODE when the domain has a non-ASCII character anywhere (its ASCII
 * form decides).
 */
function scanDomain(s: string, from: number): number {
  const n = s.length;
  let dots = 0;
  let len = 0;
  let last = 0;
  for (let j = from; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c > 127) return UNICODE;
    if (c === 46) {
      if (len === 0 || last === 45) return failAt(s, j);
      dots++;
      len = 0;
      continue;
    }
    if (c === 45 /* - */) {
      if (len === 0) return failAt(s, j);
    } else if (ALNUM[c] !== 1) {
      return failAt(s, j);
    }
    if (++len > 63) return failAt(s, j);
    last = c;
  }
  return dots > 0 && len > 0 && last !== 45 ? 0 : INVALID;
}

/** An ASCII rule failed at `j`; the domain is still judged in its ASCII form if it has a non-ASCII character. */
function failAt(s: string, j: number): number {
  for (let k = j; k < s.length; k++) if (s.charCodeAt(k) > 127) return UNICODE;
  return INVALID;
}
