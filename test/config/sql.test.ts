/** The offline check of a postgres source's `query` (config/sql.ts): what validate can tell without a database. */
import { describe, expect, it } from "vitest";
import { fromItem, quoteIdent, readQuery } from "../../src/config/sql.js";

describe("readQuery", () => {
  it.each<[string, string[]]>([
    ["customers", ["customers"]],
    ["Customers", ["customers"]],
    ["crm.customers;", ["crm", "customers"]],
    ['crm."Active Customers"', ["crm", "Active Customers"]],
    ['"we""ird"', ['we"ird']],
  ])("%s is a table or view", (query, parts) => {
    expect(readQuery(query)).toMatchObject({ kind: "table", parts });
  });

  it.each<[string, string[] | undefined]>([
    ["SELECT id, email, name FROM customers", ["id", "email", "name"]],
    ["select c.id, lower(c.email) AS email, c.Name from customers c", ["id", "email", "name"]],
    ["SELECT id, email AS \"Email\" FROM t WHERE note = 'a;b' -- trailing; comment", ["id", "Email"]],
    ["SELECT DISTINCT id, email FROM t", ["id", "email"]],
    ["SELECT * FROM customers WHERE active", undefined],
    ["SELECT id, lower(email) FROM t", undefined],
    ["SELECT DISTINCT ON (email) id, email FROM t", undefined],
    ["WITH a AS (SELECT 1 AS id) SELECT id FROM a", undefined],
    ["SELECT $tag$;$tag$ AS id, /* a ; /* nested */ comment */ email FROM t", ["id", "email"]],
    ["VALUES (1, 'a@example.com')", undefined],
  ])("%s is a SELECT returning %j", (query, columns) => {
    const shape = readQuery(query);
    expect(shape.kind).toBe("select");
    expect(shape.kind === "select" ? shape.columns : "").toEqual(columns);
  });

  it.each<[string, RegExp]>([
    ["", /the query is empty/],
    ["SELECT 1; DELETE FROM customers", /more than one statement/],
    ["DELETE FROM customers", /not a SELECT: it starts with `delete`/],
    ["WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone", /not read-only: it uses `DELETE`/],
    ["SELECT * FROM t FOR UPDATE", /not read-only: it uses `FOR`/],
    ["SELECT * INTO copy FROM t", /not read-only: it uses `INTO`/],
    ["SELECT * FROM t WHERE id = $1", /a parameter \(\$1\)/],
    ["SELECT 'unclosed FROM t", /string constant \('\) is opened and never closed/],
    ["SELECT (1 FROM t", /a `\(` is never closed/],
    ["SELECT 1) FROM t", /a `\)` closes nothing/],
    ["SELECT /* never closed", /comment is opened and never closed/],
  ])("%s is refused: %s", (query, reason) => {
    const shape = readQuery(query);
    expect(shape.kind).toBe("invalid");
    expect(shape.kind === "invalid" ? shape.reason : "").toMatch(reason);
  });
});

describe("fromItem", () => {
  it("quotes a table's parts, and keeps a query's trailing comment off the closing parenthesis", () => {
    expect(fromItem(readQuery('crm."My View"') as never)).toBe('"crm"."My View" AS q');
    expect(fromItem(readQuery("SELECT * FROM t -- all of them;") as never)).toBe(
      "(\nSELECT * FROM t -- all of them;\n) AS q",
    );
    expect(fromItem(readQuery("SELECT * FROM t;") as never)).toBe("(\nSELECT * FROM t\n) AS q");
    expect(quoteIdent('a"; DROP TABLE t; --')).toBe('"a""; DROP TABLE t; --"');
  });
});
