/**
 * A campaign over the example's postgres source (subscribers/crm.yaml), end to end on the local
 * target against the real server: loaded by the example's own script, counted by the dry run
 * (the pull-request comment's counts), sent; a connection cut in the middle of a page stops the
 * run like a crash and the next run sends exactly the rest; a connection dropped between pages
 * costs nothing; rows added after the run started are not part of it; a missing variable is named.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { runSend } from "../../src/cli/send.js";
import { forecastSends } from "../../src/commands/send-forecast.js";
import { openSession } from "../../src/commands/session.js";
import { Ledger } from "../../src/send/ledger.js";
import { LocalStore } from "../../src/store/index.js";
import { LocalTarget } from "../../src/targets/local/resources.js";
import type { Sender, Target } from "../../src/targets/port.js";
import { TEST_DATABASE_URL, usePostgres, withSearchPath } from "../support/postgres.js";
import { captureIo, copyExampleRepo, type ExampleRepo } from "../support/repo.js";
import { type CutProxy, cutProxy } from "../support/tcp-cut.js";

const db = usePostgres();
const WELCOME = "welcome-new-customers";
let repo: ExampleRepo;
let proxy: CutProxy;

beforeAll(async () => {
  const load = spawnSync(process.execPath, ["scripts/load-example-postgres.mjs", "--schema", db.schema], {
    encoding: "utf8",
    env: { ...process.env, CRM_DATABASE_URL: TEST_DATABASE_URL },
  });
  expect(load.stderr).toBe("");
  expect(load.stdout).toBe(`loaded 3 subscribers into ${db.schema}.customers\n`);
  const u = new URL(TEST_DATABASE_URL);
  proxy = await cutProxy(u.hostname, Number(u.port || 5432));
});
afterAll(() => proxy.close());

beforeEach(() => {
  repo = copyExampleRepo();
  // The example's source, over this run's schema; the welcome campaign's segment reads it.
  repo.write(
    "subscribers/crm.yaml",
    repo.read("subscribers/crm.yaml").replace("mailops_example.", `${db.schema}.`),
  );
  const segment = "subscribers/segments/new-customers.yaml";
  repo.write(segment, repo.read(segment).replace("from: customers", "from: crm"));
  vi.stubEnv("CRM_DATABASE_URL", db.url);
});
afterEach(() => {
  repo.cleanup();
  vi.unstubAllEnvs();
});

/** The local target, its sender calling `after(n)` once n messages have gone out. */
const watched = (after: (sent: number) => Promise<void> | void) => async (): Promise<Target> => {
  const target: Target = Object.create(new LocalTarget(repo.dir));
  const real = target.sender.bind(target);
  target.sender = (): Sender => {
    const sender = real();
    let sent = 0;
    return Object.assign(Object.create(sender), {
      async send(request: Parameters<Sender["send"]>[0]) {
        const results = await sender.send(request);
        sent += request.messages.length;
        await after(sent);
        return results;
      },
    });
  };
  return target;
};

async function send(args: Record<string, unknown>, factory?: () => Promise<Target>) {
  const io = captureIo();
  const code = await runSend({ dir: repo.dir, target: "local", ...args }, io, factory);
  return { code, out: io.outText, err: io.errText };
}

const recipientsOf = (campaign: string) =>
  repo.emls(campaign).map((f) => {
    const eml = readFileSync(path.join(repo.dir, ".mailops/outbox", campaign, f), "utf8");
    return /^To: (.*)$/m.exec(eml)?.[1] ?? "";
  });
const runRecord = () =>
  new Ledger(new LocalStore(path.join(repo.dir, ".mailops/state")), {
    campaign: WELCOME,
    sendAt: "on-merge",
  }).readRun();

/**
 * Sending at 200 a second on the local target: ledger batches of 100 (send/pacing.ts), so pages
 * are read as the send goes, not all before its first batch.
 */
const paced = () => repo.write("mailops.yaml", `${repo.read("mailops.yaml")}sending:\n  local_rate: 200\n`);

/** n more new customers in the table, ids after the example's three. */
async function newCustomers(from: number, n: number) {
  await db.query(
    `INSERT INTO customers (email, name, segment, preferences)
     SELECT 'new' || i || '@example.com', 'New ' || i, 'new_customers', ARRAY['books'] FROM generate_series($1::int, $2::int) i`,
    [from, from + n - 1],
  );
}

describe("the example's postgres source", () => {
  it("the dry run counts it as it counts the file; the send sends to the same people", async () => {
    const dry = await send({ campaign: WELCOME, dryRun: true });
    expect(dry.code).toBe(0);
    expect(dry.out).toContain("audience 2, excluded 0, suppressed 0, duplicates 0, invalid rows 0");
    expect(dry.out).toContain("would send 2");
    await runApply({ dir: repo.dir, target: "local" }, captureIo());
    const r = await send({ campaign: WELCOME });
    expect(r.code).toBe(0);
    expect(recipientsOf(WELCOME).sort()).toEqual(["subscriber1@example.com", "subscriber3@example.com"]);
  });

  it("as for a file: invalid rows counted against the guardrail, repeated addresses once, suppression", async () => {
    await db.query(
      `INSERT INTO customers (email, name, segment) VALUES
        (' SUBSCRIBER1@Example.com', 'John again', 'new_customers'),
        ('not-an-address', 'Nobody', 'new_customers'),
        ('subscriber4@example.com', NULL, 'new_customers')`,
    );
    try {
      mkdirSync(path.join(repo.dir, ".mailops/local"), { recursive: true });
      repo.write(".mailops/local/suppressed", "subscriber3@EXAMPLE.com\n");
      const dry = await send({ campaign: WELCOME, dryRun: true });
      expect(dry.out).toContain("audience 3, excluded 0, suppressed 1, duplicates 1, invalid rows 2");
      expect(dry.out).toContain("would send 1");
      // 2 invalid of the 5 rows the pushed-down segment returned (not the loyal customer): over 1% (1 row).
      expect(dry.out).toContain(
        "note: the send will be refused: 2 invalid rows of 5 read, more than guardrails.max_invalid_rows allows (1% of the rows read, 1); first: postgres:crm:4; postgres:crm:5",
      );
      await runApply({ dir: repo.dir, target: "local" }, captureIo());
      const r = await send({ campaign: WELCOME });
      expect(r.code).toBe(1);
      expect(r.out).toContain(`${WELCOME}: refused (2 invalid rows of 5 read`);
      expect(r.out).not.toContain("not-an-address");
      expect(repo.emls(WELCOME)).toEqual([]);
    } finally {
      await db.query("DELETE FROM customers WHERE id > 3");
    }
  });

  it("a pull request from a fork (no secrets) says the list was not counted, and connects to nothing", async () => {
    const session = openSession({ dir: repo.dir, target: "local", observe: () => {}, offline: true });
    const [preview] = await forecastSends(session, { campaign: WELCOME });
    expect(preview?.counts).toBeUndefined();
    expect(preview?.notes).toContain(
      "the subscriber list is in a PostgreSQL database, which this run has no credentials to read: not counted",
    );
  });

  it("without its variable, the dry run and the send name it, and nothing is sent", async () => {
    vi.stubEnv("CRM_DATABASE_URL", undefined as unknown as string);
    delete process.env.CRM_DATABASE_URL;
    const dry = await send({ campaign: WELCOME, dryRun: true });
    expect(dry.out).toContain(
      "error: audience not counted: subscriber source `crm` (postgres, $CRM_DATABASE_URL): the environment variable CRM_DATABASE_URL is not set",
    );
    await runApply({ dir: repo.dir, target: "local" }, captureIo());
    const r = await send({ campaign: WELCOME });
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${WELCOME}: refused (subscriber source \`crm\` (postgres, $CRM_DATABASE_URL)`);
    expect(repo.emls(WELCOME)).toEqual([]);
  });
});

describe("a connection lost during a send", () => {
  beforeEach(async () => {
    await db.query("DELETE FROM customers WHERE id > 3");
    await newCustomers(1, 200);
    vi.stubEnv("MAILOPS_PG_PAGE_ROWS", "40");
    paced();
    await runApply({ dir: repo.dir, target: "local" }, captureIo());
  });

  it("cut in the middle of a page: the run stops like a crash, and the next sends exactly the rest", async () => {
    const u = new URL(db.url);
    u.port = String(proxy.port);
    vi.stubEnv("CRM_DATABASE_URL", u.toString());
    const first = await send(
      { campaign: WELCOME },
      watched((sent) => {
        if (sent === 50) proxy.cutNext();
      }),
    );
    expect(proxy.cuts()).toBeGreaterThan(0);
    expect(first.code).toBe(1);
    expect(first.out).toContain(
      `${WELCOME}: stopped (the audience could not be read to the end: subscriber source \`crm\` (postgres, $CRM_DATABASE_URL): the database connection failed: Connection terminated unexpectedly`,
    );
    expect(first.out).not.toContain(u.toString());
    expect((await runRecord())?.status).toBe("stopped");
    const sentFirst = recipientsOf(WELCOME).length;
    expect(sentFirst).toBeGreaterThanOrEqual(50);
    expect(sentFirst).toBeLessThan(202);

    const again = await send({ campaign: WELCOME });
    expect(again.code).toBe(0);
    const all = recipientsOf(WELCOME);
    expect(all).toHaveLength(202);
    expect(new Set(all).size).toBe(202);
    expect((await runRecord())?.status).toBe("complete");
  });

  it("dropped between pages: the next page connects again and the run completes", async () => {
    // Named after this file's schema, so only this run's connections are killed (other test
    // files read the same server at the same time).
    const u = new URL(db.url);
    u.searchParams.set("application_name", db.schema);
    vi.stubEnv("CRM_DATABASE_URL", u.toString());
    const r = await send(
      { campaign: WELCOME },
      watched(async (sent) => {
        if (sent !== 50) return;
        const killed = await db.query<{ n: number }>(
          "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1",
          [db.schema],
        );
        expect(killed[0]?.n).toBeGreaterThan(0);
      }),
    );
    expect(r.code).toBe(0);
    const all = recipientsOf(WELCOME);
    expect(all).toHaveLength(202);
    expect(new Set(all).size).toBe(202);
  });
});

describe("rows added after the run started", () => {
  it("are not part of it: the run completes without them; only a send by name reaches them later", async () => {
    await db.query("DELETE FROM customers WHERE id > 3");
    await newCustomers(1, 300);
    vi.stubEnv("MAILOPS_PG_PAGE_ROWS", "30");
    paced();
    await runApply({ dir: repo.dir, target: "local" }, captureIo());
    const r = await send(
      { campaign: WELCOME },
      watched(async (sent) => {
        if (sent === 50) await newCustomers(1000, 5);
      }),
    );
    expect(r.code).toBe(0);
    const sent = recipientsOf(WELCOME);
    expect(sent).toHaveLength(302);
    expect(sent.filter((a) => /^new100\d@/.test(a))).toEqual([]);
    expect((await runRecord())?.status).toBe("complete");
    // The scheduled sends leave a complete run alone; a send by name reaches the people added
    // since, as for a file (docs/postgres.md).
    const due = await send({ due: true });
    expect(due.code).toBe(0);
    expect(recipientsOf(WELCOME)).toHaveLength(302);
    const byName = await send({ campaign: WELCOME });
    expect(byName.code).toBe(0);
    const all = recipientsOf(WELCOME);
    expect(all.filter((a) => /^new100\d@/.test(a)).sort()).toEqual(
      [0, 1, 2, 3, 4].map((i) => `new100${i}@example.com`),
    );
    expect(new Set(all).size).toBe(307);
  });
});

it("the URL of a search_path example is a plain postgres:// URL (docs/postgres.md)", () => {
  expect(withSearchPath("postgres://u@h:5432/d", "s")).toBe(
    "postgres://u@h:5432/d?options=-c+search_path%3Ds",
  );
});
