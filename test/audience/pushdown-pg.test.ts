/**
 * Push-down against the real server: every segment condition of the condition tests
 * (condition-cases.ts), and the combinations, evaluated both ways over one table holding the rows
 * of all of them plus awkward ones (NULLs, NaN, infinity, BC dates, nested and NULL-holding
 * arrays, quotes, LIKE wildcards, backslashes): in PostgreSQL (the pushed-down WHERE) and in
 * mailops (every row read, then compileCondition). The audiences must be equal, and each
 * condition that can be pushed down must have been, whole. Four column layouts: text, float8,
 * timestamptz, text[]; varchar, int8, date, int4[]; numeric and timestamp; text in a
 * case-insensitive collation. Segment values that
 * look like SQL are values, never SQL.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Row } from "../../src/audience/condition.js";
import { compileTyper } from "../../src/audience/fields.js";
import { compileCondition } from "../../src/audience/index.js";
import { type FilteredSink, readPostgres } from "../../src/audience/postgres.js";
import { pushDown } from "../../src/audience/pushdown.js";
import type { Source } from "../../src/config/model.js";
import { usePostgres } from "../support/postgres.js";
import { COMBINATION_ROW, cases, combinations } from "./condition-cases.js";
import { source, where } from "./helpers.js";

const db = usePostgres();

/** Conditions whose values look like SQL, or like patterns: matched as plain values. */
const INJECTIONS = [
  `{ name: { eq: "It's; DROP TABLE people; --" } }`,
  `{ name: { eq: "' OR '1'='1" } }`,
  `{ name: { in: ["O'Brien", "x') OR TRUE OR ('"] } }`,
  `{ name: { contains: "%" } }`,
  `{ name: { contains: "_" } }`,
  `{ name: { starts_with: "a_" } }`,
  `{ name: { ends_with: "\\\\slash" } }`,
  `{ name: { not_in: ["$1", "'; SELECT pg_sleep(10); --"] } }`,
  `{ name: { starts_with: "$$" } }`,
  `{ tags: { contains: "fashion'}" } }`,
  `{ tags: { contains: "') OR TRUE --" } }`,
];

/** More conditions over the awkward rows. */
const EDGES = [
  '{ name: { eq: "Ann " } }',
  '{ name: { eq: "" } }',
  '{ name: { ends_with: "" } }',
  '{ name: { contains: "" } }',
  '{ name: { eq: "ÅNN" } }',
  "{ score: { gt: 1e299 } }",
  "{ score: { lt: -1e299 } }",
  "{ score: { eq: 0 } }",
  "{ score: { gte: 0.1 } }",
  "{ score: { in: [0.1, 2.5, -0] } }",
  '{ joined: { before: "1000-01-01" } }',
  '{ joined: { after: "9000-01-01" } }',
  '{ joined: { eq: "2026-01-31" } }',
  "{ tags: { contains: fashion } }",
  "{ tags: { contains: 7 } }",
  "{ not: { tags: { exists: true } } }",
  "{ any: [ { name: { exists: false } }, { score: { exists: false } } ] }",
  "{ all: [ { vip: { ne: true } }, { joined: { exists: true } } ] }",
  "{ any: [ { email: { ends_with: example.org } }, { score: { gt: 5 } } ] }",
  "{ all: [ { email: { ends_with: example.org } }, { score: { gt: 5 } } ] }",
  "{ not: { all: [ { email: { contains: x } }, { vip: { eq: true } } ] } }",
];

/** Awkward rows, as column values (SQL literals where a JavaScript value cannot say it). */
const AWKWARD: Record<string, string | null>[] = [
  { name: "'O''Brien'", score: "'NaN'", joined: "'infinity'", tags: "'{}'" },
  { name: "'100%'", score: "'Infinity'", joined: "'-infinity'", tags: "'{NULL}'" },
  { name: "'a_b'", score: "1e300", joined: "'0044-03-15 BC'", tags: "'{NULL,fashion}'" },
  {
    name: "'back\\slash'",
    score: "'-0'",
    joined: "'2026-01-31 00:00:00.0005+00'",
    tags: "'{{fashion,x},{y,z}}'",
  },
  {
    name: `'It''s; DROP TABLE people; --'`,
    score: "0.1",
    joined: "'12026-01-01'",
    tags: "'{\"fashion''}\"}'",
  },
  { name: "'Ann '", score: "-1e300", joined: "'2026-01-31 23:59:59.9999+00'", tags: "'{7,\"7\"}'" },
  { name: "'ÅNN'", score: "2.5", joined: "'1969-12-31 23:59:59.9995+00'", tags: "'{\"\"}'" },
  { name: "''", score: "0", joined: "'0001-01-01 00:00:00+00'", tags: "'{$1}'" },
  { name: "'x'') OR TRUE OR ('''", score: null, joined: null, tags: null },
  { name: null, score: null, joined: null, tags: null },
];

const LAYOUTS: Record<string, string> = {
  "text, float8, timestamptz, text[]": "SELECT id, email, name, score, vip, joined, tags FROM people",
  "varchar, int8, date, int4[]":
    "SELECT id, email, name_vc AS name, score_i AS score, vip, joined_d AS joined, tags_i AS tags FROM people",
  "numeric, timestamp":
    "SELECT id, email, name, score_n AS score, vip, joined_ts AS joined, tags FROM people",
  // Equal under this collation is not equal to mailops: "C" compares as mailops does.
  "text in a case-insensitive collation":
    "SELECT id, email, name_ci AS name, score, vip, joined, tags FROM people",
};

function layoutSource(query: string, defaults = false): Source {
  return source(
    "people",
    `kind: postgres
url_env: TEST_URL
query: ${JSON.stringify(query)}
key: id
fields:
  id: { type: number }
  email: { type: email, required: true }
  name: { type: string }
  score: { type: number${defaults ? ", default: 0" : ""} }
  vip: { type: boolean${defaults ? ", default: false" : ""} }
  joined: { type: date }
  tags: { type: list${defaults ? ", default: []" : ""} }
`,
  );
}

/** Every typed row the layout yields, read without any filter. */
async function readAll(src: Source): Promise<Row[]> {
  const rows: Row[] = [];
  const sink: FilteredSink = { row: (r) => rows.push(r), bad: () => {} };
  for await (const _ of readPostgres(src, compileTyper(src), sink, { range: {}, env: env() }, "t")) {
    // collected by the sink
  }
  return rows;
}

/**
 * The ids the pushed-down WHERE selects (rows mailops reads as invalid left out, as the reader
 * leaves them out), tested again in mailops only when not pushed down whole. The SQL and its
 * parameters are the reader's own (audience/postgres.ts puts them after its FROM).
 */
async function pushedIds(
  src: Source,
  query: string,
  valid: ReadonlyMap<number, Row>,
  condition: string,
): Promise<{ ids: number[]; complete: boolean }> {
  const c = where(condition);
  const filter = pushDown([c], src.fields, await columnTypes(query));
  const rows = await db.query<{ id: number }>(
    `SELECT q.id FROM (${query}) AS q WHERE ${filter.sql} ORDER BY q.id`,
    filter.params,
  );
  const test = compileCondition(c, src.fields);
  const ids = rows
    .map((r) => r.id)
    .filter((id) => valid.has(id) && (filter.complete || test(valid.get(id) as Row)));
  return { ids, complete: filter.complete };
}

const types = new Map<string, Map<string, number>>();
async function columnTypes(query: string): Promise<Map<string, number>> {
  let t = types.get(query);
  if (t === undefined) {
    const fields = await db.fields(`SELECT * FROM (${query}) AS q LIMIT 0`);
    t = new Map(fields.map((f) => [f.name, f.dataTypeID]));
    types.set(query, t);
  }
  return t;
}

const env = () => ({ TEST_URL: db.url });

const CONDITIONS = [
  ...new Set([
    ...Object.values(cases).flatMap((list) => list.map(([c]) => c)),
    ...combinations.map(([c]) => c),
    ...INJECTIONS,
    ...EDGES,
  ]),
];

beforeAll(async () => {
  await db.query(
    "CREATE COLLATION case_insensitive (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
  );
  await db.query(`CREATE TABLE people (
    id serial PRIMARY KEY, email text NOT NULL,
    name text, name_vc varchar(200),
    score float8, score_i int8, score_n numeric,
    vip boolean,
    joined timestamptz, joined_d date, joined_ts timestamp,
    tags text[], tags_i int4[],
    name_ci text COLLATE case_insensitive GENERATED ALWAYS AS (name) STORED)`);
  const rows: Record<string, unknown>[] = [
    ...Object.values(cases).flatMap((list) => list.map(([, row]) => row)),
    COMBINATION_ROW,
  ];
  for (const [i, row] of rows.entries()) {
    const tags = Array.isArray(row.tags) ? row.tags.map(String) : null;
    const ints = tags?.every((t) => /^-?\d+$/.test(t)) ? tags : null;
    await db.query(
      `INSERT INTO people (email, name, name_vc, score, score_i, score_n, vip, joined, joined_d, joined_ts, tags, tags_i)
       VALUES ($1, $2::text, $2::text, $3, CASE WHEN $3::float8 = trunc($3::float8) THEN $3::float8::int8 END, $3::numeric, $4,
               $5::timestamptz, $5::timestamptz::date, $5::timestamptz AT TIME ZONE 'UTC', $6::text[], $7::int4[])`,
      [
        typeof row.email === "string" ? row.email : `row${i}@example.com`,
        row.name ?? null,
        row.score ?? null,
        row.vip ?? null,
        row.joined ?? null,
        tags,
        ints,
      ],
    );
  }
  for (const [i, a] of AWKWARD.entries()) {
    const v = (x: string | null | undefined) => x ?? "NULL";
    await db.query(
      `INSERT INTO people (email, name, name_vc, score, score_n, vip, joined, joined_ts, tags)
       VALUES ('odd${i}@example.org', ${v(a.name)}, ${v(a.name)}, ${v(a.score)}::float8,
               ${a.score === "-1e300" || a.score === "1e300" ? `${a.score}::numeric * 1e100` : `${v(a.score)}::numeric`},
               ${i % 2 === 0 ? "true" : "NULL"}, ${v(a.joined)}::timestamptz, ${v(a.joined)}::timestamptz AT TIME ZONE 'UTC', ${v(a.tags)}::text[])`,
    );
  }
});

describe("push-down gives the audience evaluation in mailops gives", () => {
  for (const [layout, query] of Object.entries(LAYOUTS)) {
    describe(layout, () => {
      const src = layoutSource(query);
      let all: Row[] = [];
      let valid = new Map<number, Row>();
      beforeAll(async () => {
        all = await readAll(src);
        valid = new Map(all.map((r) => [r.id as number, r]));
      });

      it("reads every row of the table, the awkward ones typed or refused as a file's would be", async () => {
        const [{ n }] = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM people")) as [
          { n: number },
        ];
        expect(all.length).toBeGreaterThan(n - AWKWARD.length - 1);
        expect(all.length).toBeLessThanOrEqual(n);
      });

      it.each(CONDITIONS)("%s", async (condition) => {
        const test = compileCondition(where(condition), src.fields);
        const expected = all
          .filter((r) => test(r))
          .map((r) => r.id as number)
          .sort((a, b) => a - b);
        const got = await pushedIds(src, query, valid, condition);
        expect(got.ids).toEqual(expected);
        // Everything but the address is pushed down whole, on these columns.
        expect(got.complete).toBe(!/\bemail:/.test(condition));
      });
    });
  }

  it("a field with a default is tested in mailops (SQL would see the NULL the default fills), with the same audience", async () => {
    const query = LAYOUTS["text, float8, timestamptz, text[]"] as string;
    const src = layoutSource(query, true);
    const all = await readAll(src);
    const valid = new Map(all.map((r) => [r.id as number, r]));
    for (const condition of [
      "{ vip: { eq: false } }",
      "{ score: { lt: 1 } }",
      "{ tags: { exists: false } }",
    ]) {
      const test = compileCondition(where(condition), src.fields);
      const got = await pushedIds(src, query, valid, condition);
      expect(got.complete, condition).toBe(false);
      expect(got.ids, condition).toEqual(
        all
          .filter((r) => test(r))
          .map((r) => r.id as number)
          .sort((a, b) => a - b),
      );
    }
  });

  it("the values that looked like SQL changed nothing", async () => {
    const [{ n }] = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM people")) as [
      { n: number },
    ];
    const rows = [...Object.values(cases).flat(), COMBINATION_ROW].length;
    expect(n).toBe(rows + AWKWARD.length);
  });
});
