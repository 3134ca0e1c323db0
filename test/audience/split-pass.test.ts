/**
 * A large file counted in two parts at once (audience/split-pass.ts) against one read from the
 * start: the same stats, samples (their line numbers) and render verdicts, wherever the file is
 * split; the same error when the second part is damaged; a worker's failure read here instead.
 * The worker runs in-process here, its input and output structured-cloned as a thread would get
 * them; test/cli/split-worker.test.ts runs the real thread through the built command line.
 */
import { describe, expect, it } from "vitest";
import {
  countPart,
  openLocal,
  type PartInput,
  type PartResult,
  type Recipient,
  type SharedMember,
  type SplitOptions,
  type SuppressionCheck,
  sharedCounts,
} from "../../src/audience/index.js";
import type { Campaign } from "../../src/config/model.js";
import { campaign, noSuppression, project, segment, source, tempRepo } from "./helpers.js";

const repo = tempRepo();
const row = (i: number, tier: string, name = `User ${i}`) =>
  JSON.stringify({ email: `user${i}@example.com`, name, tier, score: i % 10 });
const tiers = ["gold", "silver", "basic", "churned"];
const lines: string[] = [];
for (let i = 0; i < 600; i++) {
  if (i % 53 === 5) lines.push(JSON.stringify({ email: `bad-${i}`, name: "x", tier: "gold" }));
  else if (i % 41 === 7) lines.push(row(i, "gold").replace(`"score":${i % 10}`, '"score":"n/a"'));
  else if (i % 29 === 0) lines.push("");
  // Repeats of addresses from anywhere earlier (first part or second), in another case.
  else if (i % 7 === 3) lines.push(row((i * 13) % i, tiers[i % 4] as string).replace("example", "EXAMPLE"));
  else lines.push(row(i, tiers[i % 4] as string, i % 11 === 0 ? "<b>User</b>" : `User ${i}`));
}
// Addresses of the first rows again at the end as silver: an address the row exclude drops in the
// second part that the first part has already counted is a duplicate, not excluded.
for (let i = 10; i < 20; i++) lines.push(row(i, "silver").replace(`"score":${i % 10}`, '"score":9'));
repo.write("subscribers/customers.jsonl", `\uFEFF${lines.join("\r\n")}\r\n`);
repo.write("subscribers/optouts.jsonl", Array.from({ length: 40 }, (_, i) => row(i * 9, "x")).join("\n"));
const FIELDS = `fields:
  email: { type: email, required: true }
  name: { type: string }
  tier: { type: string }
  score: { type: number, default: 0 }
`;
const sources = ["customers", "optouts"].map((n) => source(n, `source: ${n}.jsonl\n${FIELDS}`));
const segments = [
  segment("gold", "from: customers\nwhere: { tier: { eq: gold } }"),
  segment("high", "from: customers\nwhere: { score: { gte: 6 } }"),
  segment("silver", "from: customers\nwhere: { tier: { eq: silver } }"),
];
const p = project(repo.root, { sources, segments });
const campaigns: Campaign[] = [
  campaign("to: [gold, high]\nexclude: silver\n", "a"), // a row exclude
  campaign("to: customers\nexclude: [optouts]\n", "b"), // exclusions read ahead
  campaign("to: high\n", "c"),
];
const suppressed: SuppressionCheck = { has: (key) => Number(key.replace(/\D/g, "")) % 3 === 0 };
/** The render check each campaign's recipe stands for: markup in the name, or a low score. */
type Recipe = { minScore: number };
const recipes: Recipe[] = [{ minScore: 0 }, { minScore: 2 }, { minScore: 0 }];
const judge = (recipe: unknown) => (r: Recipient) => {
  if (String(r.fields.name).includes("<")) return "unsafe value in field name (html text)";
  return (r.fields.score as number) < (recipe as Recipe).minScore ? "score too low" : undefined;
};

interface Tally {
  toSend: number;
  skipped: Record<string, number>;
}

function members(tallies: Tally[]): SharedMember[] {
  return campaigns.map((c, i) => {
    const t = tallies[i] as Tally;
    const verdict = (reason: string | undefined) => {
      if (reason === undefined) t.toSend++;
      else t.skipped[reason] = (t.skipped[reason] ?? 0) + 1;
    };
    const check = judge(recipes[i]);
    return {
      campaign: c,
      deps: { suppression: c.name === "b" ? suppressed : noSuppression },
      tally: (r) => verdict(check(r)),
      split: { recipe: recipes[i], verdict },
    };
  });
}

/** The worker in-process, fed and answering through structured clones as a thread is. */
function inProcess(calls: PartInput[], fail?: string): SplitOptions["run"] {
  return (input) => {
    calls.push(input);
    const cloned = structuredClone(input);
    const result: Promise<PartResult> = fail
      ? Promise.resolve({ error: fail })
      : countPart(cloned, (_project, recipe) => judge(recipe)).then((r) => structuredClone(r));
    return { result, cancel: () => {} };
  };
}

async function count(split?: Omit<SplitOptions, "run"> & { fail?: string }, calls: PartInput[] = []) {
  const tallies = campaigns.map(() => ({ toSend: 0, skipped: {} }));
  const options = split && { ...split, run: inProcess(calls, split.fail) };
  const results = await sharedCounts(p, members(tallies), {
    open: openLocal(repo.root),
    ...(options ? { split: options } : {}),
  });
  return results.map((r, i) =>
    "error" in r ? { error: r.error.message } : { stats: r.stats, tally: tallies[i] },
  );
}

describe("a file counted in two parts", () => {
  it("counts exactly as one read does, wherever it is split", async () => {
    const whole = await count();
    // What the comparison is about: rows of every kind.
    const stats = whole.map((r) => ("stats" in r ? r.stats : undefined));
    for (const k of ["invalid", "notMatched", "duplicates", "excluded", "suppressed"] as const)
      expect(
        stats.some((s) => (s?.[k] ?? 0) > 0),
        k,
      ).toBe(true);
    expect(whole.some((r) => "tally" in r && Object.keys(r.tally?.skipped ?? {}).length === 2)).toBe(true);
    for (const firstPart of [0.01, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 0.99]) {
      const calls: PartInput[] = [];
      const split = await count({ minBytes: 1, firstPart }, calls);
      expect(calls.length, `split at ${firstPart}`).toBe(1);
      expect(split, `split at ${firstPart}`).toEqual(whole);
    }
  });

  it("reads whole below minBytes, or when a campaign's count is more than a render check", async () => {
    const calls: PartInput[] = [];
    await count({ minBytes: 10_000_000 }, calls);
    expect(calls).toEqual([]);
    const tallies = campaigns.map(() => ({ toSend: 0, skipped: {} }));
    const all = members(tallies);
    // One campaign without a recipe (a variant test, a local time): the source is read whole.
    delete all[1]?.split;
    await sharedCounts(p, all, { open: openLocal(repo.root), split: { minBytes: 1, run: inProcess(calls) } });
    expect(calls).toEqual([]);
  });

  it("reads the rest itself when the worker fails", async () => {
    const whole = await count();
    const calls: PartInput[] = [];
    expect(await count({ minBytes: 1, firstPart: 0.5, fail: "out of memory" }, calls)).toEqual(whole);
    expect(calls.length).toBe(1);
  });

  it.each([
    ["cut short", '{"email": "cut@example.com", "na'],
    // A BOM belongs at the start of the file only: here it makes the line not JSON.
    ["starting with a BOM", `\uFEFF${row(9999, "gold")}`],
  ])("stops at a damaged line of the second part (%s) with the line one read names", async (_, bad) => {
    const broken = tempRepo();
    const text = lines.filter((l) => l !== "");
    text.splice(500, 0, bad);
    const file = text.join("\n");
    broken.write("subscribers/customers.jsonl", file);
    const bp = project(broken.root, { sources, segments });
    // Split right before the damaged line: the worker's part starts with it.
    const at = Buffer.byteLength(text.slice(0, 500).join("\n")) + 1;
    const firstPart = (at - 1) / Buffer.byteLength(file);
    const countIn = async (split?: SplitOptions) => {
      const results = await sharedCounts(bp, members(campaigns.map(() => ({ toSend: 0, skipped: {} }))), {
        open: openLocal(broken.root),
        ...(split ? { split } : {}),
      });
      return results.map((r) => ("error" in r ? r.error.message : "counted"));
    };
    const whole = await countIn();
    expect(whole[0]).toMatch(/line 501/);
    const calls: PartInput[] = [];
    expect(await countIn({ minBytes: 1, firstPart, run: inProcess(calls) })).toEqual(whole);
    expect(calls.map((c) => c.start)).toEqual([at]);
  });
});
