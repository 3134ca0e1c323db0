/**
 * Where a value lands in an HTML part: the tokenizer's contexts, carried across Handlebars nodes and
 * branches, and the same answer from the fast scanner and from Handlebars' parser.
 */
import { describe, expect, it } from "vitest";
import { analyzeTemplate } from "../../src/render/analyze.js";
import { advance, contextAt, START } from "../../src/render/html-context.js";

/** `path:context` for each value written, in document order, from both parser paths (which must agree). */
function contexts(source: string, kind: "html" | "subject" | "text" = "html"): string[] {
  const fast = analyzeTemplate(source, "auto", kind);
  const slow = analyzeTemplate(source, "handlebars", kind);
  expect(fast, "fast scanner and Handlebars agree").toEqual(slow);
  expect(fast.issues).toEqual([]);
  return fast.outputs.map((o) => `${o.path.join(".")}:${o.context}`);
}

describe("the context of a value in HTML", () => {
  const cases: [string, string, string[]][] = [
    ["element text", "<p>Hi {{name}}</p>", ["name:html-text"]],
    ["text before any tag", "{{name}}", ["name:html-text"]],
    ["a lone < is text", "a < {{b}} > c", ["b:html-text"]],
    ["double-quoted attribute", '<img alt="{{alt}}">', ["alt:attr-double"]],
    ["single-quoted attribute", "<img alt='{{alt}}'>", ["alt:attr-single"]],
    ["unquoted attribute", "<td width={{w}}>", ["w:attr-unquoted"]],
    ["unquoted after spaces", "<td width = {{w}}>", ["w:attr-unquoted"]],
    ["a value inside a quoted one", '<img alt="a {{b}} c">', ["b:attr-double"]],
    ["a quote of the other kind is text", `<img alt="it's {{b}}">`, ["b:attr-double"]],
    ["after the attribute, text again", '<a title="x">{{t}}</a>', ["t:html-text"]],
    ["href starting with the value", '<a href="{{url}}">', ["url:url-double"]],
    ["a name Object.prototype has is an element like any other", "<constructor>{{c}}", ["c:html-text"]],
    ["src, single-quoted", "<img src='{{src}}'>", ["src:url-single"]],
    ["unquoted href", "<a href={{u}}>", ["u:url-unquoted"]],
    ["attribute names are case-insensitive", '<A HREF="{{u}}">', ["u:url-double"]],
    ["leading spaces in the URL", '<a href="  {{u}}">', ["u:url-double"]],
    ["after the scheme: an attribute value", '<a href="https://x.example/{{id}}">', ["id:attr-double"]],
    ["mailto: then the value", '<a href="mailto:{{e}}">', ["e:attr-double"]],
    ["a value completing a static scheme", '<a href="java{{x}}">', ["x:url-double"]],
    ["a path: settled", '<a href="/p/{{id}}">', ["id:attr-double"]],
    [
      "srcset: the first URL and after a comma",
      '<img srcset="{{a}} 1x, {{b}} 2x">',
      ["a:url-double", "b:url-double"],
    ],
    ["srcset: descriptors after a full URL", '<img srcset="https://x/a.png {{d}}">', ["d:attr-double"]],
    [
      "formaction, poster, background, xlink:href",
      '<button formaction="{{a}}"><video poster="{{b}}"><td background="{{c}}"><use xlink:href="{{d}}">',
      ["a:url-double", "b:url-double", "c:url-double", "d:url-double"],
    ],
    ["a non-URL attribute named like one elsewhere", '<a data-href="{{x}}">', ["x:attr-double"]],
    ["event handler attribute", '<a onclick="go({{x}})">', ["x:script"]],
    ["style attribute", '<p style="color:{{c}}">', ["c:style"]],
    ["srcdoc", '<iframe srcdoc="{{h}}">', ["h:script"]],
    ["script element", "<script>var a = '{{a}}';</script>{{b}}", ["a:script", "b:html-text"]],
    ["script end tag in any case", "<script>x</SCRIPT >{{b}}", ["b:html-text"]],
    ["not the end of a script", "<script>'</scripts>' {{a}}</script>", ["a:script"]],
    ["style element", "<style>p { color: {{c}} }</style>", ["c:style"]],
    [
      "title and textarea are text",
      "<title>{{t}}</title><textarea>{{x}}</textarea>",
      ["t:html-text", "x:html-text"],
    ],
    ["tags inside a textarea are text", "<textarea><a href='{{x}}'></textarea>", ["x:html-text"]],
    ["noscript is HTML where no script runs", '<noscript><a href="{{u}}">x</a></noscript>', ["u:url-double"]],
    ["comment", "<!-- {{c}} -->{{d}}", ["c:comment", "d:html-text"]],
    ["comment ending --!>", "<!-- a --!>{{d}}", ["d:html-text"]],
    ["a dash is not the end of a comment", "<!-- a -> {{c}} -->", ["c:comment"]],
    ["abrupt empty comments", "<!-->{{a}}<!--->{{b}}", ["a:html-text", "b:html-text"]],
    [
      "doctype and processing instructions",
      "<!DOCTYPE {{a}}><?xml {{b}}?>{{c}}",
      ["a:comment", "b:comment", "c:html-text"],
    ],
    [
      "Outlook conditional comments read as HTML",
      '<!--[if mso]><v:roundrect href="{{u}}">{{t}}</v:roundrect><![endif]-->{{after}}',
      ["u:url-double", "t:html-text", "after:html-text"],
    ],
    ["the condition itself", "<!--[if {{c}}]><p><![endif]-->", ["c:comment"]],
    [
      "hidden from Outlook, shown elsewhere",
      '<!--[if !mso]><!--><a href="{{u}}">{{t}}</a><!--<![endif]-->',
      ["u:url-double", "t:html-text"],
    ],
    ["tag name", "<{{tag}}>", ["tag:tag"]],
    ["end tag name", "</{{tag}}>", ["tag:tag"]],
    ["between attributes", "<div {{attrs}}>", ["attrs:tag"]],
    ["after an attribute name", "<div class{{x}}>", ["x:tag"]],
    ["after a quoted value", '<div class="a"{{x}}>', ["x:tag"]],
    ["a self-closing tag ends", "<br/>{{x}}", ["x:html-text"]],
    ["subject part", "Hi {{name}}", ["name:subject"]],
  ];
  it.each(cases)("%s", (_, source, expected) => {
    const kind = source === "Hi {{name}}" ? "subject" : "html";
    expect(contexts(source, kind)).toEqual(expected);
  });

  it("the text part has one context everywhere, tags or not", () => {
    expect(contexts('<a href="{{u}}">{{t}}</a>', "text")).toEqual(["u:text", "t:text"]);
  });
});

describe("blocks across the HTML", () => {
  const cases: [string, string, string[]][] = [
    ["an attribute added in a branch", '<p {{#if x}}class="a"{{/if}}>{{y}}</p>', ["y:html-text"]],
    ["a boolean attribute in a branch", "<input {{#if c}}checked{{/if}}>{{z}}", ["z:html-text"]],
    ["a value chosen inside an attribute", '<td class="{{#if a}}x{{else}}{{b}}{{/if}}">', ["b:attr-double"]],
    [
      "a tag opened and closed in a branch",
      '{{#if u}}<a href="{{u}}">{{/if}}{{t}}{{#if u}}</a>{{/if}}',
      ["u:url-double", "t:html-text"],
    ],
    [
      "a branch that leaves a tag open: later values get both contexts",
      "{{#if a}}<b class={{/if}}{{v}}",
      ["v:attr-unquoted", "v:html-text"],
    ],
    [
      "an optional start of a URL leaves the scheme open",
      '<a href="{{#if a}}{{a}}{{/if}}{{b}}">',
      ["a:url-double", "b:attr-double", "b:url-double"],
    ],
    [
      "a value that may be empty in an unquoted attribute",
      '<img alt={{#if x}}{{x}}{{/if}} title="{{t}}">',
      ["x:attr-unquoted", "t:attr-double", "t:attr-unquoted"],
    ],
    [
      "each: paths below the list, zero or more rounds",
      '{{#each items}}<a href="{{url}}">{{name}}</a> {{@key}}{{/each}}{{after}}',
      ["items.*.url:url-double", "items.*.name:html-text", "items.@key:html-text", "after:html-text"],
    ],
    [
      "each whose body closes a quote it did not open: never settles, so unknown after",
      '<p title="{{#each xs}}{{this}}"{{/each}}{{z}}',
      ["xs.*:attr-double", "xs.*:tag", "z:unknown"],
    ],
    [
      "with: paths below the value",
      '{{#with user}}<img src="{{avatar}}" alt="{{../name}}">{{/with}}',
      ["user.avatar:url-double", "name:attr-double"],
    ],
    ["unless and else", "{{#unless a}}<b>{{else}}<i>{{/unless}}{{x}}", ["x:html-text"]],
    ["`~` joins a value to the unquoted value before it", "<a title=x {{~w}}>", ["w:attr-unquoted"]],
    [
      "`~` on a block joins across it",
      '<a title=x {{~#if a}}{{w}}{{/if}} href="{{u}}">',
      ["w:attr-unquoted", "u:url-double"],
    ],
    [
      "blocks alone on their lines drop the line, not the newline before",
      '<a title=x\n{{#if a}}\n{{else}}\nhref="{{u}}"\n{{/if}}\n>',
      ["u:url-double"],
    ],
  ];
  it.each(cases)("%s", (_, source, expected) => {
    expect(contexts(source).sort()).toEqual([...expected].sort());
  });

  it("walks an inline partial where it is used, in the state of the use", () => {
    const source = '{{#*inline "v"}}{{x}}{{/inline}}<a title="{{> v}}">{{> v}}</a>';
    const a = analyzeTemplate(source, "auto", "html");
    expect(a.outputs.map((o) => `${o.path.join(".")}:${o.context}`).sort()).toEqual([
      "x:attr-double",
      "x:html-text",
    ]);
  });

  it("finds an inline partial defined inside a partial block", () => {
    const source = '{{#> layout}}{{#*inline "v"}}{{x}}{{/inline}}<a title="{{> v}}">{{/layout}}';
    const a = analyzeTemplate(source, "auto", "html");
    expect(a.outputs.map((o) => `${o.path.join(".")}:${o.context}`)).toEqual(["x:attr-double"]);
  });

  it("gives up on too many states as unknown, which nothing is safe in", () => {
    const branches = Array.from({ length: 20 }, (_, i) => `{{#if a${i}}}<t${i} {{/if}}`).join("");
    const a = analyzeTemplate(`${branches}{{v}}`, "auto", "html");
    expect(a.outputs.filter((o) => o.path[0] === "v").map((o) => o.context)).toEqual(["unknown"]);
  });
});

describe("the tokenizer on its own", () => {
  const at = (text: string) => contextAt(advance(START, text));
  it.each([
    ["", "html-text"],
    ["<a", "tag"],
    ["<a ", "tag"],
    ["<a href=", "url-unquoted"],
    ['<a href="', "url-double"],
    ['<a href="h', "url-double"],
    ['<a href="http:', "attr-double"],
    ['<a href="x">', "html-text"],
    ["<!--", "comment"],
    ["<!-- -- >", "comment"],
    ["<!", "comment"],
    ["<script>", "script"],
    ["<script></scr", "tag"],
    ["<style type=text/css>", "style"],
  ])("after %j: %s", (text, context) => {
    expect(at(text)).toBe(context);
  });

  it("carries a state across pieces as if they were one text", () => {
    const whole = "<a href=\"x\" title='y'><!-- c --><script>1</script><p class=z>";
    for (let cut = 0; cut <= whole.length; cut++) {
      const split = advance(advance(START, whole.slice(0, cut)), whole.slice(cut));
      expect(split, `cut at ${cut}`).toEqual(advance(START, whole));
    }
  });
});
