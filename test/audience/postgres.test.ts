/**
 * The postgres source against the real server (test/support/postgres.ts: a schema per run,
 * dropped after): column types to field values, NULLs and defaults, arrays, timestamps with
 * zones; 100,000 rows streamed in pages; the key (unique, never NULL, pages that skip nothing);
 * what a count's key mark does to the send pass; read-only transactions and the statement
 * timeout; and the errors a user meets, none of which shows the URL.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  type AudienceStats,
  audience,
  type Recipient,
  SourceChangedError,
  type SourceRows,
} from "../../src/audience/index.js";
import { MailopsError } from "../../src/errors.js";
import { TEST_DATABASE_URL, usePostgres, withSearchPath } from "../support/postgres.js";
import { campaign, noSuppression, project, segment, source } from "./helpers.js";

const db = usePostgres();
const env = () => ({ CRM_URL: db.url });

const FIELDS = `fields:
  email: { type: email, required: true }
  name: { type: string }
  score: { type: number }
  vip: { type: boolean, default: false }
  joined: { type: date }
  tags: { type: list, default: [] }
`;

const crm = (query: string, extra = "") =>
  source(
    "crm",
    `kind: postgres\nurl_env: CRM_URL\nquery: ${JSON.stringify(query)}\nkey: id\n${extra}${FIELDS}`,
  );

interface Read {
  recipients: Recipient[];
  stats: AudienceStats;
}

async function read(
  query: string,
  options: { where?: string; to?: string; expect?: SourceRows[]; pageRows?: number; extra?: string } = {},
): Promise<Read> {
  const segments = options.where ? [segment("seg", `from: crm\nwhere: ${options.where}`)] : [];
  const p = project("/nowhere", { sources: [crm(query, options.extra)], segments });
  const a = audience(
    p,
    campaign(`to: ${options.to ?? (options.where ? "seg" : "crm")}`),
    {
      open: async () => {
        throw new Error("a postgres source opens no file");
      },
      suppression: noSuppression,
      env: env(),
      ...(options.pageRows ? { pageRows: options.pageRows } : {}),
    },
    options.expect ? { expect: options.expect } : {},
  );
  const recipients: Recipient[] = [];
  for await (const r of a.recipients) recipients.push(r);
  return { recipients, stats: a.stats };
}

async function failure(run: () => Promise<unknown>): Promise<MailopsError> {
  try {
    await run();
  } catch (e) {
    expect(e).toBeInstanceOf(MailopsError);
    return e as MailopsError;
  }
  throw new Error("expected a MailopsError");
}

beforeAll(async () => {
  await db.query(`CREATE TABLE typed (
    id bigint PRIMARY KEY, email text, name varchar(50), score numeric, vip boolean,
    joined timestamptz, tags text[])`);
  await db.query(`INSERT INTO typed VALUES
    (1, ' Ann@Example.com ', 'Ann', 12.5, true, '2026-01-31 10:30:00+01', '{fashion,books}'),
    (2, 'bob@example.com', NULL, NULL, NULL, NULL, NULL),
    (3, 'cy@bücher.example', 'Cy', 'NaN', false, '2026-06-01 00:00:00.123456+00', '{}'),
    (4, 'not-an-address', 'Dee', 1, false, NULL, NULL),
    (5, 'eve@example.com', 'Eve', 7, false, 'infinity', '{"a \\"quoted\\" item",NULL}')`);
});

describe("values as the template sees them", () => {
  it("types, NULLs, defaults, arrays, a timestamp with a zone (in UTC), an IDNA domain", async () => {
    const r = await read("typed");
    const byId = new Map(r.recipients.map((x) => [x.address, x.fields]));
    expect(byId.get("Ann@Example.com")).toEqual({
      email: "Ann@Example.com",
      name: "Ann",
      score: 12.5,
      vip: true,
      joined: "2026-01-31T09:30:00Z",
      tags: ["fashion", "books"],
    });
    // NULL is no value: absent, or the declared default.
    expect(byId.get("bob@example.com")).toEqual({ email: "bob@example.com", vip: false, tags: [] });
    expect([...byId.keys()]).toEqual(["Ann@Example.com", "bob@example.com"]);
    // NaN is no number, `infinity` no date, and the address is checked as a file's is.
    expect(r.stats.invalid).toBe(3);
    expect(r.stats.invalidSamples.map((s) => [s.line, s.reason])).toEqual([
      [3, "`score` should be a number, found text"],
      [4, "invalid email address n*** in `email`"],
      [5, "`joined` is not an ISO date (2026-01-31) or date-time (2026-01-31T09:00:00Z)"],
    ]);
  });

  it("an internationalized domain goes out in ASCII form; a date, a timestamp and numbers of every width", async () => {
    await db.query(`CREATE TABLE widths AS SELECT 1::int AS id, 'cy@bücher.example'::text AS email,
      'x'::text AS name, 3::int2 AS s2, 2147483647::int4 AS s4, 9007199254740993::int8 AS s8, 0.5::float4 AS f4,
      '2026-01-31'::date AS d, '2026-01-31 09:00'::timestamp AS ts, '{1,2}'::int4[] AS ints`);
    const s = source(
      "w",
      `kind: postgres\nurl_env: CRM_URL\nquery: widths\nkey: id\nfields:\n  email: { type: email }\n  s2: { type: number }\n  s4: { type: number }\n  s8: { type: number }\n  f4: { type: number }\n  d: { type: date }\n  ts: { type: date }\n  ints: { type: list }\n`,
    );
    const a = audience(project("/", { sources: [s] }), campaign("to: w"), {
      open: async () => {
        throw new Error("no file");
      },
      suppression: noSuppression,
      env: env(),
    });
    const out: Recipient[] = [];
    for await (const r of a.recipients) out.push(r);
    expect(out.map((r) => [r.address, r.fields])).toEqual([
      [
        "cy@xn--bcher-kva.example",
        {
          email: "cy@xn--bcher-kva.example",
          s2: 3,
          s4: 2147483647,
          s8: 9007199254740992,
          f4: 0.5,
          d: "2026-01-31",
          ts: "2026-01-31T09:00:00",
          ints: [1, 2],
        },
      ],
    ]);
  });
});

describe("rows stream in pages", () => {
  it("100,000 rows, read once each, in pages of 2,500", async () => {
    await db.query(`CREATE TABLE big AS SELECT i AS id, 'user' || i || '@example.com' AS email,
      'User ' || i AS name, i % 100 AS score, i % 7 = 0 AS vip, NULL::timestamptz AS joined,
      ARRAY['t' || (i % 5)] AS tags FROM generate_series(1, 100000) i`);
    await db.query("ALTER TABLE big ADD PRIMARY KEY (id)");
    const r = await read("big");
    expect(r.stats.read).toBe(100_000);
    expect(r.recipients).toHaveLength(100_000);
    expect(new Set(r.recipients.map((x) => x.key)).size).toBe(100_000);
    expect(r.stats.sources).toEqual([{ source: "crm", read: 100_000, invalid: 0, through: "100000" }]);
  });

  it("a segment pushed down: only matching rows leave the database, and they are the audience", async () => {
    const r = await read("big", {
      where: '{ all: [ { score: { gte: 90 } }, { name: { ends_with: "5" } } ] }',
    });
    expect(r.stats.read).toBe(1_000);
    expect(r.stats.notMatched).toBe(0);
    expect(r.recipients).toHaveLength(1_000);
    // A field with a default is tested in mailops: the database returns what the rest selects.
    const withDefault = await read("big", {
      where: "{ all: [ { score: { gte: 90 } }, { tags: { contains: t0 } } ] }",
    });
    expect(withDefault.stats.read).toBe(10_000);
    expect(withDefault.stats.notMatched).toBe(8_000);
    expect(withDefault.recipients).toHaveLength(2_000);
  });

  it("a segment on the address stays in mailops: every row is read and tested", async () => {
    const r = await read("SELECT * FROM big WHERE id <= 20000", {
      where: "{ email: { ends_with: 00@EXAMPLE.com } }",
    });
    expect(r.stats.read).toBe(20_000);
    expect(r.recipients).toHaveLength(200);
  });

  it("small pages over keys with gaps, rows that fail the filter in between: each row once", async () => {
    await db.query(`CREATE TABLE gaps AS SELECT i * 3 AS id, 'g' || i || '@example.com' AS email, NULL::text AS name,
      i % 2 AS score FROM generate_series(1, 95) i`);
    const r = await read("SELECT id, email, name, score FROM gaps", {
      where: "{ score: { eq: 1 } }",
      pageRows: 7,
      extra: "",
    }).catch((e) => e);
    // The declared fields the query does not return are named before anything is read.
    expect(r).toBeInstanceOf(MailopsError);
    expect((r as Error).message).toContain(
      "the query returns no column `vip` (it returns `id`, `email`, `name`, `score`)",
    );
    const ok = await read(
      "SELECT id, email, name, score, false AS vip, NULL::date AS joined, NULL::text[] AS tags FROM gaps -- comment;",
      { where: "{ score: { eq: 1 } }", pageRows: 7 },
    );
    expect(ok.recipients.map((x) => x.address)).toEqual(
      Array.from({ length: 48 }, (_, i) => `g${2 * i + 1}@example.com`),
    );
  });
});

describe("the key", () => {
  const rows = (id: string) =>
    `SELECT ${id} AS id, 'k' || i || '@example.com' AS email, NULL::text AS name, NULL::int AS score, NULL::boolean AS vip, NULL::date AS joined, NULL::text[] AS tags FROM generate_series(1, 30) i`;

  it.each<[string, string, number, RegExp]>([
    ["repeated within a page", "i / 2", 100, /two rows have the same `id`: the key must be unique/],
    [
      "repeated across a page boundary",
      "CASE WHEN i IN (10, 11) THEN 10 ELSE i END",
      10,
      /two rows have the same `id`/,
    ],
    [
      "NULL",
      "CASE WHEN i = 30 THEN NULL ELSE i END",
      100,
      /rows have no `id` \(NULL\): the key must be unique and never NULL/,
    ],
  ])("%s: the read stops, nothing from it is sent", async (_what, id, pageRows, message) => {
    const e = await failure(() => read(rows(id), { pageRows }));
    expect(e.message).toMatch(message);
  });
});

describe("the count's key mark bounds the send pass", () => {
  beforeAll(async () => {
    await db.query(`CREATE TABLE live AS SELECT i * 10 AS id, 'l' || i || '@example.com' AS email, 'L' || i AS name,
      i AS score, false AS vip, NULL::date AS joined, NULL::text[] AS tags FROM generate_series(1, 20) i`);
  });
  const query = "live";
  const count = async () => (await read(query, { where: "{ score: { gt: 0 } }", pageRows: 6 })).stats.sources;

  it("a row added after the count, past its last key, is not read by the send pass", async () => {
    const counted = await count();
    expect(counted[0]?.through).toBe("200");
    await db.query("INSERT INTO live VALUES (210, 'late@example.com', 'Late', 21, false, NULL, NULL)");
    const send = await read(query, { where: "{ score: { gt: 0 } }", expect: counted, pageRows: 6 });
    expect(send.recipients.map((r) => r.address)).not.toContain("late@example.com");
    expect(send.recipients).toHaveLength(20);
    await db.query("DELETE FROM live WHERE id = 210");
  });

  it("a row deleted, or updated out of the segment, after the count is not sent, and the pass goes on", async () => {
    const counted = await count();
    await db.query("UPDATE live SET score = 0 WHERE id = 50");
    await db.query("DELETE FROM live WHERE id = 150 RETURNING *");
    const send = await read(query, { where: "{ score: { gt: 0 } }", expect: counted, pageRows: 6 });
    expect(send.recipients).toHaveLength(18);
    expect(send.recipients.map((r) => r.address)).not.toContain("l5@example.com");
    await db.query("UPDATE live SET score = 5 WHERE id = 50");
    await db.query("INSERT INTO live VALUES (150, 'l15@example.com', 'L15', 15, false, NULL, NULL)");
  });

  it("a row added below the mark makes the pass read more than was counted: it stops before handing those out", async () => {
    const counted = await count();
    await db.query("INSERT INTO live VALUES (5, 'early@example.com', 'Early', 1, false, NULL, NULL)");
    const e = await failure(() =>
      read(query, { where: "{ score: { gt: 0 } }", expect: counted, pageRows: 6 }),
    );
    expect(e).toBeInstanceOf(SourceChangedError);
    expect(e.message).toContain(
      "changed after it was counted: the count read 20 rows (0 invalid), this pass has read 21",
    );
    await db.query("DELETE FROM live WHERE id = 5");
  });
});

describe("what the database is asked, and what it answers", () => {
  it("a query that writes is refused by the read-only transaction", async () => {
    await db.query("CREATE SEQUENCE seq");
    const e = await failure(() =>
      read("SELECT id, email, name, nextval('seq')::int AS score, vip, joined, tags FROM typed"),
    );
    expect(e.message).toContain(
      "the query tries to write, in a read-only transaction: cannot execute nextval() in a read-only transaction",
    );
  });

  it("a page slower than statement_timeout stops the read", async () => {
    const e = await failure(() =>
      read("SELECT t.* FROM typed t, pg_sleep(3)", { extra: "statement_timeout: 1s\n" }),
    );
    expect(e.message).toMatch(/a page took longer than the statement timeout \(1s\)/);
    expect(e.hint).toContain("statement_timeout");
  });

  it.each<[string, string, RegExp]>([
    ["a missing table", "nope", /the query failed: relation "nope" does not exist/],
    [
      "a column of the wrong type",
      "SELECT id, email, name, name AS score, vip, joined, tags FROM typed",
      /field `score` is declared number, but the column is character varying/,
    ],
    [
      "a column named otherwise",
      'SELECT id, email AS "Email", name, score, vip, joined, tags FROM typed',
      /the query returns no column `email` \(it returns `id`, `Email`, /,
    ],
  ])("%s: a clear error before any row", async (_what, query, message) => {
    const e = await failure(() => read(query));
    expect(e.message).toMatch(message);
  });
});

describe("the URL is never shown", () => {
  const withUrl = async (url: string | undefined) => {
    const p = project("/", { sources: [crm("typed")] });
    const a = audience(p, campaign("to: crm"), {
      open: async () => {
        throw new Error("no file");
      },
      suppression: noSuppression,
      env: url === undefined ? {} : { CRM_URL: url },
    });
    return failure(async () => {
      for await (const _ of a.recipients) {
        // reading
      }
    });
  };

  it("a missing variable is named, with what to put in it", async () => {
    const e = await withUrl(undefined);
    expect(e.message).toBe(
      "subscriber source `crm` (postgres, $CRM_URL): the environment variable CRM_URL is not set",
    );
    expect(e.hint).toContain("set CRM_URL to the database's URL (postgres://");
  });

  it.each<[string, string, RegExp]>([
    ["not a URL", "hunter2-not-a-url", /CRM_URL does not hold a postgres:\/\/ URL/],
    [
      "nothing listening",
      "postgres://mailops:hunter2secret@127.0.0.1:1/test",
      /cannot connect to the database/,
    ],
    [
      "a CA file that is not there (the driver quotes its path)",
      "postgres://mailops:hunter2@127.0.0.1:1/test?sslmode=verify-full&sslrootcert=/nonexistent/hunter2-ca.pem",
      /cannot connect to the database: ENOENT: no such file or directory, open '\/nonexistent\/\*\*\*-ca\.pem'/,
    ],
    [
      "no such database",
      withSearchPath(TEST_DATABASE_URL.replace(/\/[^/?]*(\?|$)/, "/mailops_no_such_db$1"), "x"),
      /database "mailops_no_such_db" does not exist/,
    ],
  ])("%s: the error says so, without the URL or its password", async (_what, url, message) => {
    const e = await withUrl(url);
    expect(e.message).toMatch(message);
    const text = `${e.message} ${e.hint}`;
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain(url);
  });
});
