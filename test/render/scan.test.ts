/**
 * The fast scanner must agree with Handlebars' own parser wherever it answers: same variables,
 * same positions, same issues. Where it is unsure it must decline (return undefined).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import Handlebars from "handlebars";
import { describe, expect, it } from "vitest";
import { analyzeTemplate } from "../../src/render/analyze.js";
import { scanTemplate } from "../../src/render/scan.js";

const cases: string[] = [
  "plain text",
  "Hi {{name}}!",
  "{{ name }} {{~name~}} {{{raw}}} {{&amp}}",
  "{{user.first_name}} {{this.x}} {{this}} {{@root.brand}}",
  "{{#if vip}}Dear {{name}}{{else}}Hello{{/if}}",
  "{{#unless opted}}x{{^}}{{y}}{{/unless}}",
  "{{#each items}}{{title}} {{../name}} {{@index}} {{../../deep}}{{/each}}",
  "{{#with user}}{{name}} {{../brand}}{{/with}}",
  "{{#each a}}{{#each b}}{{../../top}} {{../mid}} {{leaf}}{{/each}}{{/each}}",
  "{{!-- a comment with {{braces}} --}}{{name}}{{! short }}",
  "line1\n  {{a}}\n\n{{#if b}}\n  {{c}}\n{{/if}}\n",
  "{{a-b}} {{_x}} {{$y}}",
  "{{!-- a --~}}\n  {{x}} {{!-- b --}}",
  // Forms the scanner must decline; Handlebars decides.
  "\\{{escaped}} {{name}}",
  "{{{{raw}}}} {{x}} {{{{/raw}}}}",
  "{{> partial}}",
  '{{#*inline "p"}}x{{/inline}}{{> p}}',
  "{{helper arg}}",
  "{{#each items as |item|}}{{item.x}}{{/each}}",
  "{{#if a}}{{else if b}}{{/if}}",
  "{{true}} {{1}} {{null}}",
  "{{#if x}}unclosed",
  "{{name}",
  "{{#if a}}{{/each}}",
  "{{[weird key]}}",
  "{{a/b}}",
];

function corpus(): string[] {
  const out = [...cases];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(html|txt|hbs)$/.test(name)) out.push(readFileSync(p, "utf8"));
    }
  };
  walk("templates");
  walk("test/fixtures");
  return out;
}

describe("the fast template scanner", () => {
  it.each(corpus().map((c, i) => [i, c]))("agrees with Handlebars on case %i", (_i, source) => {
    const fast = analyzeTemplate(source as string);
    const slow = analyzeTemplate(source as string, "handlebars");
    expect(fast).toEqual(slow);
    // Read as HTML, the text between tags counts too (after Handlebars' whitespace control).
    expect(analyzeTemplate(source as string, "auto", "html")).toEqual(
      analyzeTemplate(source as string, "handlebars", "html"),
    );
  });

  it("answers for the common forms (the speed depends on it)", () => {
    for (const source of cases.slice(0, 13)) expect(scanTemplate(source), source).toBeDefined();
  });

  it("declines what it does not fully understand", () => {
    for (const source of cases.slice(13)) expect(scanTemplate(source), source).toBeUndefined();
  });

  it("skips Handlebars' whitespace control only where it changes nothing", () => {
    // A block tag alone on its line takes its line break with it, which here decides whether `y`
    // goes on the unquoted value or starts an attribute name.
    const standalone = [
      "<a title=x{{#if e}}\n{{else}}\ny{{a}}{{/if}}>",
      "<a title=x{{#if e}}\n{{/if}}\ny{{a}}>",
      "<a title=x{{#if e}}\n{{else}} \t\ny{{a}}{{/if}}>",
      "<a title=x{{#if e}}\n  {{/if}}\r\ny{{a}}>",
    ];
    for (const source of standalone) {
      expect(scanTemplate(source)?.whitespace, source).toBe(true);
      expect(analyzeTemplate(source, "auto", "html"), source).toEqual(
        analyzeTemplate(source, "handlebars", "html"),
      );
    }
    // Nothing alone on its line and no `~`: the pass would be a no-op.
    for (const source of [
      "<p>{{#if a}}<b>{{a}}</b>{{/if}}</p>\n{{#each x}}{{y}}{{/each}}\n{{z}}\n",
      "x {{!c}}",
    ])
      expect(scanTemplate(source)?.whitespace, source).toBe(false);
  });

  it("agrees on randomly assembled templates", () => {
    const pieces = [
      "x ",
      "\n",
      "{{a}}",
      "{{b.c}}",
      "{{../d}}",
      "{{@index}}",
      "{{#if e}}",
      "{{#each f}}",
      "{{#with g}}",
      "{{else}}",
      "{{/if}}",
      "{{/each}}",
      "{{/with}}",
      "{{!c}}",
      "{{{h}}}",
    ];
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let answered = 0;
    for (let n = 0; n < 500; n++) {
      const source = Array.from(
        { length: 1 + Math.floor(rand() * 12) },
        () => pieces[Math.floor(rand() * pieces.length)],
      ).join("");
      const fast = scanTemplate(source);
      let parsed = true;
      try {
        Handlebars.parse(source);
      } catch {
        parsed = false;
      }
      // The scanner never accepts what Handlebars rejects.
      if (fast) {
        expect(parsed, source).toBe(true);
        answered++;
      }
      expect(analyzeTemplate(source), source).toEqual(analyzeTemplate(source, "handlebars"));
    }
    expect(answered).toBeGreaterThan(50);
  });

  it("agrees on the HTML contexts of randomly assembled HTML templates", () => {
    const pieces = [
      "x",
      "<a href=",
      '"',
      "'",
      " title=",
      ">",
      "</a>",
      "<!--",
      "-->",
      "<script>",
      "</script>",
      " ",
      "\n",
      "  \n",
      "{{a}}",
      "{{~b}}",
      "{{c~}}",
      "{{#if e}}",
      "{{#if e~}}",
      "{{~#each f}}",
      "{{else}}",
      "{{~else~}}",
      "{{/if}}",
      "{{~/if}}",
      "{{/each}}",
      "{{!c}}",
      "{{!-- d --~}}",
    ];
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let answered = 0;
    for (let n = 0; n < 2000; n++) {
      const source = Array.from(
        { length: 1 + Math.floor(rand() * 14) },
        () => pieces[Math.floor(rand() * pieces.length)],
      ).join("");
      if (scanTemplate(source)) answered++;
      expect(analyzeTemplate(source, "auto", "html"), source).toEqual(
        analyzeTemplate(source, "handlebars", "html"),
      );
    }
    expect(answered).toBeGreaterThan(100);
  });
});
