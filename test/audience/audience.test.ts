/**
 * The audience as a whole: `to` (segments and sources, union), dedupe, `exclude` (same source and
 * another one), suppression, order, stats, and what never appears in messages.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  audience,
  MAX_INVALID_SAMPLES,
  type OpenSource,
  openLocal,
  SourceChangedError,
  type SourceRows,
  sourceTotals,
} from "../../src/audience/index.js";
import { loadProject } from "../../src/config/load.js";
import { MailopsError } from "../../src/errors.js";
import { LOCAL_SUPPRESSION_FILE, localSuppression } from "../../src/targets/local/suppression.js";
import { copyExampleRepo } from "../support/repo.js";
import { accounted, campaign, noSuppression, project, run, segment, source, tempRepo } from "./helpers.js";

const repo = tempRepo();

const row = (email: string, tier: string, score = 0) =>
  JSON.stringify({ email, name: email.split("@")[0], tier, score });

repo.write(
  "subscribers/customers.jsonl",
  [
    row("ann@example.com", "gold", 9), // 1
    row("bob@example.com", "basic", 2), // 2
    row(" Ann@EXAMPLE.com ", "basic", 1), // 3: duplicate of line 1 (the whole address is folded)
    row("cy@example.com", "gold", 1), // 4
    row("ann@Example.COM", "silver", 5), // 5: duplicate of line 1
    '["broken"]', // 6: parses, but is not a row (an unparseable line would stop the read)
    row("dee@example.com", "churned", 7), // 7
    row("  cy@EXAMPLE.com", "gold", 1), // 8: duplicate of line 4
    row("eve@example.com", "silver", 3), // 9
  ].join("\n"),
);
repo.write(
  "subscribers/leads.jsonl",
  [
    row("zed@example.com", "lead"), // 1
    row("bob@EXAMPLE.com", "lead"), // 2: duplicate of customers line 2
    row("fay@example.com", "lead"), // 3
    row("gus@example.com", "lead"), // 4
  ].join("\n"),
);
repo.write(
  "subscribers/optouts.jsonl",
  [
    row("eve@EXAMPLE.com", "x"), // opted out, listed with another domain case
    row("zed@example.com", "x"),
    '{"email":"gus@example.com","name":"Gus","tier":"x","score":"not a number"}', // unreadable row, valid address
    '{"email":"not-an-address","name":"Nobody","tier":"x"}',
  ].join("\n"),
);

const FIELDS = `fields:
  email: { type: email, required: true }
  name: { type: string }
  tier: { type: string }
  score: { type: number, default: 0 }
`;
const customers = source("customers", `source: customers.jsonl\n${FIELDS}`);
const leads = source("leads", `source: leads.jsonl\n${FIELDS}`);
const optouts = source("optouts", `source: optouts.jsonl\n${FIELDS}`);
const segments = [
  segment("gold", "from: customers\nwhere: { tier: { eq: gold } }"),
  segment("high-score", "from: customers\nwhere: { score: { gte: 5 } }"),
  segment("churned", "from: customers\nwhere: { tier: { eq: churned } }"),
  segment("silver", "from: customers\nwhere: { tier: { eq: silver } }"),
  segment("all-leads", "from: leads"),
  segment("zed-optout", "from: optouts\nwhere: { email: { starts_with: zed } }"),
];
const p = project(repo.root, { sources: [customers, leads, optouts], segments });

const addresses = (rs: { address: string }[]) => rs.map((r) => r.address);

describe("to: segments and sources", () => {
  it("a segment yields its rows in file order, skipping bad rows", async () => {
    const { recipients, stats } = await run(p, campaign("to: gold"));
    expect(recipients.map((r) => [r.address, r.key, r.line, r.source])).toEqual([
      ["ann@example.com", "ann@example.com", 1, "customers"],
      ["cy@example.com", "cy@example.com", 4, "customers"],
    ]);
    expect(stats).toEqual({
      read: 9,
      invalid: 1,
      invalidSamples: [{ source: "customers", line: 6, reason: "not a JSON object (found a list)" }],
      notMatched: 5,
      duplicates: 1,
      excluded: 0,
      excludedSent: 0,
      suppressed: 0,
      selected: 2,
      exclusion: { read: 0, invalid: 0, keys: 0 },
      sources: [{ source: "customers", read: 9, invalid: 1 }],
    });
  });

  it("a source name means all its rows; duplicates by key are sent once, the first one wins", async () => {
    const { recipients, stats } = await run(p, campaign("to: customers"));
    expect(recipients.map((r) => [r.address, r.line, r.fields.tier])).toEqual([
      ["ann@example.com", 1, "gold"],
      ["bob@example.com", 2, "basic"],
      ["cy@example.com", 4, "gold"],
      ["dee@example.com", 7, "churned"],
      ["eve@example.com", 9, "silver"],
    ]);
    expect(stats).toMatchObject({ read: 9, invalid: 1, notMatched: 0, duplicates: 3, selected: 5 });
  });

  it("segments of one source are a union, tested on the same row: a row in both comes once", async () => {
    const { recipients, stats } = await run(p, campaign("to: [gold, high-score]"));
    // ann (gold, 9) is in both; dee (7) and line 5's ann (5) only by score, and line 5 repeats ann.
    expect(addresses(recipients)).toEqual(["ann@example.com", "cy@example.com", "dee@example.com"]);
    expect(stats).toMatchObject({ read: 9, duplicates: 2, notMatched: 3, selected: 3 });
  });

  it("sources come in the order `to` names them, deduplicated across sources", async () => {
    const a = await run(p, campaign("to: [all-leads, gold]"));
    expect(addresses(a.recipients)).toEqual([
      "zed@example.com",
      "bob@EXAMPLE.com",
      "fay@example.com",
      "gus@example.com",
      "ann@example.com",
      "cy@example.com",
    ]);
    const b = await run(p, campaign("to: [customers, leads]"));
    expect(addresses(b.recipients)).toEqual([
      "ann@example.com",
      "bob@example.com",
      "cy@example.com",
      "dee@example.com",
      "eve@example.com",
      "zed@example.com",
      "fay@example.com",
      "gus@example.com",
    ]);
    // bob of leads repeats bob of customers.
    expect(b.stats).toMatchObject({ read: 13, duplicates: 4, selected: 8 });
  });

  it("past a batch of rows (a CSV hands on 1,024 at a time): file order, lines, the first of each address", async () => {
    // 3,000 rows, every 7th repeating the address of a row 600 or 7 rows earlier in another case.
    const rows = Array.from({ length: 3000 }, (_, i) => {
      const n = i % 7 === 6 ? (i % 2 ? i - 600 : i - 7) : i;
      return `${n >= 0 && i % 7 === 6 ? `User${n}@Example.com` : `user${i}@example.com`},${i}`;
    });
    repo.write("subscribers/many.csv", `email,name\n${rows.join("\n")}\n`);
    const many = source(
      "many",
      "source: many.csv\nfields:\n  email: { type: email, required: true }\n  name: { type: string }\n",
    );
    const { recipients, stats } = await run(project(repo.root, { sources: [many] }), campaign("to: many"));
    const seen = new Set<string>();
    const expected: [string, number][] = [];
    rows.forEach((r, i) => {
      const address = r.split(",")[0] as string;
      if (seen.has(address.toLowerCase())) return;
      seen.add(address.toLowerCase());
      expected.push([address, i + 2]);
    });
    expect(expected.length).toBeLessThan(2900);
    expect(recipients.map((r) => [r.address, r.line])).toEqual(expected);
    expect(stats).toMatchObject({
      read: 3000,
      duplicates: 3000 - expected.length,
      selected: expected.length,
    });
  });

  it("the same campaign gives the same recipients in the same order every time", async () => {
    const c = campaign("to: [high-score, leads, gold]\nexclude: [zed-optout]");
    const first = await run(p, c);
    const second = await run(p, c);
    expect(second.recipients).toEqual(first.recipients);
    expect(second.stats).toEqual(first.stats);
  });
});

describe("exclude", () => {
  it("a segment of the same source is tested on the row, in the same pass", async () => {
    const { recipients, stats } = await run(p, campaign("to: customers\nexclude: [churned, silver]"));
    expect(addresses(recipients)).toEqual(["ann@example.com", "bob@example.com", "cy@example.com"]);
    expect(stats).toMatchObject({ read: 9, excluded: 2, duplicates: 3, selected: 3 });
    // One pass: nothing was read ahead.
    expect(stats.exclusion).toEqual({ read: 0, invalid: 0, keys: 0 });
  });

  it("excluding the source itself leaves no one", async () => {
    const { recipients, stats } = await run(p, campaign("to: gold\nexclude: customers"));
    expect(recipients).toEqual([]);
    expect(stats).toMatchObject({ excluded: 2, selected: 0 });
  });

  it("a source or segment elsewhere is read first, keeping only the excluded keys", async () => {
    const { recipients, stats } = await run(p, campaign("to: [customers, leads]\nexclude: optouts"));
    // eve (domain case differs), zed and gus (its row is unreadable, but its address is valid) are out.
    expect(addresses(recipients)).toEqual([
      "ann@example.com",
      "bob@example.com",
      "cy@example.com",
      "dee@example.com",
      "fay@example.com",
    ]);
    expect(stats).toMatchObject({ read: 13, excluded: 3, duplicates: 4, selected: 5 });
    expect(stats.exclusion).toEqual({ read: 4, invalid: 2, keys: 3 });
    // The exclude list's bad rows are reported (masked), apart from the audience's own counts.
    expect(stats.invalid).toBe(1);
    expect(stats.invalidSamples).toEqual([
      { source: "optouts", line: 3, reason: "`score` should be a number, found text" },
      { source: "optouts", line: 4, reason: "invalid email address n*** in `email`" },
      { source: "customers", line: 6, reason: "not a JSON object (found a list)" },
    ]);
    expect(accounted(stats)).toBe(stats.read);
  });

  it("a segment of another source excludes its rows, and any row of it that cannot be checked", async () => {
    const { recipients, stats } = await run(p, campaign("to: leads\nexclude: zed-optout"));
    // zed matches the segment. gus's optouts row has a bad score, so the segment cannot be
    // tested on it: with a valid address, it is excluded rather than mailed.
    expect(addresses(recipients)).toEqual(["bob@EXAMPLE.com", "fay@example.com"]);
    expect(stats.exclusion).toEqual({ read: 4, invalid: 2, keys: 2 });
  });

  it("with two `to` sources, an exclude segment of one applies to the other too (by address)", async () => {
    // ann is high-score in customers; leads has no ann, but a leads-only campaign part must
    // still lose any address the exclude segment holds: here bob is excluded by a customers segment.
    const bobSegment = segment("bob-customer", "from: customers\nwhere: { email: { starts_with: bob } }");
    const q = project(repo.root, {
      sources: [customers, leads, optouts],
      segments: [...segments, bobSegment],
    });
    const { recipients, stats } = await run(q, campaign("to: [gold, leads]\nexclude: bob-customer"));
    expect(addresses(recipients)).toEqual([
      "ann@example.com",
      "cy@example.com",
      "zed@example.com",
      "fay@example.com",
      "gus@example.com",
    ]);
    expect(stats).toMatchObject({ excluded: 1, selected: 5 });
    // customers was read ahead for the exclude, and again for `to: gold`.
    expect(stats.exclusion).toEqual({ read: 9, invalid: 1, keys: 1 });
    expect(stats.invalidSamples).toEqual([
      { source: "customers", line: 6, reason: "not a JSON object (found a list)" },
    ]);
  });
});

describe("suppression", () => {
  it("drops suppressed keys after dedupe and exclude, counting them", async () => {
    const suppression = { has: (key: string) => key === "cy@example.com" || key === "bob@example.com" };
    const { recipients, stats } = await run(p, campaign("to: customers\nexclude: churned"), { suppression });
    expect(addresses(recipients)).toEqual(["ann@example.com", "eve@example.com"]);
    expect(stats).toMatchObject({
      read: 9,
      invalid: 1,
      duplicates: 3,
      excluded: 1,
      suppressed: 2,
      selected: 2,
    });
    expect(accounted(stats)).toBe(stats.read);
  });

  it("the local list: one address per line, comments, any case, plus the SES simulator address", async () => {
    const local = tempRepo();
    local.write(
      LOCAL_SUPPRESSION_FILE,
      "# unsubscribed by hand\n\n  Ann@EXAMPLE.com  \nbob@example.com # asked on the phone\nhash#in@example.com\n",
    );
    const suppression = await localSuppression(local.root);
    // Entries are held in key form; callers ask with keys.
    expect(suppression.has("ann@example.com")).toBe(true);
    expect(suppression.has("Ann@EXAMPLE.com")).toBe(false);
    expect(suppression.has("bob@example.com")).toBe(true);
    expect(suppression.has("hash#in@example.com")).toBe(true);
    expect(suppression.has("# unsubscribed by hand")).toBe(false);
    expect(suppression.has("suppressionlist@simulator.amazonses.com")).toBe(true);
    expect(suppression.size).toBe(4);

    local.write(
      "subscribers/people.jsonl",
      [
        row("ann@example.com", "a"),
        row("SuppressionList@Simulator.AmazonSES.com", "a"),
        row("suppressionlist@SIMULATOR.amazonses.com", "a"),
        row("cy@example.com", "a"),
      ].join("\n"),
    );
    const people = source("people", `source: people.jsonl\n${FIELDS}`);
    const { recipients, stats } = await run(
      project(local.root, { sources: [people] }),
      campaign("to: people"),
      {
        suppression,
      },
    );
    // Every spelling of an address is one key: the simulator's second spelling is a duplicate.
    expect(addresses(recipients)).toEqual(["cy@example.com"]);
    expect(stats).toMatchObject({ duplicates: 1, suppressed: 2, selected: 1 });
  });

  it("no file is an empty list but for the simulator address", async () => {
    const empty = await localSuppression(tempRepo().root);
    expect(empty.size).toBe(1);
    expect(empty.has("suppressionlist@simulator.amazonses.com")).toBe(true);
  });
});

describe("rows per source, and a send pass held to its count", () => {
  it("records every pass's rows and invalid rows, before segments; a source read twice counts once", async () => {
    const { stats } = await run(p, campaign("to: [gold, leads]\nexclude: [zed-optout, churned]"));
    // optouts and customers are read ahead for the excludes (customers: `churned` must apply to leads too).
    expect(stats.sources).toEqual([
      { source: "optouts", read: 4, invalid: 2 },
      { source: "customers", read: 9, invalid: 1 },
      { source: "customers", read: 9, invalid: 1 },
      { source: "leads", read: 4, invalid: 0 },
    ]);
    expect(sourceTotals(stats)).toEqual({ read: 17, invalid: 3 });
  });

  const counted = async (c: ReturnType<typeof campaign>) => (await run(p, c)).stats.sources;
  const changing = (root: string, file: string, text: string): OpenSource => {
    const local = openLocal(root);
    return async (s) => {
      if (s.localPath === file) return Readable.from([Buffer.from(text)]);
      return local(s);
    };
  };
  const pass = (c: ReturnType<typeof campaign>, expect: SourceRows[], open: OpenSource) =>
    audience(p, c, { open, suppression: noSuppression }, { expect });

  it("a pass reading past the count stops before handing out a recipient past it", async () => {
    const c = campaign("to: leads");
    const expected = await counted(c);
    const longer = `${readFileSync(path.join(repo.root, "subscribers/leads.jsonl"), "utf8")}\n${row("new@example.com", "lead")}`;
    const a = pass(c, expected, changing(repo.root, "subscribers/leads.jsonl", longer));
    const got: string[] = [];
    const error = await (async () => {
      for await (const r of a.recipients) got.push(r.address);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceChangedError);
    expect((error as Error).message).toBe(
      "subscriber source `leads` (subscribers/leads.jsonl) changed after it was counted: the count read 4 rows (0 invalid), this pass has read 5 (0 invalid) so far",
    );
    expect(got).not.toContain("new@example.com");
  });

  it("a pass reading fewer rows than the count fails at its end; an exclude list at once", async () => {
    const c = campaign("to: leads\nexclude: zed-optout");
    const expected = await counted(c);
    const shorter = row("zed@example.com", "lead");
    const fewer = pass(c, expected, changing(repo.root, "subscribers/leads.jsonl", shorter));
    const got: string[] = [];
    const error = await (async () => {
      for await (const r of fewer.recipients) got.push(r.address);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceChangedError);
    expect((error as Error).message).toContain(
      "the count read 4 rows (0 invalid), this pass read 1 (0 invalid)",
    );
    const optouts = pass(c, expected, changing(repo.root, "subscribers/optouts.jsonl", shorter));
    const first = await optouts.recipients[Symbol.asyncIterator]()
      .next()
      .catch((e: unknown) => e);
    expect(first).toBeInstanceOf(SourceChangedError);
    expect((first as Error).message).toContain("`optouts`");
  });

  it("the same files read as counted pass", async () => {
    const c = campaign("to: [gold, leads]\nexclude: optouts");
    const expected = await counted(c);
    const again = pass(c, expected, openLocal(repo.root));
    const got: string[] = [];
    for await (const r of again.recipients) got.push(r.address);
    expect(got).toEqual(addresses((await run(p, c)).recipients));
  });
});

describe("stats and messages", () => {
  it("keeps the first 20 skipped rows, with masked addresses only", async () => {
    const many = tempRepo();
    const lines = Array.from({ length: 30 }, (_, i) =>
      i % 2 === 0
        ? JSON.stringify({ email: `secret.person${i}@private.example`, name: 5 })
        : JSON.stringify([`secret${i}@x`]),
    );
    lines.push(JSON.stringify({ email: "john.smith.private@example.com@", name: "x" }));
    many.write("subscribers/people.jsonl", lines.join("\n"));
    const people = source("people", `source: people.jsonl\n${FIELDS}`);
    const { stats } = await run(project(many.root, { sources: [people] }), campaign("to: people"));
    expect(stats.invalid).toBe(31);
    expect(stats.invalidSamples).toHaveLength(MAX_INVALID_SAMPLES);
    expect(stats.invalidSamples.map((s) => s.line)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const text = JSON.stringify(stats);
    expect(text).not.toMatch(/secret|person|private/);

    const masked = tempRepo();
    masked.write("subscribers/people.jsonl", JSON.stringify({ email: "john.smith@@example.com", name: "J" }));
    const m = await run(
      project(masked.root, { sources: [source("people", `source: people.jsonl\n${FIELDS}`)] }),
      campaign("to: people"),
    );
    expect(m.stats.invalidSamples[0]?.reason).toBe("invalid email address j***@example.com in `email`");
    expect(JSON.stringify(m.stats)).not.toContain("john");
  });

  it("counts selected as recipients are taken, and stops reading when the consumer stops", async () => {
    const opened: Readable[] = [];
    const local = openLocal(repo.root);
    const open: OpenSource = async (s) => {
      const stream = (await local(s)) as Readable;
      opened.push(stream);
      return stream;
    };
    const a = audience(p, campaign("to: customers"), { open, suppression: noSuppression });
    let taken = 0;
    for await (const _ of a.recipients) {
      taken++;
      expect(a.stats.selected).toBe(taken);
      if (taken === 2) break;
    }
    expect(a.stats.selected).toBe(2);
    expect(opened).toHaveLength(1);
    expect(opened[0]?.destroyed).toBe(true);
  });
});

describe("refused before anything is read", () => {
  it.each<[string, RegExp]>([
    [
      "to: nobody",
      /`nobody` in `to` of campaign `test-campaign` is neither a segment nor a subscriber source/,
    ],
    ["to: gold\nexclude: [nothing]", /`nothing` in `exclude`/],
    ["to: []", /has no `to`/],
  ])("%s", (yaml, message) => {
    let opened = false;
    const open: OpenSource = async () => {
      opened = true;
      throw new Error("not expected");
    };
    expect(() => audience(p, campaign(yaml), { open, suppression: noSuppression })).toThrow(message);
    expect(opened).toBe(false);
  });

  it("a segment with a condition lint would reject", () => {
    const bad = segment("bad", "from: customers\nwhere: { score: { gt: high } }");
    const q = project(repo.root, { sources: [customers], segments: [bad] });
    expect(() =>
      audience(q, campaign("to: bad"), { open: openLocal(repo.root), suppression: noSuppression }),
    ).toThrow(/segment `bad` \(subscribers\/segments\/bad.yaml\): `gt` on `score` needs a number/);
  });

  it("a segment over a source that does not exist", () => {
    const orphan = segment("orphan", "from: nowhere");
    const q = project(repo.root, { sources: [customers], segments: [orphan] });
    expect(() =>
      audience(q, campaign("to: orphan"), { open: openLocal(repo.root), suppression: noSuppression }),
    ).toThrow(MailopsError);
  });
});

describe("the example repository", () => {
  it("holiday-promo goes to the loyal customer; spring-sale to both segments, once each, in order", async () => {
    const { dir, cleanup } = copyExampleRepo();
    try {
      const loaded = loadProject(dir).value;
      const send = async (name: string) => {
        const c = loaded.campaigns.get(name);
        if (!c) throw new Error(`no campaign ${name}`);
        return run(loaded, c, { suppression: await localSuppression(dir) });
      };
      const holiday = await send("holiday-promo");
      expect(addresses(holiday.recipients)).toEqual(["subscriber2@example.com"]);
      expect(holiday.recipients[0]?.fields).toEqual({
        email: "subscriber2@example.com",
        name: "Jane Smith",
        segment: "loyal_customers",
        preferences: ["fashion", "home"],
      });
      const spring = await send("spring-sale");
      expect(addresses(spring.recipients)).toEqual([
        "subscriber1@example.com",
        "subscriber2@example.com",
        "subscriber3@example.com",
      ]);
      expect(spring.stats).toMatchObject({ read: 3, invalid: 0, notMatched: 0, duplicates: 0, selected: 3 });
    } finally {
      cleanup();
    }
  });
});
