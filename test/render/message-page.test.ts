/**
 * A message as a page (render/message-page.ts): what the local outbox and `mailops preview` write
 * for a browser. Every page declares its charset and has a title; the message's own HTML is the
 * sandboxed frame's document, exactly; nothing from the message becomes markup of the page.
 */
import { describe, expect, it } from "vitest";
import { escapeHtml, messagePage } from "../../src/render/message-page.js";
import { htmlPartOf } from "../support/message-page.js";

/** The elements the page itself is made of, whatever the message holds. */
const PAGE_TAGS = new Set(
  "html head meta title style body header dl dt dd p a iframe section h2 pre".split(" "),
);
const tagsOf = (page: string) =>
  new Set([...page.matchAll(/<([a-z][a-z0-9-]*)/gi)].map((m) => m[1]?.toLowerCase()));

const HOSTILE = `<p onclick="steal()">Hi</p><script>alert(1)</script><img src=x onerror=alert(2)>"'&amp;`;

describe("messagePage", () => {
  const message = {
    subject: "Welcome, Ann!",
    html: "<html><body><h2>Hello Ann</h2></body></html>",
    text: "Hello Ann",
    from: "Acme <news@example.com>",
    to: "ann@example.com",
    date: "Tue, 01 Dec 2026 09:00:00 GMT",
  };

  it("declares its charset first and has the subject as its title", () => {
    const page = messagePage(message);
    expect(page).toMatch(/^<!doctype html>\n<html lang="en"><head><meta charset="utf-8">/);
    expect(page).toContain("<title>Welcome, Ann!</title>");
    expect(messagePage({ ...message, subject: " " })).toContain("<title>(no subject)</title>");
  });

  it("shows From, To, Subject and Date, and links the .eml and the index it is given", () => {
    const page = messagePage(message, { eml: "./on-merge.x.eml", index: "./index.html" });
    expect(page).toContain("<dt>From</dt><dd>Acme &lt;news@example.com&gt;</dd>");
    expect(page).toContain("<dt>To</dt><dd>ann@example.com</dd>");
    expect(page).toContain("<dt>Subject</dt><dd>Welcome, Ann!</dd>");
    expect(page).toContain("<dt>Date</dt><dd>Tue, 01 Dec 2026 09:00:00 GMT</dd>");
    expect(page).toContain('<a href="./on-merge.x.eml">');
    expect(page).toContain('<a href="./index.html">');
    expect(messagePage({ subject: "s", html: "", text: "t" })).not.toContain("<dt>From</dt>");
  });

  it("the HTML part is the frame's document exactly, in a sandbox that runs no script", () => {
    const page = messagePage({ ...message, html: HOSTILE });
    expect(htmlPartOf(page)).toBe(HOSTILE);
    const frame = /<iframe [^>]*>/.exec(page)?.[0] ?? "";
    expect(frame).toMatch(/ sandbox="[^"]*"/);
    expect(frame).not.toMatch(/allow-scripts|allow-same-origin/);
    expect(page).toMatch(/<meta http-equiv="Content-Security-Policy" content="script-src 'none';/);
    expect([...tagsOf(page)].every((t) => PAGE_TAGS.has(t as string))).toBe(true);
    expect(page).not.toMatch(/<script|<img/i);
  });

  it("headers and the text part are text: markup in them stays text", () => {
    const page = messagePage({
      subject: `<b>Sale</b> & "more"`,
      html: "",
      text: `</pre><script>alert(1)</script>`,
      from: `"</title><script>x()</script>" <a@example.com>`,
      to: "<a@example.com>",
    });
    expect([...tagsOf(page)].every((t) => PAGE_TAGS.has(t as string))).toBe(true);
    expect(page).toContain("<title>&lt;b&gt;Sale&lt;/b&gt; &amp; &quot;more&quot;</title>");
    expect(page).toContain("<pre>&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;</pre>");
    expect(page).not.toContain("<iframe");
  });

  it("escapeHtml leaves no character that could end text or a quoted attribute", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
  });
});
