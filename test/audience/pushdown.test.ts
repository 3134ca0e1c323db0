/**
 * The push-down compiler's SQL (audience/pushdown.ts), pure: what is pushed down and how, values
 * only ever as parameters. Its equivalence with mailops' own evaluation is shown against the
 * server in pushdown-pg.test.ts.
 */
import { describe, expect, it } from "vitest";
import { OID } from "../../src/audience/pg-columns.js";
import { pageSql } from "../../src/audience/postgres.js";
import { pushDown } from "../../src/audience/pushdown.js";
import { source, where } from "./helpers.js";

const fields = source(
  "crm",
  `kind: postgres
url_env: U
query: t
key: id
fields:
  email: { type: email }
  name: { type: string }
  score: { type: number }
  vip: { type: boolean, default: false }
  tags: { type: list }
`,
).fields;
const columns = new Map<string, number>([
  ["email", OID.text],
  ["name", OID.text],
  ["score", OID.int4],
  ["vip", OID.bool],
  ["tags", OID.textArray],
]);
const push = (...yaml: (string | undefined)[]) =>
  pushDown(
    yaml.map((y) => (y === undefined ? undefined : where(y))),
    fields,
    columns,
  );

describe("pushDown", () => {
  it("a value is a typed parameter, never text in the SQL", () => {
    const p = push(`{ name: { eq: "x'; DROP TABLE t; --" } }`);
    expect(p).toEqual({
      sql: 'COALESCE(q."name" COLLATE "C" = $1::text, false)',
      params: ["x'; DROP TABLE t; --"],
      complete: true,
    });
  });

  it("numbered in order across tests, segments and negations", () => {
    const p = push(
      "{ all: [ { score: { gte: 3 } }, { not: { name: { in: [a, b] } } } ] }",
      "{ tags: { contains: x } }",
    );
    expect(p.sql).toBe(
      '((COALESCE(q."score"::float8 >= $1::float8, false)) AND (NOT (COALESCE(q."name" COLLATE "C" = ANY($2::text[]), false)))) OR (COALESCE(array_ndims(q."tags") = 1 AND $3::text = ANY(q."tags"::text[]), false))',
    );
    expect(p.params).toEqual([3, ["a", "b"], "x"]);
    expect(p.complete).toBe(true);
  });

  it.each<[string, boolean, string]>([
    ["{ email: { eq: a@example.com } }", false, "TRUE"],
    ["{ vip: { eq: true } }", false, "TRUE"],
    [
      "{ all: [ { email: { eq: a@example.com } }, { score: { gt: 1 } } ] }",
      false,
      'COALESCE(q."score"::float8 > $1::float8, false)',
    ],
    ["{ any: [ { email: { eq: a@example.com } }, { score: { gt: 1 } } ] }", false, "TRUE"],
    ["{ not: { email: { eq: a@example.com } } }", false, "TRUE"],
    ["{ any: [] }", true, "FALSE"],
    ["{ all: [] }", true, "TRUE"],
    ["{ name: { exists: false } }", true, 'q."name" IS NULL'],
  ])("%s: complete %s, %s", (yaml, complete, sql) => {
    const p = push(yaml);
    expect(p.complete).toBe(complete);
    expect(p.sql).toBe(sql);
    expect(p.params.length).toBe((sql.match(/\$\d/g) ?? []).length);
  });

  it("a source named outright (no segment) lets every row through, complete", () => {
    expect(push(undefined, "{ score: { gt: 1 } }")).toEqual({ sql: "TRUE", params: [], complete: true });
  });

  it("a column whose values mailops converts is not pushed down", () => {
    const p = pushDown([where("{ score: { gt: 1 } }")], fields, new Map([["score", OID.float4]]));
    expect(p).toEqual({ sql: "TRUE", params: [], complete: false });
  });
});

describe("pageSql", () => {
  it("filter parameters first, then the key bounds; the key quoted", () => {
    const filter = push("{ score: { gt: 1 } }");
    expect(pageSql({ from: "t AS q", key: 'id"x', filter }, "41", "99", 11)).toEqual({
      text: 'SELECT q.*, (q."id""x")::text AS "__mailops_key" FROM t AS q\nWHERE (COALESCE(q."score"::float8 > $1::float8, false)) AND q."id""x" >= $2 AND q."id""x" <= $3\nORDER BY q."id""x" LIMIT 11',
      values: [1, "41", "99"],
    });
  });
});
