/**
 * Where a substituted value lands in HTML: a small tokenizer over the static text of a template,
 * after the HTML5 tokenizer's states (text, tag, attribute name, attribute value quoted or not,
 * comment, raw text of `<script>`/`<style>`), carried across the Handlebars nodes between the text.
 * Pure; the template walker (outputs.ts) feeds it the text and asks it the context of each value.
 *
 * Beyond what browsers do, the body of an Outlook conditional comment (`<!--[if mso]>…<![endif]-->`)
 * is read as HTML, as Outlook renders it; browsers see a comment there, which a value cannot end
 * since every HTML context refuses `>`.
 */

/** The place a value is substituted into, each with its own rule for what the value may contain. */
export type Context =
  | "subject"
  | "text"
  | "html-text"
  | "attr-double"
  | "attr-single"
  | "attr-unquoted"
  | "url-double"
  | "url-single"
  | "url-unquoted"
  /** Contexts no value is made safe for: refused at validate, and any text value at send. */
  | "script"
  | "style"
  | "comment"
  | "tag"
  | "unknown";

export const STRICT_CONTEXTS: ReadonlySet<Context> = new Set([
  "script",
  "style",
  "comment",
  "tag",
  "unknown",
]);

const DATA = 0;
const TAG_OPEN = 1;
const END_TAG_OPEN = 2;
const TAG_NAME = 3;
const BEFORE_ATTR_NAME = 4;
const ATTR_NAME = 5;
const AFTER_ATTR_NAME = 6;
const BEFORE_ATTR_VALUE = 7;
const ATTR_DOUBLE = 8;
const ATTR_SINGLE = 9;
const ATTR_UNQUOTED = 10;
const AFTER_ATTR_QUOTED = 11;
const SELF_CLOSING = 12;
/** After `<!`: not yet known whether a comment, a conditional comment or a doctype follows. */
const MARKUP = 13;
const COMMENT = 14;
/** `<!doctype …>`, `<?…>`, `<![endif]>`: ends at the first `>`. */
const BOGUS = 15;
/** The element's text up to its end tag: `<script>`, `<style>`, `<title>`, `<textarea>`… */
const RAW = 16;
/** `<!--[if mso]>` up to its `]>`, after which Outlook reads HTML. */
const CONDITION = 17;
/** Too many ways the branches before could have left the HTML: nothing is known any more. */
const UNKNOWN = 18;

export interface HtmlState {
  readonly s: number;
  /** The tag being read, lower case; an end tag starts with `/`. */
  readonly tag: string;
  /** The attribute being read, lower case. */
  readonly attr: string;
  /** In a URL attribute's value whose scheme is not settled yet (no `:`, `/`, `?` or `#` so far). */
  readonly url: boolean;
  /** Look-ahead carried across nodes: the comment so far (its first or last 3 chars), a candidate end tag in raw text. */
  readonly buf: string;
  /** The element whose end tag ends the raw text. */
  readonly raw: string;
}

export const START: HtmlState = state(DATA);
const UNKNOWN_STATE: HtmlState = state(UNKNOWN);

function state(s: number, tag = "", attr = "", url = false, buf = "", raw = ""): HtmlState {
  return { s, tag, attr, url, buf, raw };
}

/**
 * Attributes whose value is a URL a reader or the mail client follows or loads. A value that
 * starts one must carry its own safe scheme.
 */
const URL_ATTRS = new Set([
  "href",
  "src",
  "action",
  "formaction",
  "poster",
  "cite",
  "background",
  "srcset",
  "imagesrcset",
  "xlink:href",
  "longdesc",
  "usemap",
  "codebase",
  "data",
  "manifest",
  "profile",
  "lowsrc",
  "dynsrc",
  "classid",
  "archive",
  "icon",
  "ping",
]);
/** A comma starts another URL in these. */
const URL_LIST_ATTRS = new Set(["srcset", "imagesrcset", "ping", "archive"]);
/**
 * Raw-text elements: their text is script or CSS, or ends only at their end tag. Not `<noscript>`:
 * mail clients run no scripts, so they read its content as HTML.
 */
function rawElement(tag: string): Context | undefined {
  // A switch, not an object's keys: `tag` is a new string each time (a lookup by key would intern
  // it), and no name inherited from Object.prototype (`constructor`) may count as an element.
  switch (tag) {
    case "script":
      return "script";
    case "style":
      return "style";
    case "textarea":
    case "title":
    case "xmp":
    case "iframe":
    case "noembed":
    case "noframes":
      return "html-text";
    default:
      return undefined;
  }
}

/** Whether a URL attribute's value is still unsettled after the character `c`. */
function urlAfter(url: boolean, c: number, attr: string): boolean {
  if (url && (c === 58 || c === 47 || c === 63 || c === 35)) return false; // : / ? #
  if (!url && c === 44 && URL_LIST_ATTRS.has(attr)) return true; // , starts the next URL
  return url;
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
/** Lower case of one character; ASCII (nearly every tag and attribute name) without a call. */
const lower = (c: number, ch: string) =>
  c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : c < 128 ? ch : ch.toLowerCase();

/** The end of the tag or attribute name that goes on at `i`: a space, `/`, `>` (or for an attribute `=`). */
function nameEnd(text: string, i: number, attribute: boolean): number {
  let j = i;
  for (; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (isSpace(c) || c === 47 || c === 62 || (attribute && c === 61)) break;
  }
  return j;
}

/** `text[i, end)` in lower case, character by character as `lower` does it. */
function lowerRun(text: string, i: number, end: number): string {
  let ascii = true;
  for (let j = i; j < end && ascii; j++) ascii = text.charCodeAt(j) < 128;
  if (ascii) return text.slice(i, end).toLowerCase();
  let out = "";
  for (let j = i; j < end; j++) out += lower(text.charCodeAt(j), text.charAt(j));
  return out;
}

/** The state after the static text `text`, from `from`. */
export function advance(from: HtmlState, text: string): HtmlState {
  let { s, tag, attr, url, buf, raw } = from;
  if (s === UNKNOWN) return from;
  // No closures over the state: captured, these would live in memory rather than registers.
  for (let i = 0; i < text.length; i++) {
    if (s === DATA) {
      // Only `<` leaves the text state: skip to it.
      i = text.indexOf("<", i);
      if (i === -1) break;
      s = TAG_OPEN;
      continue;
    }
    const c = text.charCodeAt(i);
    // `>` ends a tag in every state inside one but a quoted value (one place, a smaller function).
    if (c === 62 && s >= TAG_NAME && s <= SELF_CLOSING && s !== ATTR_DOUBLE && s !== ATTR_SINGLE) {
      // `<script/>` is still a script start tag in HTML, so SELF_CLOSING ends here too.
      const element = rawElement(tag);
      raw = element ? tag : "";
      s = element ? RAW : DATA;
      tag = "";
      attr = "";
      url = false;
      buf = "";
      continue;
    }
    const ch = text[i] as string;
    switch (s) {
      case TAG_OPEN:
        if (c === 33) {
          s = MARKUP; // !
          buf = "";
        } else if (c === 47) s = END_TAG_OPEN;
        else if (isAlpha(c)) {
          s = TAG_NAME;
          tag = lower(c, ch);
        } else if (c === 63)
          s = BOGUS; // ?
        else {
          s = DATA; // a lone `<` is text
          i--;
        }
        break;
      case END_TAG_OPEN:
        if (isAlpha(c)) {
          s = TAG_NAME;
          tag = `/${lower(c, ch)}`;
        } else if (c === 62) s = DATA;
        else s = BOGUS;
        break;
      case TAG_NAME:
        if (isSpace(c)) s = BEFORE_ATTR_NAME;
        else if (c === 47) s = SELF_CLOSING;
        else {
          // The rest of the name at once: one string, not one per character.
          const end = nameEnd(text, i, false);
          tag += lowerRun(text, i, end);
          i = end - 1;
        }
        break;
      case BEFORE_ATTR_NAME:
        if (isSpace(c)) break;
        if (c === 47) s = SELF_CLOSING;
        else {
          s = ATTR_NAME;
          attr = lower(c, ch);
        }
        break;
      case ATTR_NAME:
        if (isSpace(c)) s = AFTER_ATTR_NAME;
        else if (c === 47) {
          s = SELF_CLOSING;
          attr = "";
        } else if (c === 61)
          s = BEFORE_ATTR_VALUE; // =
        else {
          const end = nameEnd(text, i, true);
          attr += lowerRun(text, i, end);
          i = end - 1;
        }
        break;
      case AFTER_ATTR_NAME:
        if (isSpace(c)) break;
        if (c === 47) {
          s = SELF_CLOSING;
          attr = "";
        } else if (c === 61) s = BEFORE_ATTR_VALUE;
        else {
          s = ATTR_NAME;
          attr = lower(c, ch);
        }
        break;
      case BEFORE_ATTR_VALUE:
        if (isSpace(c)) break;
        url = URL_ATTRS.has(attr);
        if (c === 34) s = ATTR_DOUBLE;
        else if (c === 39) s = ATTR_SINGLE;
        else {
          s = ATTR_UNQUOTED;
          url = urlAfter(url, c, attr);
        }
        break;
      case ATTR_DOUBLE:
      case ATTR_SINGLE:
        if (c === (s === ATTR_DOUBLE ? 34 : 39)) {
          s = AFTER_ATTR_QUOTED;
          attr = "";
          url = false;
        } else if (!url && !URL_LIST_ATTRS.has(attr)) {
          // Only the closing quote changes the state now: go to it.
          const close = text.indexOf(s === ATTR_DOUBLE ? '"' : "'", i);
          i = (close === -1 ? text.length : close) - 1;
        } else url = urlAfter(url, c, attr);
        break;
      case ATTR_UNQUOTED:
        if (isSpace(c)) {
          s = BEFORE_ATTR_NAME;
          attr = "";
          url = false;
        } else url = urlAfter(url, c, attr);
        break;
      case AFTER_ATTR_QUOTED:
        if (isSpace(c)) s = BEFORE_ATTR_NAME;
        else if (c === 47) s = SELF_CLOSING;
        else {
          s = BEFORE_ATTR_NAME;
          i--;
        }
        break;
      case SELF_CLOSING:
        // Not `>` (above: `<script/>` is still a script start tag in HTML): the `/` was nothing.
        s = BEFORE_ATTR_NAME;
        i--;
        break;
      case MARKUP:
        buf += ch;
        if (buf === "--") {
          s = COMMENT;
          buf = "";
        } else if (buf !== "-") s = c === 62 ? DATA : BOGUS;
        if (s !== MARKUP && s !== COMMENT) buf = "";
        break;
      case COMMENT:
        if (c === 62 && (buf === "" || buf === "-" || buf.endsWith("--") || buf.endsWith("--!"))) {
          s = DATA; // `-->`, `--!>`, and the abrupt `<!-->` and `<!--->`
          buf = "";
          break;
        }
        // The first three characters decide a conditional comment; after them only the last three matter.
        buf = buf.length < 3 ? buf + ch : `\u0000${(buf + ch).slice(-3)}`;
        if (buf === "[if") s = CONDITION;
        break;
      case CONDITION:
        if (c === 62 && buf.endsWith("]")) {
          s = DATA;
          buf = "";
        } else buf = ch;
        break;
      case BOGUS:
        if (c === 62) s = DATA;
        break;
      case RAW:
        // Only `</name` followed by a space, `/` or `>` ends the raw text.
        if (buf === `</${raw}` && (isSpace(c) || c === 47 || c === 62)) {
          tag = `/${raw}`;
          raw = "";
          buf = "";
          if (c === 62) {
            s = DATA;
            tag = "";
          } else s = c === 47 ? SELF_CLOSING : BEFORE_ATTR_NAME;
        } else if (c === 60) buf = "<";
        else if (buf !== "" && `</${raw}`.startsWith(buf + lower(c, ch))) buf += lower(c, ch);
        else buf = "";
        break;
    }
  }
  if (s === DATA) return START;
  return state(s, tag, attr, url, buf, raw);
}

/** The context of a value substituted in this state. */
export function contextAt(st: HtmlState): Context {
  switch (st.s) {
    case DATA:
      return "html-text";
    case RAW:
      if (st.buf !== "") return "tag"; // the value would be part of a candidate end tag
      return rawElement(st.raw) ?? "html-text";
    case BEFORE_ATTR_VALUE:
    case ATTR_DOUBLE:
    case ATTR_SINGLE:
    case ATTR_UNQUOTED: {
      const a = st.attr;
      if (a === "style") return "style";
      if (a.startsWith("on") || a === "srcdoc") return "script";
      const quote = st.s === ATTR_DOUBLE ? "double" : st.s === ATTR_SINGLE ? "single" : "unquoted";
      const isUrl = st.s === BEFORE_ATTR_VALUE ? URL_ATTRS.has(a) : st.url;
      return `${isUrl ? "url" : "attr"}-${quote}` as Context;
    }
    case MARKUP:
    case COMMENT:
    case BOGUS:
    case CONDITION:
      return "comment";
    case UNKNOWN:
      return "unknown";
    default:
      return "tag";
  }
}

/**
 * The states after a value is substituted. `present`: the value is known not to be empty (a
 * required variable, or one inside `{{#if}}` of itself); the rules for unquoted attributes and URLs
 * refuse an empty string, so such a value starts the unquoted value and settles the URL. A value
 * that may be missing leaves both possibilities.
 */
export function afterValue(st: HtmlState, present: boolean): HtmlState[] {
  switch (st.s) {
    case BEFORE_ATTR_VALUE: {
      if (st.attr === "style" || st.attr.startsWith("on") || st.attr === "srcdoc") return [st];
      const started = state(ATTR_UNQUOTED, st.tag, st.attr, false);
      return present ? [started] : [st, started];
    }
    case ATTR_DOUBLE:
    case ATTR_SINGLE:
    case ATTR_UNQUOTED: {
      if (!st.url) return [st];
      const settled = state(st.s, st.tag, st.attr, false, st.buf, st.raw);
      return present ? [settled] : [st, settled];
    }
    case RAW:
      // A value there has no `<`, so it cannot start an end tag; an empty one keeps the candidate.
      return st.buf === "" || present ? [{ ...st, buf: "" }] : [st, { ...st, buf: "" }];
    default:
      return [st];
  }
}

/**
 * Whether a value substituted in this state may leave another state (afterValue): in an attribute
 * value or raw text. Elsewhere the state after a value is the state before it.
 */
export function valueMayChange(st: HtmlState): boolean {
  return (
    st.s === BEFORE_ATTR_VALUE ||
    st.s === ATTR_DOUBLE ||
    st.s === ATTR_SINGLE ||
    st.s === ATTR_UNQUOTED ||
    st.s === RAW
  );
}

/** The key two states are told apart by: equal keys, equal futures. */
export function stateKey(st: HtmlState): string {
  return `${st.s}|${st.tag}|${st.attr}|${st.url ? 1 : 0}|${st.buf}|${st.raw}`;
}

/** More possible states than this (after many branches that leave the HTML differently): unknown. */
export const MAX_STATES = 16;

/** The union of sets of states, deduplicated; past MAX_STATES, the one unknown state. */
export function union(...sets: HtmlState[][]): HtmlState[] {
  // One set of one state, the common case after text or a value: nothing to merge.
  const only = sets.length === 1 ? sets[0] : undefined;
  if (only?.length === 1) return (only[0] as HtmlState).s === UNKNOWN ? [UNKNOWN_STATE] : only;
  const seen = new Map<string, HtmlState>();
  for (const set of sets) for (const st of set) seen.set(stateKey(st), st);
  if (seen.size > MAX_STATES || [...seen.values()].some((st) => st.s === UNKNOWN)) return [UNKNOWN_STATE];
  return [...seen.values()];
}

export function sameStates(a: HtmlState[], b: HtmlState[]): boolean {
  if (a.length !== b.length) return false;
  const keys = new Set(a.map(stateKey));
  return b.every((st) => keys.has(stateKey(st)));
}

export const UNKNOWN_STATES: HtmlState[] = [UNKNOWN_STATE];
