/** guardrails.max_invalid_rows as a rule: the limit, the totals it judges, the refusal text. */
import { describe, expect, it } from "vitest";
import {
  describeTooManyInvalid,
  invalidRowLimit,
  judgeInvalidRows,
  sourceTotals,
} from "../../src/audience/index.js";
import { buildSettings, parseMaxInvalidRows } from "../../src/config/build.js";
import { parseYaml } from "../../src/config/yaml.js";

describe("invalidRowLimit", () => {
  it.each<[string | number, number, number]>([
    [250, 1_000_000, 250],
    [0, 10, 0],
    ["1%", 10_000, 100],
    ["1%", 10_001, 101], // 100.01 rounds up
    ["1%", 150, 2], // 1.5 rounds up
    ["1%", 7, 1], // at least 1
    ["1%", 0, 1],
    ["0%", 1_000, 1],
    ["0.1%", 1_000, 1],
    ["0.07%", 10_000, 7], // exactly 7, not 8: 10000 * 0.07 / 100 is 7.000000000000001 in binary
    ["0.7%", 300, 3], // 2.1 rounds up
    ["100%", 42, 42],
  ])("%s of %i rows read allows %i", (setting, read, limit) => {
    const max = parseMaxInvalidRows(setting);
    if (max === undefined) throw new Error(`${setting} did not parse`);
    expect(invalidRowLimit(max, read)).toBe(limit);
  });

  it("is 1% when mailops.yaml does not set it", () => {
    const { doc } = parseYaml("mailops.yaml", "project: p\nguardrails: { max_delete_percent: 30 }\n");
    expect(buildSettings("mailops.yaml", doc, true).guardrails.maxInvalidRows).toEqual({ percent: 1 });
    const set = parseYaml("mailops.yaml", "project: p\nguardrails: { max_invalid_rows: 250 }\n");
    expect(buildSettings("mailops.yaml", set.doc, true).guardrails.maxInvalidRows).toEqual({ rows: 250 });
  });

  it.each([["1 %"], ["%"], ["-1"], [1.5], [-1], ["ten"], [true]])("parses %s as nothing", (v) => {
    expect(parseMaxInvalidRows(v)).toBeUndefined();
  });
});

describe("judgeInvalidRows", () => {
  const sources = [
    { source: "optouts", read: 100, invalid: 3 }, // an exclude-only source, read ahead
    { source: "customers", read: 900, invalid: 4 }, // read ahead for an exclude...
    { source: "customers", read: 900, invalid: 4 }, // ...and again as a `to` source: counted once
  ];

  it("sums every source once, exclude sources included", () => {
    expect(sourceTotals({ sources })).toEqual({ read: 1000, invalid: 7 });
  });

  it("is over only when the invalid rows exceed the limit", () => {
    expect(judgeInvalidRows({ sources }, { rows: 7 })).toEqual({
      read: 1000,
      invalid: 7,
      limit: 7,
      over: false,
    });
    expect(judgeInvalidRows({ sources }, { rows: 6 })).toMatchObject({ over: true });
    // 1% of 1,000 is 10: 7 is fine; 0.5% is 5: refused.
    expect(judgeInvalidRows({ sources }, { percent: 1 })).toMatchObject({ limit: 10, over: false });
    expect(judgeInvalidRows({ sources }, { percent: 0.5 })).toMatchObject({ limit: 5, over: true });
  });

  it("says how many, the limit, where the first ones are, and what to do", () => {
    const rows = judgeInvalidRows({ sources }, { percent: 0.5 });
    const samples = [
      { source: "optouts", line: 3, reason: "invalid email address j***@example.com in `email`" },
      { source: "customers", line: 9, reason: "missing required field `name`" },
    ];
    const fileOf = (name: string) => `subscribers/${name}.csv`;
    expect(describeTooManyInvalid(rows, { percent: 0.5 }, samples, fileOf, true)).toBe(
      "7 invalid rows of 1000 read, more than guardrails.max_invalid_rows allows (0.5% of the rows read, 5); first: subscribers/optouts.csv:3 invalid email address j***@example.com in `email`; subscribers/customers.csv:9 missing required field `name`; fix the export, or raise guardrails.max_invalid_rows in mailops.yaml if these rows are expected",
    );
    expect(describeTooManyInvalid(rows, { rows: 5 }, samples, fileOf, false)).toContain(
      "(5); first: subscribers/optouts.csv:3; subscribers/customers.csv:9; fix the export",
    );
  });
});
