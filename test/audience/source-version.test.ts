/**
 * What a source is now, without reading it (open.ts sourceVersion): the same while the file is,
 * another once it is written, and unknown (never "the same") when it cannot be told.
 */
import { utimesSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sourceVersion } from "../../src/audience/index.js";
import { source, tempRepo } from "./helpers.js";

const FIELDS = "fields:\n  email: { type: email, required: true }\n";

describe("sourceVersion", () => {
  it("is the same while a local file is, and another once it is written", async () => {
    const repo = tempRepo();
    repo.write("subscribers/people.jsonl", '{"email":"ann@example.com"}\n');
    const version = sourceVersion(repo.root, undefined);
    const s = source("people", `source: people.jsonl\n${FIELDS}`);
    const first = await version(s);
    expect(first).toBeDefined();
    expect(await version(s)).toBe(first);
    repo.write("subscribers/people.jsonl", '{"email":"ann@example.com"}\n{"email":"bob@example.com"}\n');
    const second = await version(s);
    expect(second).not.toBe(first);
    // Same size, written later (its modification time says so): not the same either.
    repo.write("subscribers/people.jsonl", '{"email":"ann@example.com"}\n{"email":"eve@example.com"}\n');
    utimesSync(path.join(repo.root, "subscribers/people.jsonl"), new Date(), new Date(Date.now() + 5000));
    expect(await version(s)).not.toBe(second);
  });

  it("is unknown for a file that is not there and for a database", async () => {
    const repo = tempRepo();
    const version = sourceVersion(repo.root, undefined);
    expect(await version(source("gone", `source: gone.jsonl\n${FIELDS}`))).toBeUndefined();
    const db = source(
      "db",
      `kind: postgres\nurl_env: DB_URL\nquery: SELECT id, email FROM people\nkey: id\n${FIELDS}`,
    );
    expect(db.postgres).toBeDefined();
    expect(await version(db)).toBeUndefined();
  });
});
