#!/usr/bin/env node
/**
 * Loads the example subscribers (subscribers/customers.jsonl) into a PostgreSQL database, for
 * trying the example's postgres source (subscribers/crm.yaml, docs/postgres.md):
 *
 *   node scripts/load-example-postgres.mjs [--schema mailops_example]
 *
 * The database is CRM_DATABASE_URL's, or postgres://postgres@127.0.0.1:5432/test. It (re)creates
 * the table <schema>.customers (id, email, name, segment, preferences text[]) and nothing else.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const args = process.argv.slice(2);
const at = args.indexOf("--schema");
const schema = at === -1 ? "mailops_example" : args[at + 1];
if (!schema || !/^[a-z_][a-z0-9_]*$/.test(schema)) {
  console.error("--schema takes a lower-case name: letters, digits and _");
  process.exit(1);
}
const url = process.env.CRM_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const rows = readFileSync(path.join(root, "subscribers/customers.jsonl"), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line));

const client = new pg.Client({ connectionString: url });
try {
  await client.connect();
} catch (error) {
  // The URL holds a password: say which variable, never its value.
  console.error(`cannot connect to the database of CRM_DATABASE_URL (or the default): ${error.message}`);
  process.exit(1);
}
try {
  await client.query("BEGIN");
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await client.query(`DROP TABLE IF EXISTS ${schema}.customers`);
  await client.query(`CREATE TABLE ${schema}.customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    name text,
    segment text,
    preferences text[]
  )`);
  for (const r of rows) {
    await client.query(
      `INSERT INTO ${schema}.customers (email, name, segment, preferences) VALUES ($1, $2, $3, $4)`,
      [r.email, r.name ?? null, r.segment ?? null, r.preferences ?? null],
    );
  }
  await client.query("COMMIT");
  console.log(`loaded ${rows.length} subscribers into ${schema}.customers`);
} finally {
  await client.end();
}
