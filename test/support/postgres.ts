/**
 * The PostgreSQL server the postgres-source tests run against (docs/postgres.md, "Tests"): the
 * one at MAILOPS_TEST_DATABASE_URL, or postgres://postgres@127.0.0.1:5432/test (trust
 * authentication, as on the development machines). Each test file gets a schema of its own,
 * created before its tests and dropped after them, and a URL whose search_path is that schema, so
 * sources name their tables unqualified. A server that does not answer fails the file, saying
 * what to do: these tests are never skipped.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";

export const TEST_DATABASE_URL =
  process.env.MAILOPS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  /** The schema of this file's tables. */
  schema: string;
  /** A URL whose search_path is the schema. */
  url: string;
  query<R extends pg.QueryResultRow = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<R[]>;
  /** The result columns of a query. */
  fields(text: string): Promise<pg.FieldDef[]>;
}

export function usePostgres(): TestDatabase {
  const schema = `mailops_test_${randomBytes(6).toString("hex")}`;
  let client: pg.Client | undefined;
  const db: TestDatabase = {
    schema,
    url: withSearchPath(TEST_DATABASE_URL, schema),
    async query(text, values) {
      if (!client) throw new Error("usePostgres: the database is not connected (beforeAll failed?)");
      return (await client.query(text, values)).rows;
    },
    async fields(text) {
      if (!client) throw new Error("usePostgres: the database is not connected (beforeAll failed?)");
      return (await client.query(text)).fields;
    },
  };
  beforeAll(async () => {
    client = await connect(TEST_DATABASE_URL);
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET search_path TO ${schema}`);
    await client.query("SET TimeZone TO 'UTC'");
  });
  afterAll(async () => {
    if (!client) return;
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });
  return db;
}

export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL does not answer at ${url.replace(/:[^:@/]*@/, ":***@")} (${(error as Error).message}). ` +
        "Start it (on the development machines: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start), " +
        "or point MAILOPS_TEST_DATABASE_URL at a server where this user may create schemas. See docs/postgres.md.",
    );
  }
  return client;
}

export function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set("options", `-c search_path=${schema}`);
  return u.toString();
}
