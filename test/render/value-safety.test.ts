/** What a value may contain in each context, and the per-root checks a template compiles to. */
import { describe, expect, it } from "vitest";
import { analyzeTemplate } from "../../src/render/analyze.js";
import type { Context } from "../../src/render/html-context.js";
import { combine, ruleFor, safetyChecks, safeUrl, unsafeAt } from "../../src/render/value-safety.js";

const safe = (context: Context, value: unknown) => !unsafeAt(value, [], ruleFor(context));

describe("values per context", () => {
  const cases: [Context, unknown, boolean][] = [
    ["subject", "Spring <sale> & more", true],
    ["subject", "Hi\r\nBcc: x@example.com", false],
    ["subject", "two\nlines", false],
    ["text", "<a href='javascript:x'>\n\"'`", true],
    ["html-text", 'Tom & Jerry\'s "shop"', true],
    ["html-text", '<a href="https://evil.example">click</a>', false],
    ["html-text", "a > b", false],
    ["html-text", "<3", false],
    ["attr-double", "O'Brien", true],
    ["attr-double", 'x" style="position:fixed', false],
    ["attr-double", "x`y", false],
    ["attr-double", "a > b", false],
    ["attr-double", "", true],
    ["attr-single", 'say "hi"', true],
    ["attr-single", "O'Brien", false],
    ["attr-unquoted", "100", true],
    ["attr-unquoted", "", false],
    ["attr-unquoted", "a b", false],
    ["attr-unquoted", "a\tb", false],
    ["attr-unquoted", "a=b", false],
    ["attr-unquoted", "O'Brien", false],
    ["attr-unquoted", 'say"', false],
    ["url-double", "https://example.com/p?a=1&b=2#x", true],
    ["url-double", "http://example.com", true],
    ["url-double", "mailto:ann@example.com", true],
    ["url-double", "HTTPS://EXAMPLE.COM", true],
    ["url-double", "  https://example.com", true],
    ["url-double", "javascript:alert(1)", false],
    ["url-double", "jAvAsCrIpT:alert(1)", false],
    ["url-double", " javascript:alert(1)", false],
    ["url-double", "\u0001javascript:alert(1)", false],
    ["url-double", "java\tscript:alert(1)", false],
    ["url-double", "java\nscript:alert(1)", false],
    ["url-double", "javascript&#58;alert(1)", false],
    ["url-double", "&#106;avascript:alert(1)", false],
    ["url-double", "data:text/html,<b>x</b>", false],
    ["url-double", "vbscript:msgbox(1)", false],
    ["url-double", "//evil.example/x", false],
    ["url-double", "/relative/path", false],
    ["url-double", "page.html", false],
    ["url-double", "", false],
    ["url-double", 'https://example.com/" onmouseover="x', false],
    ["url-double", "https:javascript:alert(1)", true],
    ["url-single", "https://example.com/it's", false],
    ["url-unquoted", "https://example.com/a b", false],
    ["script", "anything", false],
    ["comment", "", false],
    ["html-text", 42, true],
    ["url-double", 42, true],
    ["attr-unquoted", false, true],
    ["html-text", null, true],
    ["html-text", ["a", "b"], true],
    ["html-text", ["a", "<b>"], false],
    ["html-text", { deep: { er: ["<i>"] } }, false],
    ["url-double", ["https://a.example"], false],
    ["attr-unquoted", { a: "b" }, false],
  ];
  it.each(cases)("%s: %j is safe: %s", (context, value, ok) => {
    expect(safe(context, value)).toBe(ok);
  });

  it("the scheme check on its own: only absolute http, https and mailto", () => {
    expect(["https://x", "http://x", "MailTo:x", "\t https://x", "ht\ttps://x"].every(safeUrl)).toBe(true);
    expect(
      ["ftp://x", "https//x", "https", "1http://x", "h ttps://x", "file:///etc/passwd"].some(safeUrl),
    ).toBe(false);
  });

  it("a combined rule refuses what any of its contexts refuses", () => {
    const r = combine(["subject", "html-text"]);
    expect(unsafeAt("a\nb", [], r)).toBe(true);
    expect(unsafeAt("<b>", [], r)).toBe(true);
    expect(unsafeAt("O'Brien", [], r)).toBe(false);
  });

  it("walks paths as own properties, `*` as each item and `@key` as each key", () => {
    const rule = ruleFor("url-double");
    const items = [{ url: "https://a.example" }, { url: "javascript:x" }];
    const trail: (string | number)[] = [];
    expect(unsafeAt(items, ["*", "url"], rule, trail)).toBe(true);
    expect(trail).toEqual([1, "url"]);
    expect(unsafeAt([{ url: "https://a.example" }], ["*", "url"], rule)).toBe(false);
    // An inherited member is not data: nothing is written, nothing to refuse.
    expect(unsafeAt({}, ["toString"], ruleFor("html-text"))).toBe(false);
    expect(unsafeAt({ "<b>": 1 }, ["@key"], ruleFor("html-text"))).toBe(true);
    expect(unsafeAt([1, 2], ["@key"], ruleFor("html-text"))).toBe(false);
  });
});

describe("safetyChecks: one check per root variable, from every use", () => {
  const analyses = [
    analyzeTemplate("Hi {{name}}", "auto", "subject"),
    analyzeTemplate(
      '<p>{{name}}</p><a href="{{url}}" title="{{name}}">x</a>{{#each items}}<img src="{{src}}" alt="{{alt}}">{{/each}}',
      "auto",
      "html",
    ),
    analyzeTemplate("{{name}} {{note}} {{url}}", "auto", "text"),
  ];
  const checks = new Map(safetyChecks(analyses).map((c) => [c.root, c]));

  it("leaves out variables only the text part writes", () => {
    expect([...checks.keys()].sort()).toEqual(["items", "name", "url"]);
  });

  it("names the context a value breaks first, in the template's order", () => {
    const name = checks.get("name");
    expect(name?.test("Ann")).toBeUndefined();
    expect(name?.test("O'Brien")).toBeUndefined();
    expect(name?.test("Ann\n")).toBe("subject");
    expect(name?.test("<b>Ann</b>")).toBe("html-text");
    expect(name?.test('Ann" onclick="x')).toBe("attr-double");
    expect(checks.get("url")?.test("javascript:alert(1)")).toBe("url-double");
  });

  it("checks each item of a list at the paths the template uses", () => {
    const items = checks.get("items");
    expect(items?.test([{ src: "https://a.example/a.png", alt: "A" }])).toBeUndefined();
    expect(items?.test([{ src: "https://a.example/a.png", alt: 'A" x="' }])).toBe("attr-double");
    expect(items?.test([{ src: "data:image/png;base64,xx", alt: "A" }])).toBe("url-double");
    // Keys the template never reads are not written, whatever they hold.
    expect(items?.test([{ src: "https://a.example/a.png", other: "<script>" }])).toBeUndefined();
  });
});
