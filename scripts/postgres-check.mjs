#!/usr/bin/env node
/**
 * Fails fast, before the test run, when the PostgreSQL server the postgres-source tests use does
 * not answer, and says what to do (docs/postgres.md, "Tests"). The tests fail on their own too
 * (they never skip); this gives one clear line early in CI.
 *
 *   node scripts/postgres-check.mjs      # MAILOPS_TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test
 */
import pg from "pg";

const url = process.env.MAILOPS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const shown = url.replace(/:[^:@/]*@/, ":***@");
const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
try {
  await client.connect();
  const { rows } = await client.query("SHOW server_version");
  // The tests create a schema per file and drop it after: the user must be allowed to.
  const schema = `mailops_check_${process.pid}`;
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`DROP SCHEMA ${schema}`);
  console.log(`postgres: ok (${rows[0].server_version} at ${shown})`);
} catch (error) {
  console.error(
    `postgres: the server at ${shown} does not answer, or this user may not create a schema (${error.message}).\n` +
      "  Start it (on the development machines: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start),\n" +
      "  or set MAILOPS_TEST_DATABASE_URL to a server and user that may create schemas. See docs/postgres.md.",
  );
  process.exitCode = 1;
} finally {
  await client.end().catch(() => {});
}
