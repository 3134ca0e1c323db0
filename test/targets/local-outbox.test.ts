/**
 * The local outbox as a browser shows it (targets/local/sender.ts, outbox-index.ts): each message's
 * page beside its `.eml`, and the campaign's index in send order, linking both, split into pages
 * of rows; every page with its charset and a title; nothing from a message becomes markup.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decodeWords, writeOutboxIndex } from "../../src/targets/local/outbox-index.js";
import { LocalSender } from "../../src/targets/local/sender.js";
import type { SendRequest } from "../../src/targets/port.js";
import { scratchEach } from "../support/scratch.js";

let root: string;
const outbox = () => path.join(root, ".mailops/outbox/news");
const read = (file: string) => readFileSync(path.join(outbox(), file), "utf8");

scratchEach("outbox", (scratch) => {
  root = scratch;
  const dir = path.join(root, ".mailops/local/template");
  mkdirSync(dir, { recursive: true });
  const spec = { subject: "{{subject}}", html: "<p>Hello {{name}}</p>", text: "Hello {{name}}" };
  writeFileSync(path.join(dir, "news.json"), JSON.stringify({ spec }));
});

/** One send call: recipients by ledger id, each with their name and the subject. */
function request(ids: string[], subject = "News for {{name}}", run = "on-merge"): SendRequest {
  return {
    campaign: "news",
    run,
    template: "news",
    from: "Acme <news@example.com>",
    replyTo: [],
    tags: {},
    messages: ids.map((id) => ({
      id,
      to: `${id}@example.com`,
      data: { name: `N${id}`, subject: subject.replace("{{name}}", `N${id}`) },
      headers: [],
    })),
  };
}

/** The index's rows as [number, recipient, subject, has a page]. */
function rows(html: string): [string, string, string, boolean][] {
  return [...html.matchAll(/<tr><td>(\d+)<\/td><td>(.*?)<\/td><td>(.*?)<\/td>/g)].map((m) => {
    const cell = m[2] ?? "";
    const link = /^<a href="\.\/([^"]+)\.html">(.*)<\/a>$/.exec(cell);
    return [m[1] ?? "", link ? (link[2] ?? "") : cell, m[3] ?? "", link !== null];
  });
}

describe("the local outbox", () => {
  it("writes each message's page beside its .eml, and an index in send order linking both", async () => {
    const sender = new LocalSender(root);
    // Names that sort otherwise than they were sent.
    await sender.send(request(["zed", "amy"]));
    await sender.send(request(["kim"]));
    // Another process sending the same campaign later (a new sender, as a new run would have).
    await new LocalSender(root).send(request(["bob"], "Later for {{name}}", "20261201T090000Z"));
    const index = sender.finish("news");
    expect(index).toBe(path.join(outbox(), "index.html"));
    const html = read("index.html");
    expect(html).toMatch(
      /^<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>mailops outbox: news<\/title>/,
    );
    expect(html).toContain("4 messages.");
    expect(rows(html)).toEqual([
      ["1", "zed@example.com", "News for Nzed", true],
      ["2", "amy@example.com", "News for Namy", true],
      ["3", "kim@example.com", "News for Nkim", true],
      ["4", "bob@example.com", "Later for Nbob", true],
    ]);
    for (const name of ["on-merge.zed", "on-merge.amy", "on-merge.kim", "20261201T090000Z.bob"]) {
      expect(html).toContain(`<a href="./${name}.html">`);
      expect(html).toContain(`<a href="./${name}.eml">.eml</a>`);
      expect(existsSync(path.join(outbox(), `${name}.eml`))).toBe(true);
    }
    const page = read("on-merge.amy.html");
    expect(page).toMatch(/^<!doctype html>\n<html lang="en"><head><meta charset="utf-8">/);
    expect(page).toContain("<title>News for Namy</title>");
    expect(page).toContain("<dt>To</dt><dd>amy@example.com</dd>");
    expect(page).toContain('srcdoc="&lt;p&gt;Hello Namy&lt;/p&gt;"');
    expect(page).toContain('<a href="./on-merge.amy.eml">');
  });

  it("shows subjects decoded, and escapes what a message holds", async () => {
    const sender = new LocalSender(root);
    await sender.send(request(["ann"], "Grüße, {{name}} – 20 % off ✓ & <b>more</b>"));
    sender.finish("news");
    const html = read("index.html");
    expect(rows(html)[0]?.[2]).toBe("Grüße, Nann – 20 % off ✓ &amp; &lt;b&gt;more&lt;/b&gt;");
    expect(html).not.toContain("<b>");
    expect(read("on-merge.ann.html")).toContain(
      "<title>Grüße, Nann – 20 % off ✓ &amp; &lt;b&gt;more&lt;/b&gt;</title>",
    );
  });

  it("splits the index into pages of rows, each with its title and links to the next and previous", async () => {
    const sender = new LocalSender(root);
    await sender.send(request(["a1", "a2", "a3", "a4", "a5", "a6", "a7"]));
    // An index of a fuller outbox before, with a fourth page: gone once the index is written again.
    writeFileSync(path.join(outbox(), "index-4.html"), "old");
    writeOutboxIndex(outbox(), "news", path.join(root, ".mailops/local/events.jsonl"), { pageRows: 3 });
    const files = readdirSync(outbox()).filter((f) => f.startsWith("index"));
    expect(files.sort()).toEqual(["index-2.html", "index-3.html", "index.html"]);
    expect(read("index.html")).toContain("7 messages.");
    expect(rows(read("index.html")).map((r) => r[0])).toEqual(["1", "2", "3"]);
    expect(rows(read("index-2.html")).map((r) => r[0])).toEqual(["4", "5", "6"]);
    expect(rows(read("index-3.html")).map((r) => r[1])).toEqual(["a7@example.com"]);
    expect(read("index.html")).toContain('<a href="./index-2.html">next 3 →</a>');
    expect(read("index-2.html")).toContain('<a href="./index.html">← previous 3</a>');
    expect(read("index-2.html")).toContain('<a href="./index-3.html">next 3 →</a>');
    expect(read("index-3.html")).not.toContain("next 3");
    expect(read("index-3.html")).toMatch(
      /<meta charset="utf-8"><title>mailops outbox: news \(page 3\)<\/title>/,
    );
  });

  it("gives pages to the first messages of a campaign only, across processes, and says so", async () => {
    await new LocalSender(root, undefined, 2).send(request(["m1", "m2", "m3"]));
    await new LocalSender(root, undefined, 2).send(request(["m4"]));
    const pages = readdirSync(outbox()).filter((f) => f.endsWith(".html"));
    expect(pages.sort()).toEqual(["on-merge.m1.html", "on-merge.m2.html"]);
    new LocalSender(root, undefined, 2).finish("news");
    const html = read("index.html");
    expect(rows(html).map((r) => r[3])).toEqual([true, true, false, false]);
    expect(html).toContain('<a href="./on-merge.m4.eml">.eml</a>');
    expect(html).toContain(
      "The first 2 have a page; for anyone else, `mailops preview news --subscriber ADDRESS`",
    );
  });

  it("leaves out a message whose .eml was deleted, and lists one the events do not name, last", async () => {
    const sender = new LocalSender(root);
    await sender.send(request(["p1", "p2"]));
    unlinkSync(path.join(outbox(), "on-merge.p1.eml"));
    // An .eml written before events named their message (an older version): no send event.
    writeFileSync(path.join(outbox(), "old.x.eml"), "To: old@example.com\r\nSubject: Old\r\n\r\nHi\r\n");
    sender.finish("news");
    expect(rows(read("index.html"))).toEqual([
      ["1", "p2@example.com", "News for Np2", true],
      ["2", "old@example.com", "Old", false],
    ]);
  });
});

describe("decodeWords", () => {
  it("decodes the encoded words mail headers carry, joining adjacent ones", () => {
    expect(decodeWords("=?UTF-8?Q?Gr=C3=BC=C3=9Fe_Ann?=")).toBe("Grüße Ann");
    expect(decodeWords("=?UTF-8?B?4pyT?= done")).toBe("✓ done");
    // A character split across two words.
    expect(decodeWords("=?UTF-8?Q?=E2=9C?= =?UTF-8?Q?=93?=")).toBe("✓");
    expect(decodeWords("plain text")).toBe("plain text");
    expect(decodeWords("=?ISO-8859-1?Q?caf=E9?=")).toBe("=?ISO-8859-1?Q?caf=E9?=");
  });
});
