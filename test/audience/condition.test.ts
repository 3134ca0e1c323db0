import { describe, expect, it } from "vitest";
import { compileCondition } from "../../src/audience/index.js";
import { OPERATORS_BY_TYPE } from "../../src/config/lint/segments.js";
import type { FieldType } from "../../src/config/model.js";
import { MailopsError } from "../../src/errors.js";
import { type Case, COMBINATION_ROW, cases, combinations, fields } from "./condition-cases.js";
import { where } from "./helpers.js";

const matches = (yaml: string, row: Record<string, unknown>) => compileCondition(where(yaml), fields)(row);

describe("compileCondition: every operator on every type it applies to", () => {
  for (const [type, list] of Object.entries(cases) as [FieldType, Case[]][]) {
    it.each(list)(`${type}: %s on %j is %s`, (condition, row, expected) => {
      expect(matches(condition, row)).toBe(expected);
    });
  }

  it("the table covers every operator each type takes", () => {
    for (const [type, ops] of Object.entries(OPERATORS_BY_TYPE) as [FieldType, readonly string[]][]) {
      const used = new Set(cases[type].flatMap(([c]) => ops.filter((op) => c.includes(`${op}:`))));
      expect([...used].sort(), type).toEqual([...ops].sort());
    }
  });
});

describe("compileCondition: all, any, not", () => {
  const row = COMBINATION_ROW;
  it.each<[string, boolean]>(combinations)("%s is %s", (condition, expected) => {
    expect(matches(condition, row)).toBe(expected);
  });
});

describe("compileCondition refuses what lint reports, before any row is read", () => {
  it.each<[string, RegExp]>([
    ["{ nickname: { eq: x } }", /`nickname`, which the subscriber source does not declare/],
    ["{ name: { gt: 3 } }", /`gt` does not apply to `name`, a string field/],
    ["{ tags: { eq: x } }", /`eq` does not apply to `tags`, a list field/],
    ["{ vip: { in: [true] } }", /`in` does not apply to `vip`, a boolean field/],
    ['{ score: { gte: "3" } }', /`gte` on `score` needs a number, found "3"/],
    ["{ score: { in: [1, two] } }", /`in` on `score` needs a number, found "two"/],
    ["{ vip: { eq: yes } }", /`eq` on `vip` needs true or false/],
    ['{ joined: { before: "2026-02-30" } }', /`before` on `joined` needs a date/],
    ["{ joined: { after: 2026 } }", /`after` on `joined` needs a date/],
    ["{ name: { exists: yes } }", /`exists` on `name` needs true or false/],
    ["{ tags: { contains: [a] } }", /`contains` on `tags` needs a single value/],
    ["{ name: { eq: { a: 1 } } }", /`eq` on `name` needs text/],
    // YAML reads these as a number and a boolean: a text field is never equal to them.
    ["{ name: { eq: 5 } }", /`eq` on `name` needs text \(quote it\), found 5/],
    ["{ name: { in: [Ann, true] } }", /`in` on `name` needs text \(quote it\), found true/],
    ["{ name: { starts_with: 0 } }", /`starts_with` on `name` needs text/],
  ])("%s", (condition, message) => {
    let caught: unknown;
    try {
      compileCondition(where(condition), fields);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(MailopsError);
    expect((caught as Error).message).toMatch(message);
  });
});
