/**
 * A message as a web page: what a browser shows for a rendered message, beside its `.eml` (which a
 * browser shows as text only). The local outbox writes one per delivered message and `mailops
 * preview` writes one per preview, so either opens as the recipient would see it.
 *
 * What makes it safe to open: the headers are escaped text; the message's own HTML is the one the
 * recipient gets (its values were checked where the template puts them, docs/data-safety.md), shown
 * as the document of a sandboxed frame (`srcdoc`, attribute-escaped): no script runs in it (no
 * `allow-scripts`, and the page's policy forbids scripts for the frame too), it cannot reach this
 * page or the files beside it (an opaque origin), and its links open in a new tab at most.
 */

export interface PageMessage {
  subject: string;
  html: string;
  text: string;
  from?: string;
  to?: string;
  /** When it was sent, as text (an outbox message); absent for a preview. */
  date?: string;
}

/** Links the page shows above the message, relative to it. */
export interface PageLinks {
  eml?: string;
  index?: string;
}

const STYLE = [
  "body{font:14px system-ui,sans-serif;margin:0;color:#222}",
  "header{padding:1rem 1.5rem;background:#f5f5f5;border-bottom:1px solid #ddd}",
  "dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem 1rem;margin:0 0 .5rem}",
  "dt{font-weight:600;color:#555}dd{margin:0;overflow-wrap:anywhere}",
  "iframe{display:block;width:100%;height:75vh;border:0;border-bottom:1px solid #ddd}",
  "section{padding:1rem 1.5rem}pre{white-space:pre-wrap;overflow-wrap:anywhere;font:13px ui-monospace,monospace}",
].join("");

/**
 * The frame gets no scripts from either: the sandbox has no `allow-scripts`, and a `srcdoc`
 * document inherits this policy. `allow-popups…` lets a link with `target=_blank` open normally.
 */
const POLICY = "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'";
const SANDBOX = "allow-popups allow-popups-to-escape-sandbox";

/** The page for one message: meta charset, the subject as its title, headers, the HTML and text parts. */
export function messagePage(m: PageMessage, links: PageLinks = {}): string {
  const title = m.subject.trim() === "" ? "(no subject)" : m.subject;
  const rows: [string, string | undefined][] = [
    ["From", m.from],
    ["To", m.to],
    ["Subject", m.subject],
    ["Date", m.date],
  ];
  const headers = rows
    .filter((r): r is [string, string] => r[1] !== undefined)
    .map(([k, v]) => `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>`)
    .join("");
  const nav = [
    links.eml ? `<a href="${escapeHtml(links.eml)}">the .eml</a> (open it with a mail client)` : "",
    links.index ? `<a href="${escapeHtml(links.index)}">the outbox</a>` : "",
  ].filter(Boolean);
  const html =
    m.html === ""
      ? ""
      : `<iframe title="HTML part" sandbox="${SANDBOX}" srcdoc="${escapeHtml(m.html)}"></iframe>\n`;
  const text = m.text === "" ? "" : `<section><h2>Text part</h2><pre>${escapeHtml(m.text)}</pre></section>\n`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head><body>
<header><dl>${headers}</dl>${nav.length ? `<p>${nav.join(" · ")}</p>` : ""}</header>
${html}${text}</body></html>
`;
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text for HTML element content or a quoted attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}
