import { describe, expect, it } from "vitest";
import { analyzeTemplate, type TemplateIssue, type VariableUse } from "../../src/render/analyze.js";

type Use = Pick<VariableUse, "path" | "written" | "line" | "col" | "guarded">;
const uses = (source: string): Use[] =>
  analyzeTemplate(source).variables.map(({ path, written, line, col, guarded }) => ({
    path,
    written,
    line,
    col,
    guarded,
  }));
const issues = (source: string): TemplateIssue[] => analyzeTemplate(source).issues;

describe("analyzeTemplate: variables and their positions", () => {
  const cases: [string, string, Use[]][] = [
    ["plain text", "Hello there", []],
    ["one variable", "Hi {{name}}!", [{ path: "name", written: "name", line: 1, col: 4, guarded: false }]],
    [
      "triple-stash and spaces",
      "{{{ body }}} {{ name }}",
      [
        { path: "body", written: "body", line: 1, col: 1, guarded: false },
        { path: "name", written: "name", line: 1, col: 14, guarded: false },
      ],
    ],
    [
      "a dotted path",
      "x\n  {{user.first_name}}",
      [{ path: "user.first_name", written: "user.first_name", line: 2, col: 3, guarded: false }],
    ],
    [
      "`this.` at the root is the root",
      "{{this.name}}",
      [{ path: "name", written: "this.name", line: 1, col: 1, guarded: false }],
    ],
    ["bare `this` names no variable", "{{this}}", []],
    ["comments are not variables", "{{! {{name}} }}{{!-- {{other}} --}}", []],
    ["an escaped mustache is text", "\\{{name}}", []],
    ["literals are not variables", '{{"text"}} {{42}}', []],
    [
      "the same variable twice is two uses",
      "{{a}}\n{{a}}",
      [
        { path: "a", written: "a", line: 1, col: 1, guarded: false },
        { path: "a", written: "a", line: 2, col: 1, guarded: false },
      ],
    ],
  ];
  it.each(cases)("%s", (_, source, expected) => {
    expect(uses(source)).toEqual(expected);
    expect(issues(source)).toEqual([]);
  });
});

describe("analyzeTemplate: guards", () => {
  const cases: [string, string, Use[]][] = [
    [
      "an `if` condition is guarded, and so is its use inside",
      "{{#if nickname}}Hi {{nickname}}{{/if}}",
      [
        { path: "nickname", written: "nickname", line: 1, col: 1, guarded: true },
        { path: "nickname", written: "nickname", line: 1, col: 20, guarded: true },
      ],
    ],
    [
      "the `else` of an `if` is not guarded",
      "{{#if a}}x{{else}}{{a}}{{/if}}",
      [
        { path: "a", written: "a", line: 1, col: 1, guarded: true },
        { path: "a", written: "a", line: 1, col: 19, guarded: false },
      ],
    ],
    [
      "`if x` guards `x.y` below it",
      "{{#if user}}{{user.name}}{{/if}}",
      [
        { path: "user", written: "user", line: 1, col: 1, guarded: true },
        { path: "user.name", written: "user.name", line: 1, col: 13, guarded: true },
      ],
    ],
    [
      "`if x` does not guard a different variable",
      "{{#if a}}{{b}}{{/if}}",
      [
        { path: "a", written: "a", line: 1, col: 1, guarded: true },
        { path: "b", written: "b", line: 1, col: 10, guarded: false },
      ],
    ],
    [
      "`unless x`: its body is not guarded, its `else` is",
      "{{#unless x}}{{x}}{{else}}{{x}}{{/unless}}",
      [
        { path: "x", written: "x", line: 1, col: 1, guarded: true },
        { path: "x", written: "x", line: 1, col: 14, guarded: false },
        { path: "x", written: "x", line: 1, col: 27, guarded: true },
      ],
    ],
    [
      "an `else if` chain guards each branch by its own condition",
      "{{#if a}}{{a}}{{else if b}}{{b}}{{a}}{{/if}}",
      [
        { path: "a", written: "a", line: 1, col: 1, guarded: true },
        { path: "a", written: "a", line: 1, col: 10, guarded: true },
        { path: "b", written: "b", line: 1, col: 15, guarded: true },
        { path: "b", written: "b", line: 1, col: 28, guarded: true },
        { path: "a", written: "a", line: 1, col: 33, guarded: false },
      ],
    ],
    [
      "a guard through `../` from inside a loop",
      "{{#each items}}{{#if ../coupon}}{{../coupon}}{{/if}}{{/each}}",
      [
        { path: "items", written: "items", line: 1, col: 1, guarded: false },
        { path: "coupon", written: "../coupon", line: 1, col: 16, guarded: true },
        { path: "coupon", written: "../coupon", line: 1, col: 33, guarded: true },
      ],
    ],
    [
      "a guard through `@root`",
      "{{#if @root.coupon}}{{coupon}}{{/if}}",
      [
        { path: "coupon", written: "@root.coupon", line: 1, col: 1, guarded: true },
        { path: "coupon", written: "coupon", line: 1, col: 21, guarded: true },
      ],
    ],
    [
      "the guard ends with its block",
      "{{#if a}}{{/if}}{{a}}",
      [
        { path: "a", written: "a", line: 1, col: 1, guarded: true },
        { path: "a", written: "a", line: 1, col: 17, guarded: false },
      ],
    ],
  ];
  it.each(cases)("%s", (_, source, expected) => {
    expect(uses(source)).toEqual(expected);
  });
});

describe("analyzeTemplate: each/with scoping", () => {
  const cases: [string, string, Use[]][] = [
    [
      "inside `each`, bare names are the item's, not root variables",
      "{{#each items}}{{title}} {{this.price}} {{this}} {{@index}}{{/each}}",
      [{ path: "items", written: "items", line: 1, col: 1, guarded: false }],
    ],
    [
      "`../` reaches the root from one level down",
      "{{#each items}}{{../currency}}{{/each}}",
      [
        { path: "items", written: "items", line: 1, col: 1, guarded: false },
        { path: "currency", written: "../currency", line: 1, col: 16, guarded: false },
      ],
    ],
    [
      "`../` from two levels down reaches only the outer loop",
      "{{#each a}}{{#each b}}{{../x}}{{../../y}}{{/each}}{{/each}}",
      [
        { path: "a", written: "a", line: 1, col: 1, guarded: false },
        { path: "y", written: "../../y", line: 1, col: 31, guarded: false },
      ],
    ],
    [
      "`@root` reaches the root from anywhere",
      "{{#with user}}{{name}} {{@root.company.name}}{{/with}}",
      [
        { path: "user", written: "user", line: 1, col: 1, guarded: false },
        { path: "company.name", written: "@root.company.name", line: 1, col: 24, guarded: false },
      ],
    ],
    [
      "block parameters are loop data",
      "{{#each items as |item|}}{{item.title}}{{/each}}",
      [{ path: "items", written: "items", line: 1, col: 1, guarded: false }],
    ],
    [
      "the `else` of `each` is in the outer scope",
      "{{#each items}}{{title}}{{else}}{{empty_text}}{{/each}}",
      [
        { path: "items", written: "items", line: 1, col: 1, guarded: false },
        { path: "empty_text", written: "empty_text", line: 1, col: 33, guarded: false },
      ],
    ],
    [
      "`if` inside `each` does not open a scope",
      "{{#each items}}{{#if sale}}{{../banner}}{{/if}}{{/each}}",
      [
        { path: "items", written: "items", line: 1, col: 1, guarded: false },
        { path: "banner", written: "../banner", line: 1, col: 28, guarded: false },
      ],
    ],
  ];
  it.each(cases)("%s", (_, source, expected) => {
    expect(uses(source)).toEqual(expected);
    expect(issues(source)).toEqual([]);
  });
});

describe("analyzeTemplate: inline partials", () => {
  it("a partial defined in the template is fine, before or after its use", () => {
    const source = '{{> footer}}\n{{#*inline "footer"}}<a href="{{unsubscribe}}">x</a>{{/inline}}';
    expect(issues(source)).toEqual([]);
    expect(uses(source)).toEqual([
      { path: "unsubscribe", written: "unsubscribe", line: 2, col: 31, guarded: false },
    ]);
  });

  it("an undefined partial is reported where it is used, with the closest name", () => {
    expect(issues('{{#*inline "footer"}}x{{/inline}}\n  {{> footr}}')).toEqual([
      {
        kind: "unknown-partial",
        message: "partial `footr` is not defined in this template",
        hint: "did you mean `footer`?",
        line: 2,
        col: 3,
      },
    ]);
  });

  it("a partial with no near name gets no suggestion", () => {
    expect(issues("{{> header}}")).toEqual([
      {
        kind: "unknown-partial",
        message: "partial `header` is not defined in this template",
        line: 1,
        col: 1,
      },
    ]);
  });
});

describe("analyzeTemplate: what SES does not support", () => {
  const cases: [string, string, Pick<TemplateIssue, "message" | "line" | "col">[]][] = [
    [
      "a helper call",
      "Hi {{uppercase name}}",
      [{ message: "helper `uppercase` is not supported by SES templates", line: 1, col: 4 }],
    ],
    [
      "a helper with hash arguments",
      "{{link text='x'}}",
      [{ message: "helper `link` is not supported by SES templates", line: 1, col: 1 }],
    ],
    [
      "a custom block helper",
      "a\n{{#repeat 3}}x{{/repeat}}",
      [{ message: "block helper `{{#repeat}}` is not supported by SES templates", line: 2, col: 1 }],
    ],
    [
      "a sub-expression",
      "{{#if (eq a b)}}x{{/if}}",
      [
        {
          message: "helper `eq` in a sub-expression `(eq …)` is not supported by SES templates",
          line: 1,
          col: 1,
        },
      ],
    ],
    [
      "a decorator",
      "{{* activate}}",
      [{ message: "decorator `{{*activate}}` is not supported by SES templates", line: 1, col: 1 }],
    ],
    [
      "a block decorator other than inline",
      "{{#*wrap}}x{{/wrap}}",
      [{ message: "decorator `{{#*wrap}}` is not supported by SES templates", line: 1, col: 1 }],
    ],
    [
      "a dynamic partial",
      "{{> (pick)}}",
      [{ message: "a dynamic partial `{{> (…)}}` is not supported by SES templates", line: 1, col: 1 }],
    ],
  ];
  it.each(cases)("%s", (_, source, expected) => {
    const found = issues(source);
    expect(found.map(({ message, line, col }) => ({ message, line, col }))).toEqual(expected);
    expect(found.every((i) => i.kind === "unsupported-helper")).toBe(true);
  });
});

describe("analyzeTemplate: syntax errors say what and where", () => {
  const cases: [string, string, Omit<TemplateIssue, "kind">][] = [
    [
      "a block never closed points at its opening",
      "<p>Hi</p>\n{{#if name}}\n  <p>Welcome back</p>\n",
      {
        message: "`{{#if name}}` is never closed",
        hint: "add `{{/if}}` where the block ends",
        line: 2,
        col: 1,
      },
    ],
    [
      "the innermost open block is the one reported",
      "{{#if a}}\n{{#each b}}\n{{/each}}\n{{#with c}}",
      {
        message: "`{{#with c}}` is never closed",
        hint: "add `{{/with}}` where the block ends",
        line: 4,
        col: 1,
      },
    ],
    [
      "a block closed by the wrong name",
      "ab\n  {{#each items}}\n{{/if}}",
      {
        message: "`{{#each}}` is closed by `{{/if}}`",
        hint: "close it with `{{/each}}`; blocks close in the reverse order they open",
        line: 2,
        col: 3,
      },
    ],
    [
      "a mustache missing a brace",
      "line one\nHello {{name}, welcome",
      {
        message: "`{{name}, welcome` is not closed with `}}`",
        hint: "add the missing `}}`",
        line: 2,
        col: 7,
      },
    ],
    [
      "a mustache cut off at the end",
      "Hello {{name",
      { message: "`{{name` is not closed with `}}`", hint: "add the missing `}}`", line: 1, col: 7 },
    ],
    [
      "an empty mustache",
      "a {{}} b",
      {
        message: "unexpected `}}` in `{{}}`",
        hint: "check that every `{{` is closed by `}}` and every `{{#block}}` by its `{{/block}}`",
        line: 1,
        col: 5,
      },
    ],
    [
      "a triple-stash closed with two braces",
      "x\n{{{body}}",
      {
        message: "unexpected `}}` in `{{{body}}`",
        hint: "check that every `{{` is closed by `}}` and every `{{#block}}` by its `{{/block}}`",
        line: 2,
        col: 8,
      },
    ],
    [
      "an `else` outside any block",
      "a\n{{else}}",
      {
        message: "unexpected `{{else}}`",
        hint: "check that every `{{` is closed by `}}` and every `{{#block}}` by its `{{/block}}`",
        line: 2,
        col: 1,
      },
    ],
    [
      "a comment never closed",
      "a\nb {{!-- note",
      { message: "comment is never closed", hint: "close it with `--}}`", line: 2, col: 3 },
    ],
    [
      "a block helper with no value",
      "{{#if}}x{{/if}}",
      {
        message: "`{{#if}}` needs exactly one value, found 0",
        hint: "write e.g. `{{#if name}}`",
        line: 1,
        col: 1,
      },
    ],
    [
      "an `each` with two values",
      "{{#each a b}}x{{/each}}",
      {
        message: "`{{#each}}` needs exactly one value, found 2",
        hint: "write e.g. `{{#each items}}`",
        line: 1,
        col: 1,
      },
    ],
    [
      "an error far into a long line is located by the excerpt",
      `${"x".repeat(60)}\n${"y".repeat(50)} {{a}} {{b c}`,
      { message: "`{{b c}` is not closed with `}}`", hint: "add the missing `}}`", line: 2, col: 58 },
    ],
  ];
  it.each(cases)("%s", (_, source, expected) => {
    expect(issues(source)).toEqual([{ kind: "syntax", ...expected }]);
  });

  it("reports no variables for a template it cannot parse", () => {
    expect(analyzeTemplate("{{name}} {{#if x}}").variables).toEqual([]);
  });
});
