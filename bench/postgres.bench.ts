/**
 * A postgres source at 1,000,000 rows (docs/performance.md): the audience through a segment
 * pushed down into the query (keyset pages, each a read-only transaction through a cursor; type
 * check, dedupe, suppression and the render check on the rows that match), beside the floor: a
 * bare cursor read of the same query, one transaction, the driver's own parsing, nothing else.
 * Also the whole source through mailops (no segment: every row leaves the database), and the peak
 * memory of each. Each measurement runs in a fresh child process (as audience.bench.ts does), so
 * its peak RSS is its own.
 *
 * The server is MAILOPS_TEST_DATABASE_URL's, or postgres://postgres@127.0.0.1:5432/test; the
 * table lives in a schema of its own, dropped at the end.
 */
import { performance } from "node:perf_hooks";
import pg from "pg";
import Cursor from "pg-cursor";
import { audience } from "../src/audience/index.js";
import { loadProject } from "../src/config/load.js";
import type { Campaign, Condition, Operator, Project, Segment, Source } from "../src/config/model.js";
import { DEFAULT_STATEMENT_TIMEOUT_MS } from "../src/config/model.js";
import { messageBuilder } from "../src/send/message.js";
import { bundle, cpuClock, maxRssMb, runChild } from "./child.js";
import type { Figure } from "./measure.js";

const ROWS = 1_000_000;
const RSS_BUDGET_MB = 300;
const CHILD_ENV = "MAILOPS_PG_BENCH";
const URL_ENV = "MAILOPS_BENCH_DATABASE_URL";

type Mode = "floor" | "pushed" | "whole";
interface ChildResult {
  ms: number;
  cpuMs: number;
  rows: number;
  selected: number;
  maxRssMb: number;
}

export async function benchPostgres(): Promise<Figure[]> {
  const base = process.env.MAILOPS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const schema = `mailops_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    const t0 = performance.now();
    await generate(admin, schema);
    const generateMs = performance.now() - t0;
    const u = new URL(base);
    u.searchParams.set("options", `-c search_path=${schema}`);
    const child = await bundle("bench/postgres.bench.ts", "postgres-bench-child.js");
    const run = (mode: Mode) =>
      runChild<ChildResult>(
        child,
        [mode],
        { [CHILD_ENV]: "1", [URL_ENV]: u.toString() },
        `postgres bench child (${mode})`,
      );
    // Side by side, in turns, three times each: the median of each.
    const runs: Record<Mode, ChildResult[]> = { floor: [], pushed: [], whole: [] };
    for (let i = 0; i < 3; i++)
      for (const mode of ["floor", "pushed", "whole"] as Mode[]) runs[mode].push(run(mode));
    const med = (mode: Mode) => runs[mode].sort((a, b) => a.ms - b.ms)[1] as ChildResult;
    const [floor, pushed, whole] = [med("floor"), med("pushed"), med("whole")];
    const rate = (r: ChildResult) => `${Math.round((r.rows / r.ms) * 1000).toLocaleString("en-US")} rows/s`;
    const mb = (r: ChildResult) => `${r.maxRssMb.toFixed(0)} MB`;
    const peak = Math.max(pushed.maxRssMb, whole.maxRssMb);
    return [
      { name: `generate ${ROWS.toLocaleString("en-US")} rows in PostgreSQL (setup)`, ms: generateMs },
      { name: "floor: bare cursor read of the query (median of 3)", ms: floor.ms },
      { name: "  floor throughput", value: rate(floor) },
      { name: "  floor peak RSS", value: mb(floor) },
      // The database's own work is in its server process: these are mailops' (the client's) CPU.
      { name: "  floor CPU time (client, all threads)", ms: floor.cpuMs },
      {
        name: `pushed-down segment, ${pushed.selected.toLocaleString("en-US")} selected (median of 3)`,
        ms: pushed.ms,
      },
      { name: "  rows that left the database", value: pushed.rows.toLocaleString("en-US") },
      { name: "  pushed-down segment time / floor time", value: `${(pushed.ms / floor.ms).toFixed(2)}x` },
      { name: "  pushed-down segment peak RSS", value: mb(pushed) },
      { name: "  pushed-down segment CPU time", ms: pushed.cpuMs },
      {
        name: `whole source through mailops, ${whole.selected.toLocaleString("en-US")} selected`,
        ms: whole.ms,
      },
      { name: "  whole source throughput", value: rate(whole) },
      { name: "  whole source time / floor time", value: `${(whole.ms / floor.ms).toFixed(2)}x` },
      { name: "  whole source CPU time (all threads)", ms: whole.cpuMs },
      {
        name: "peak RSS of a postgres source (child process)",
        value: `${peak.toFixed(0)} MB`,
        ok: peak <= RSS_BUDGET_MB,
        budget: `<= ${RSS_BUDGET_MB} MB`,
      },
    ];
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

/** The audience bench's subscribers (audience.bench.ts), as a table with a primary key. */
async function generate(c: pg.Client, schema: string): Promise<void> {
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.query(`CREATE TABLE ${schema}.subscribers AS
    SELECT i AS id,
      'user' || i || '@example' || (i % 97) || '.com' AS email,
      'Subscriber ' || i AS name,
      (ARRAY['gold', 'silver', 'basic', 'basic', 'churned'])[i % 5 + 1] AS tier,
      i % 100 AS score,
      (DATE '2020-01-01' + (i % 1500))::date AS signed_up,
      ARRAY[(ARRAY['fashion', 'books', 'sports', 'home', 'electronics'])[i % 5 + 1],
            (ARRAY['fashion', 'books', 'sports', 'home', 'electronics'])[(i >> 3) % 5 + 1]] AS tags
    FROM generate_series(0, ${ROWS - 1}) i`);
  await c.query(`ALTER TABLE ${schema}.subscribers ADD PRIMARY KEY (id)`);
  await c.query(`VACUUM ANALYZE ${schema}.subscribers`);
}

function benchProject(): { project: Project; campaign: Campaign } {
  const example = loadProject(process.cwd()).value;
  const template = example.templates.get("product-promotion");
  const promo = example.campaigns.get("holiday-promo");
  if (!template || !promo) throw new Error("the example repository lacks product-promotion / holiday-promo");
  const source: Source = {
    name: "subscribers",
    file: "subscribers/subscribers.yaml",
    ok: true,
    gzip: false,
    emailField: "email",
    postgres: {
      urlEnv: URL_ENV,
      query: "subscribers",
      key: "id",
      statementTimeoutMs: DEFAULT_STATEMENT_TIMEOUT_MS,
    },
    fields: new Map(
      (
        [
          ["email", "email", true],
          ["name", "string", true],
          ["tier", "string", false],
          ["score", "number", false],
          ["signed_up", "date", false],
          ["tags", "list", false],
        ] as const
      ).map(([name, type, required]) => [name, { name, type, required, hasDefault: false }]),
    ),
  };
  const cond = (f: string, op: Operator, value: unknown): Condition => ({
    kind: "field",
    field: f,
    tests: [{ op, value }],
    path: [],
  });
  // The audience bench's segment: about a fifth of the rows match.
  const engaged: Segment = {
    name: "engaged",
    file: "subscribers/segments/engaged.yaml",
    ok: true,
    from: "subscribers",
    where: {
      kind: "all",
      path: [],
      items: [
        cond("tier", "in", ["gold", "silver"]),
        cond("score", "gte", 50),
        {
          kind: "any",
          path: [],
          items: [cond("tags", "contains", "fashion"), cond("signed_up", "after", "2020-06-01")],
        },
      ],
    },
  };
  const campaign = (to: string): Campaign => ({
    name: "bench",
    file: "campaigns/bench.yaml",
    ok: true,
    to: [to],
    exclude: [],
    replyTo: [],
    template: template.name,
    data: promo.data,
    tags: {},
  });
  const project: Project = {
    root: process.cwd(),
    settings: example.settings,
    templates: new Map([[template.name, template]]),
    sources: new Map([["subscribers", source]]),
    segments: new Map([["engaged", engaged]]),
    campaigns: new Map(),
    fileCount: 0,
  };
  return { project, campaign: campaign(process.argv[2] === "whole" ? "subscribers" : "engaged") };
}

async function child(mode: Mode): Promise<ChildResult> {
  const cpuMs = cpuClock();
  const url = process.env[URL_ENV] as string;
  if (mode === "floor") {
    const start = performance.now();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query("BEGIN TRANSACTION READ ONLY");
    const cursor = c.query(new Cursor("SELECT * FROM subscribers"));
    let rows = 0;
    for (;;) {
      const chunk = await cursor.read(1000);
      rows += chunk.length;
      if (chunk.length < 1000) break;
    }
    await cursor.close();
    await c.query("COMMIT");
    await c.end();
    return { ms: performance.now() - start, cpuMs: cpuMs(), rows, selected: 0, maxRssMb: maxRssMb() };
  }
  const { project, campaign } = benchProject();
  const template = project.templates.get("product-promotion");
  if (!template) throw new Error("no template");
  const start = performance.now();
  const { recipients, stats } = audience(project, campaign, {
    open: async () => {
      throw new Error("a postgres source opens no file");
    },
    suppression: { has: () => false },
    // As `mailops` takes it (commands/audience.ts), to try other page sizes.
    ...(Number(process.env.MAILOPS_PG_PAGE_ROWS)
      ? { pageRows: Number(process.env.MAILOPS_PG_PAGE_ROWS) }
      : {}),
  });
  const messages = messageBuilder(project, campaign, template, undefined);
  let n = 0;
  let ready = 0;
  for await (const r of recipients) {
    n++;
    if (messages.prepare(r).ok) ready++;
  }
  const ms = performance.now() - start;
  if (ready !== n) throw new Error(`${n - ready} recipients failed the render check`);
  return { ms, cpuMs: cpuMs(), rows: stats.read, selected: n, maxRssMb: maxRssMb() };
}

if (process.env[CHILD_ENV] === "1") {
  process.stdout.write(JSON.stringify(await child(process.argv[2] as Mode)));
}
