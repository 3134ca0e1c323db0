import { describe, expect, it } from "vitest";
import { parseYaml } from "../../src/config/yaml.js";
import { analyzeTemplate } from "../../src/render/analyze.js";

/** The text at a 1-based line and column. */
const textAt = (text: string, line: number, col: number) => (text.split("\n")[line - 1] ?? "").slice(col - 1);

describe("YamlDoc.scalarPosition maps a place in a string value back to the file", () => {
  const styles: [string, string][] = [
    ["plain", "html: <p>Hi {{name}}</p> {{b}}\n"],
    ["double-quoted", 'html: "<p>Hi {{name}}</p> {{b}}"\n'],
    ["double-quoted with escapes", 'html: "<a href=\\"{{url}}\\">\\t\\u00e9 {{name}}</a> \\x41{{b}}"\n'],
    ["double-quoted over lines", 'html: "<p>Hi {{name}},\n  and  welcome</p>\\\n  {{b}}"\n'],
    ["single-quoted with a doubled quote", "html: '<p>It''s {{name}}</p> {{b}}'\n"],
    ["plain over lines", "html: <p>Hi {{name}}\n  and welcome</p>\n  {{b}}\nother: 1\n"],
    ["literal block", "html: |\n  <p>Hi {{name}}</p>\n\n    {{b}}\nother: 1\n"],
    ["literal block with a header comment", "html: |- # the body\n  <p>Hi {{name}}</p>\n  {{b}}\n"],
    ["folded block", "html: >\n  <p>Hi\n  {{name}}</p>\n\n  {{b}}\n"],
    ["indented deeper", "sample: {}\nhtml: |\n      <p>Hi {{name}}</p>\n      {{b}}\n"],
    ["with CRLF line ends", "html: |\r\n  <p>Hi {{name}}</p>\r\n  {{b}}\r\n"],
  ];
  it.each(styles)("%s", (_, text) => {
    const { doc, findings } = parseYaml("t.yaml", text);
    expect(findings).toEqual([]);
    if (!doc) throw new Error("the file did not parse");
    const value = (doc.data as { html: string }).html;
    const analysis = analyzeTemplate(value);
    expect(analysis.variables.length).toBeGreaterThanOrEqual(2);
    for (const v of analysis.variables) {
      const at = doc.scalarPosition(["html"], v.line, v.col);
      expect(at.file).toBe("t.yaml");
      expect(textAt(text, at.line, at.col)).toMatch(new RegExp(`^\\{\\{${v.written}\\}\\}`));
    }
  });
});

describe("parseYaml: every problem is a finding with a place, never an exception", () => {
  const cases: [
    string,
    string,
    { rule: string; line: number; col: number; message: string; hint?: string }[],
  ][] = [
    [
      "an unclosed flow list is reported where it opens",
      "template: hello\nto: [people\nsend_at: on-merge\n",
      [
        {
          rule: "yaml/syntax",
          line: 2,
          col: 5,
          message: "this `[` is never closed",
          hint: "close the list with `]` on the same line, or write one `- item` per line",
        },
      ],
    ],
    [
      "an unclosed quote is reported where it opens",
      'a: 1\nsubject: "Hello\nhtml: x\n',
      [
        {
          rule: "yaml/syntax",
          line: 2,
          col: 10,
          message: "this quoted string is never closed",
          hint: 'add the closing `"`',
        },
      ],
    ],
    [
      "a duplicate key names the key",
      "a: 1\nb: 2\na: 3\n",
      [
        {
          rule: "yaml/duplicate-key",
          line: 3,
          col: 1,
          message: "key `a` appears twice in the same mapping",
          hint: "remove or rename one of them; YAML would silently keep only one value",
        },
      ],
    ],
    [
      "a duplicate key in a nested flow mapping",
      "tags: { campaign: a, campaign: b }\n",
      [
        {
          rule: "yaml/duplicate-key",
          line: 1,
          col: 22,
          message: "key `campaign` appears twice in the same mapping",
          hint: "remove or rename one of them; YAML would silently keep only one value",
        },
      ],
    ],
    [
      "a tab used for indentation",
      "a:\n\tb: 1\n",
      [
        {
          rule: "yaml/syntax",
          line: 2,
          col: 1,
          message: "tabs are not allowed as indentation",
          hint: "indent with spaces, not tabs",
        },
      ],
    ],
    [
      "two documents in one file",
      "a: 1\n---\nb: 2\n",
      [
        {
          rule: "yaml/syntax",
          line: 2,
          col: 1,
          message: "the file holds more than one YAML document",
          hint: "keep one document per file: remove the `---` line, or split the file",
        },
      ],
    ],
    [
      "knock-on errors on the same line are reported once",
      "- a\nb: 1\n",
      [
        {
          rule: "yaml/syntax",
          line: 2,
          col: 1,
          message: "unexpected scalar at node end",
          hint: "check the indentation and that every `key:` has a space after the colon",
        },
      ],
    ],
    [
      "an alias with no anchor",
      "a: &x 1\nb: *y\n",
      [
        {
          rule: "yaml/syntax",
          line: 2,
          col: 4,
          message: "alias `*y` has no anchor `&y` before it",
          hint: "define the anchor first, or write the value out",
        },
      ],
    ],
    [
      "an alias bomb",
      `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [${"*a, ".repeat(9)}*a]\nc: &c [${"*b, ".repeat(9)}*b]\nd: [${"*c, ".repeat(9)}*c]\n`,
      [
        {
          rule: "yaml/syntax",
          line: 1,
          col: 1,
          message: "aliases expand this file beyond 100 copies",
          hint: "write the values out instead of repeating anchors inside anchors",
        },
      ],
    ],
    [
      "a key that is a list",
      "? [a, b]\n: 1\n",
      [
        {
          rule: "yaml/syntax",
          line: 1,
          col: 3,
          message: "a key must be a plain value, found a list",
          hint: "use a plain name as the key",
        },
      ],
    ],
    [
      "an empty file",
      "",
      [
        {
          rule: "file/empty",
          line: 1,
          col: 1,
          message: "file is empty",
          hint: "add the keys this kind of file needs, or delete it",
        },
      ],
    ],
    [
      "a file of comments only",
      "# nothing yet\n",
      [
        {
          rule: "file/empty",
          line: 1,
          col: 1,
          message: "file is empty",
          hint: "add the keys this kind of file needs, or delete it",
        },
      ],
    ],
    [
      "a list at the top",
      "# people\n- a\n- b\n",
      [
        {
          rule: "file/not-a-mapping",
          line: 2,
          col: 1,
          message: "expected a mapping of keys to values, found a list",
          hint: "write `key: value` lines at the top level",
        },
      ],
    ],
    [
      "a scalar at the top",
      "hello\n",
      [
        {
          rule: "file/not-a-mapping",
          line: 1,
          col: 1,
          message: "expected a mapping of keys to values, found a single value",
          hint: "write `key: value` lines at the top level",
        },
      ],
    ],
  ];
  it.each(cases)("%s", (_, text, expected) => {
    const { doc, findings } = parseYaml("f.yaml", text);
    expect(doc).toBeUndefined();
    expect(
      findings.map(({ rule, line, col, message, hint }) => ({ rule, line, col, message, hint })),
    ).toEqual(expected.map((e) => ({ hint: undefined, ...e })));
    expect(findings.every((f) => f.file === "f.yaml" && f.severity === "error")).toBe(true);
  });

  it("reads the same data with or without anchors (two parsers, one result)", () => {
    const plain = parseYaml(
      "a.yaml",
      "n: 1\ns: on-merge\nt: 2026-12-01T09:00:00Z\nb: true\nz: ~\nl: [1, two]\n",
    );
    const anchored = parseYaml(
      "b.yaml",
      "n: &n 1\ns: on-merge\nt: 2026-12-01T09:00:00Z\nb: true\nz: ~\nl: [*n, two]\n",
    );
    const expected = { n: 1, s: "on-merge", t: "2026-12-01T09:00:00Z", b: true, z: null, l: [1, "two"] };
    expect(plain.doc?.data).toEqual(expected);
    expect(anchored.doc?.data).toEqual(expected);
  });
});
