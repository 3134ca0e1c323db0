/** Column types to field types and values (audience/pg-columns.ts), pure. */
import { describe, expect, it } from "vitest";
import {
  type Column,
  columnFits,
  OID,
  timestampText,
  timestamptzText,
  valueParsers,
} from "../../src/audience/pg-columns.js";
import type { FieldType } from "../../src/config/model.js";

const col = (oid: number, category: string, type = "t"): Column => ({ name: "c", oid, category, type });

describe("values", () => {
  it.each<[string, string]>([
    ["2026-01-31 09:00:00+00", "2026-01-31T09:00:00Z"],
    ["2026-01-31 09:00:00.123456+00", "2026-01-31T09:00:00.123456Z"],
    ["2026-01-31 14:30:00+05:30", "2026-01-31T14:30:00+05:30"],
    ["2026-01-31 04:00:00-05", "2026-01-31T04:00:00-05:00"],
    ["infinity", "infinity"],
  ])("timestamptz %s is %s", (text, iso) => {
    expect(timestamptzText(text)).toBe(iso);
  });

  it("a timestamp without zone keeps none (UTC to mailops); a date stays as it is", () => {
    expect(timestampText("2026-01-31 09:00:00")).toBe("2026-01-31T09:00:00");
    expect(timestampText("2026-01-31")).toBe("2026-01-31");
  });

  it("numbers are numbers, but NaN and Infinity stay text (an invalid number field)", () => {
    const parsers = valueParsers((t) => t.slice(1, -1).split(","));
    const num = parsers.get(OID.numeric) as (t: string) => unknown;
    expect([num("12.50"), num("-0"), num("NaN"), num("Infinity")]).toEqual([12.5, -0, "NaN", "Infinity"]);
    expect((parsers.get(OID.bool) as (t: string) => unknown)("t")).toBe(true);
    expect((parsers.get(OID.timestamptzArray) as (t: string) => unknown)("{2026-01-31 09:00:00+00}")).toEqual(
      ["2026-01-31T09:00:00Z"],
    );
  });
});

describe("columnFits", () => {
  it.each<[FieldType, Column, boolean]>([
    ["string", col(OID.text, "S"), true],
    ["string", col(OID.int4, "N"), false],
    ["email", col(2950, "U"), true],
    ["number", col(OID.numeric, "N"), true],
    ["number", col(OID.money, "N"), false],
    ["number", col(OID.text, "S"), false],
    ["boolean", col(OID.bool, "B"), true],
    ["date", col(OID.timestamptz, "D"), true],
    ["date", col(OID.text, "S"), true],
    ["date", col(OID.time, "D"), false],
    ["list", col(OID.int4Array, "A"), true],
    ["list", col(OID.text, "S"), false],
    ["list", col(OID.jsonb, "U"), true],
  ])("%s over %j: %s", (type, column, fits) => {
    expect(columnFits(type, column)).toBe(fits);
  });
});
