/**
 * The shared pass (audience/shared-pass.ts) against each campaign's own pass: the same recipients
 * in the same order and the same stats, over several campaigns with segments, excludes (by row and
 * read ahead), exclude_sent, suppression, duplicates and invalid rows; one read of each file for all.
 */
import { describe, expect, it } from "vitest";
import {
  type AudienceStats,
  audience,
  type OpenSource,
  openLocal,
  type Recipient,
  type SharedMember,
  type SuppressionCheck,
  sharedCounts,
} from "../../src/audience/index.js";
import type { Campaign } from "../../src/config/model.js";
import { campaign, noSuppression, project, run, segment, source, tempRepo } from "./helpers.js";

const repo = tempRepo();
const row = (i: number, tier: string, score: number | string = i % 10) =>
  JSON.stringify({ email: `user${i}@example.com`, name: `User ${i}`, tier, score });
const tiers = ["gold", "silver", "basic", "churned"];
const lines: string[] = [];
for (let i = 0; i < 400; i++) {
  if (i % 37 === 5)
    lines.push(JSON.stringify({ email: `bad-${i}`, name: "x", tier: "gold" })); // invalid address
  else if (i % 41 === 7)
    lines.push(row(i, "gold", "not a number")); // invalid score, valid address
  else if (i % 23 === 3)
    lines.push(row(i - 20, tiers[i % 4] as string).replace("example.com", "EXAMPLE.com")); // duplicate
  else lines.push(row(i, tiers[i % 4] as string));
}
repo.write("subscribers/customers.jsonl", lines.join("\n"));
repo.write("subscribers/leads.jsonl", Array.from({ length: 60 }, (_, i) => row(i * 7, "lead")).join("\n"));
repo.write(
  "subscribers/optouts.jsonl",
  [
    ...Array.from({ length: 30 }, (_, i) => row(i * 11, "x")),
    '{"email":"user13@example.com","name":"U","tier":"x","score":"nan"}',
    '{"email":"nobody","name":"N","tier":"x"}',
  ].join("\n"),
);
const FIELDS = `fields:
  email: { type: email, required: true }
  name: { type: string }
  tier: { type: string }
  score: { type: number, default: 0 }
`;
const sources = ["customers", "leads", "optouts"].map((n) => source(n, `source: ${n}.jsonl\n${FIELDS}`));
const segments = [
  segment("gold", "from: customers\nwhere: { tier: { eq: gold } }"),
  segment("high", "from: customers\nwhere: { score: { gte: 6 } }"),
  segment("silver", "from: customers\nwhere: { tier: { eq: silver } }"),
  segment("few-leads", "from: leads\nwhere: { email: { starts_with: user1 } }"),
  segment("some-optouts", "from: optouts\nwhere: { email: { starts_with: user2 } }"),
];
const p = project(repo.root, { sources, segments });

const campaigns: Campaign[] = [
  campaign("to: [gold, high]\nexclude: silver\n", "a"),
  campaign("to: customers\nexclude: [optouts]\n", "b"),
  campaign("to: high\nexclude: [few-leads, some-optouts]\n", "c"),
  campaign("to: leads\nexclude: [gold, optouts]\n", "d"),
  campaign("to: [gold, leads]\nexclude: optouts\n", "e"), // two `to` sources: reads alone
  campaign("to: silver\n", "f"),
  // a's audience (its segments in another order): counted through a's sink, its own tally.
  campaign("to: [high, gold]\nexclude: [silver]\n", "g"),
  // b's segments, but another suppression list: its own sink.
  campaign("to: customers\nexclude: [optouts]\n", "h"),
  // a's segments without its exclude: its own sink.
  campaign("to: [gold, high]\n", "i"),
];
// Every third address suppressed for some, every fifth reached by an earlier run for others.
const suppressed: SuppressionCheck = { has: (key) => Number(key.replace(/\D/g, "")) % 3 === 0 };
const sentBefore = { has: (_a: string, key: string) => Number(key.replace(/\D/g, "")) % 5 === 0 };
const alsoSuppressed: SuppressionCheck = { has: (key) => Number(key.replace(/\D/g, "")) % 4 === 0 };
const depsOf = (c: Campaign, duplicates: string[]) => ({
  suppression:
    c.name === "b" || c.name === "d" ? suppressed : c.name === "h" ? alsoSuppressed : noSuppression,
  ...(c.name === "c" || c.name === "d" ? { sent: sentBefore } : {}),
  // Told the repeats (a send's count): a campaign with this has no twin. a, b, g, h and i have none.
  ...(["a", "b", "g", "h", "i"].includes(c.name)
    ? {}
    : { duplicate: (address: string) => duplicates.push(address) }),
});
const brief = (r: Recipient) => `${r.source}:${r.line}:${r.address}:${JSON.stringify(r.fields)}`;

/** An opener that counts the files it opens. */
function counting(): { open: OpenSource; opened: string[] } {
  const local = openLocal(repo.root);
  const opened: string[] = [];
  const open: OpenSource = (s) => {
    opened.push(s.name);
    return local(s);
  };
  return { opened, open };
}

describe("the shared pass", () => {
  it("gives every campaign what its own pass gives, reading each file once for the campaigns that share", async () => {
    const own: { stats: AudienceStats; recipients: string[]; duplicates: string[] }[] = [];
    for (const c of campaigns) {
      const duplicates: string[] = [];
      const a = audience(p, c, { open: openLocal(repo.root), ...depsOf(c, duplicates) });
      const recipients: string[] = [];
      for await (const r of a.recipients) recipients.push(brief(r));
      own.push({ stats: a.stats, recipients, duplicates });
    }
    const { open, opened } = counting();
    const shared = campaigns.map(() => ({ recipients: [] as string[], duplicates: [] as string[] }));
    const members: SharedMember[] = campaigns.map((c, i) => ({
      campaign: c,
      deps: depsOf(c, shared[i]?.duplicates as string[]),
      tally: (r) => shared[i]?.recipients.push(brief(r)),
    }));
    const results = await sharedCounts(p, members, { open });
    campaigns.forEach((c, i) => {
      const r = results[i];
      if (!r || "error" in r) throw new Error(`${c.name}: ${r ? r.error.message : "no result"}`);
      expect({ campaign: c.name, stats: r.stats }).toEqual({ campaign: c.name, stats: own[i]?.stats });
      expect(shared[i]?.recipients).toEqual(own[i]?.recipients);
      expect(shared[i]?.duplicates).toEqual(own[i]?.duplicates);
    });
    // What the test is about: counters that are not all zero, and rows of every kind.
    const totals = own.map((o) => o.stats);
    for (const k of [
      "invalid",
      "notMatched",
      "duplicates",
      "excluded",
      "excludedSent",
      "suppressed",
    ] as const)
      expect(
        totals.some((s) => s[k] > 0),
        k,
      ).toBe(true);
    expect(totals.some((s) => s.exclusion.invalid > 0)).toBe(true);
    expect(totals.some((s) => s.invalidSamples.length > 0)).toBe(true);
    // Shared: customers read once as `to` (a, b, c, f) and once ahead (d's exclude), leads once as
    // `to` (d) and once ahead (c), optouts once ahead (b, c, d); e alone reads optouts, customers, leads.
    const count = (name: string) => opened.filter((n) => n === name).length;
    expect({ customers: count("customers"), leads: count("leads"), optouts: count("optouts") }).toEqual({
      customers: 3,
      leads: 3,
      optouts: 2,
    });
  });

  it("fails only the campaigns over a source that cannot be read", async () => {
    const missing = source("gone", `source: gone.jsonl\n${FIELDS}`);
    const q = project(repo.root, { sources: [...sources, missing], segments });
    const over = [
      campaign("to: gone\n", "g"),
      campaign("to: gold\nexclude: gone\n", "h"),
      campaigns[5] as Campaign,
    ];
    const members: SharedMember[] = over.map((c) => ({
      campaign: c,
      deps: { suppression: noSuppression },
      tally: () => {},
    }));
    const results = await sharedCounts(q, members, { open: openLocal(repo.root) });
    expect(results.map((r) => ("error" in r ? r.error.message : "counted"))).toEqual([
      expect.stringContaining("gone.jsonl"),
      expect.stringContaining("gone.jsonl"),
      "counted",
    ]);
    const alone = await run(q, campaigns[5] as Campaign);
    expect((results[2] as { stats: AudienceStats }).stats).toEqual(alone.stats);
  });

  it("tells a campaign that does not resolve its error, and counts the others", async () => {
    const members: SharedMember[] = [campaign("to: nowhere\n", "x"), campaigns[0] as Campaign].map((c) => ({
      campaign: c,
      deps: { suppression: noSuppression },
      tally: () => {},
    }));
    const results = await sharedCounts(p, members, { open: openLocal(repo.root) });
    expect("error" in (results[0] as object)).toBe(true);
    expect((results[1] as { stats: AudienceStats }).stats.selected).toBeGreaterThan(0);
  });
});
