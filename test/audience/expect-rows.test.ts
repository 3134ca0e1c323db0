/**
 * A JSON Lines file tells its sink early how many rows to expect (RowSink.expect), from its size
 * and its first chunk, so the dedupe set makes room once; a source of unknown size tells nothing,
 * and the room made changes no recipient.
 */
import { Readable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { compileTyper } from "../../src/audience/fields.js";
import { sharedCounts } from "../../src/audience/index.js";
import { readJsonl } from "../../src/audience/jsonl.js";
import { fileSize, openLocal } from "../../src/audience/open.js";
import type { RowSink } from "../../src/audience/rows.js";
import { KeySet, MarkedKeySet } from "../../src/util/key-set.js";
import { accounted, campaign, chunkedOpen, project, run, segment, source, tempRepo } from "./helpers.js";

const ROWS = 30_000;
const repo = tempRepo();
const rows = Array.from({ length: ROWS }, (_, i) => {
  // One in ten a repeat of an earlier address in capitals, some of them of the first chunk's (read
  // before the sink makes room); the lengths vary.
  const n = i % 100 === 99 ? i % 400 : i % 10 === 9 ? i - 5 : i;
  const email = `${i % 10 === 9 ? "USER" : "user"}${n}@example${n % 13}.com`;
  return JSON.stringify({ email, plan: n % 3 === 0 ? "pro" : "free", note: "x".repeat(n % 40) });
});
repo.write("subscribers/people.jsonl", `${rows.join("\n")}\n`);
const people = source(
  "people",
  "source: people.jsonl\nfields:\n  email: { type: email, required: true }\n  plan: { type: string }\n  note: { type: string }\n",
);

/** What a read of `input` tells its sink: the estimates, and how many rows had come before each. */
async function told(input: AsyncIterable<Buffer | string>, size: number | undefined) {
  const calls: { rows: number; after: number }[] = [];
  let seen = 0;
  const sink: RowSink = {
    row: () => void seen++,
    bad: () => void seen++,
    expect: (n) => void calls.push({ rows: n, after: seen }),
  };
  for await (const _ of readJsonl(input, compileTyper(people), sink, "people", size)) {
    // drained
  }
  expect(seen).toBe(ROWS);
  return calls;
}

describe("RowSink.expect", () => {
  it("a local file: once, after its first chunk, within a tenth of the rows it holds", async () => {
    const input = await openLocal(repo.root)(people);
    const size = fileSize(input);
    expect(size).toBeGreaterThan(1 << 20); // some twenty chunks
    const calls = await told(input as AsyncIterable<Buffer>, size);
    expect(calls).toHaveLength(1);
    const [call] = calls as [{ rows: number; after: number }];
    expect(call.after).toBeLessThan(2_000);
    expect(Math.abs(call.rows - ROWS)).toBeLessThan(ROWS / 10);
  });

  it("a stream of unknown size (S3, gzip, chunks handed over): never", async () => {
    const input = (await chunkedOpen(repo.root, 4096)(people)) as AsyncIterable<Buffer>;
    expect(fileSize(input)).toBeUndefined();
    expect(fileSize(Readable.from([Buffer.from("{}\n")]))).toBeUndefined();
    expect(await told(input, undefined)).toEqual([]);
  });

  /** The project over people, with the plans' segments. */
  const byPlan = () =>
    project(repo.root, {
      sources: [people],
      segments: ["pro", "free"].map((plan) =>
        segment(plan, `from: people\nwhere: { plan: { eq: ${plan} } }\n`),
      ),
    });

  /** The room each call of `method` of `target` asked for while `read` ran. */
  async function asked(target: object, method: string, read: () => Promise<unknown>): Promise<number[]> {
    const spy = vi.spyOn(target as Record<string, (keys: number) => void>, method);
    try {
      await read();
      return spy.mock.calls.map((call) => call[0] as number);
    } finally {
      spy.mockRestore();
    }
  }

  it("a campaign's dedupe set makes room for a little under its share of the rows expected", async () => {
    const calls = await asked(KeySet.prototype, "reserve", () =>
      run(byPlan(), campaign("to: pro"), { open: openLocal(repo.root) }),
    );
    // A third of the rows are pro: 0.9 of 10,000, give or take the first chunk's sample.
    expect(calls).toHaveLength(1);
    expect(calls[0]).toBeGreaterThan(8_000);
    expect(calls[0]).toBeLessThan(10_000);
  });

  it("in a shared pass, the one table makes room for the sum of each campaign's share", async () => {
    const members = ["pro", "free"].map((to) => ({
      campaign: campaign(`to: ${to}\n`, to),
      deps: { suppression: { has: () => false } },
      tally: () => {},
    }));
    let results: Awaited<ReturnType<typeof sharedCounts>> = [];
    // The views' reserve is the table's own (protected) reserveSlots, with the members' sum.
    const calls = await asked(MarkedKeySet.prototype, "reserveSlots", async () => {
      results = await sharedCounts(byPlan(), members, { open: openLocal(repo.root) });
    });
    expect(results.every((r) => "stats" in r)).toBe(true);
    // 0.9 of 10,000 pro and of 20,000 free, give or take the first chunk's sample.
    expect(calls).toHaveLength(2);
    expect(calls[1]).toBeGreaterThan(25_000);
    expect(calls[1]).toBeLessThan(29_000);
  });

  it("the room made changes no recipient and no count", async () => {
    const p = byPlan();
    const c = campaign("to: pro");
    const told = await run(p, c, { open: openLocal(repo.root) });
    const untold = await run(p, c, { open: chunkedOpen(repo.root, 65_536) });
    expect(told.stats).toEqual(untold.stats);
    expect(told.recipients.map((r) => [r.key, r.line])).toEqual(
      untold.recipients.map((r) => [r.key, r.line]),
    );
    expect(told.stats.duplicates).toBeGreaterThan(0);
    expect(told.stats.selected).toBeGreaterThan(8_000);
    expect(accounted(told.stats)).toBe(ROWS);
  });
});
