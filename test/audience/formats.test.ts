/**
 * Reading subscriber files: .jsonl, .json and .csv, each optionally gzipped; typing rows against
 * the declaration; skipping bad rows with their line numbers, never crashing.
 */
import { symlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DamagedSourceError, type OpenSource } from "../../src/audience/index.js";
import type { Campaign, Project } from "../../src/config/model.js";
import { MailopsError } from "../../src/errors.js";
import { accounted, campaign, chunkedOpen, gzip, project, run, source, tempRepo } from "./helpers.js";

const repo = tempRepo();

const FIELDS = `fields:
  email: { type: email, required: true }
  name: { type: string, required: true }
  score: { type: number, default: 0 }
  vip: { type: boolean }
  joined: { type: date }
  tags: { type: list, default: [] }
`;

let files = 0;
/** Writes a subscriber file and returns a project with one source reading it. */
function subscribers(ext: string, content: string | Buffer, fields = FIELDS) {
  const name = `s${++files}`;
  repo.write(`subscribers/${name}.${ext}`, content);
  const s = source(name, `source: ${name}.${ext}\n${fields}`);
  return { p: project(repo.root, { sources: [s] }), c: campaign(`to: ${name}`), name };
}

async function read(ext: string, content: string | Buffer, fields = FIELDS) {
  const { p, c, name } = subscribers(ext, content, fields);
  const result = await run(p, c);
  expect(accounted(result.stats)).toBe(result.stats.read);
  return { ...result, name, p, c };
}

/** The read fails with a DamagedSourceError; returns it. */
async function damagedRead(p: Project, c: Campaign, open?: OpenSource): Promise<DamagedSourceError> {
  const error = await run(p, c, open ? { open } : {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DamagedSourceError);
  return error as DamagedSourceError;
}

const GOOD_JSONL = [
  '{"email":"ann@example.com","name":"Ann","score":3,"vip":true,"joined":"2026-01-31","tags":["a","b"]}',
  '{"email":" bob@Example.COM ","name":"Bob","extra":"dropped","nested":{"dropped":true}}',
  "",
  '{"name":"Cy","email":"cy@example.com","score":null,"tags":null,"joined":"2026-01-31T09:00:00+01:00"}',
].join("\n");

const EXPECTED = [
  {
    address: "ann@example.com",
    key: "ann@example.com",
    line: 1,
    fields: {
      email: "ann@example.com",
      name: "Ann",
      score: 3,
      vip: true,
      joined: "2026-01-31",
      tags: ["a", "b"],
    },
  },
  {
    address: "bob@Example.COM",
    key: "bob@example.com",
    line: 2,
    fields: { email: "bob@Example.COM", name: "Bob", score: 0, tags: [] },
  },
  {
    address: "cy@example.com",
    key: "cy@example.com",
    line: 4,
    fields: { email: "cy@example.com", name: "Cy", score: 0, joined: "2026-01-31T09:00:00+01:00", tags: [] },
  },
];

describe("jsonl", () => {
  it("types rows, applies defaults, drops undeclared keys, skips blank lines", async () => {
    const { recipients, stats, name } = await read("jsonl", GOOD_JSONL);
    expect(recipients).toEqual(EXPECTED.map((r) => ({ ...r, source: name })));
    expect(stats).toMatchObject({ read: 3, invalid: 0, selected: 3 });
  });

  it("reads CRLF line ends, a byte-order mark and a last line without a newline", async () => {
    const text = `\uFEFF${GOOD_JSONL.split("\n").join("\r\n")}`;
    const { recipients } = await read("jsonl", text);
    expect(recipients.map((r) => [r.line, r.fields])).toEqual(EXPECTED.map((r) => [r.line, r.fields]));
  });

  it("gives the same rows however the bytes are cut, inside lines and characters too", async () => {
    const text = `${GOOD_JSONL}\n{"email":"dé@example.com","name":"Jörg 😀"}\n{"email":"d@example.com","name":"Jörg 😀"}`;
    const { p, c } = subscribers("jsonl", text);
    const whole = await run(p, c);
    expect(whole.recipients.at(-1)?.fields.name).toBe("Jörg 😀");
    for (const size of [1, 2, 3, 7, 64]) {
      const cut = await run(p, c, { open: chunkedOpen(repo.root, size) });
      expect(cut.recipients, `chunks of ${size} bytes`).toEqual(whole.recipients);
      expect(cut.stats).toEqual(whole.stats);
    }
  });

  it("reads the same row the same way whether or not it takes the fast path", async () => {
    // An escape sends a line to JSON.parse; the rest of each pair is identical.
    const pairs = [
      ['{"email":"a@example.com","name":"Ann"}', '{"email":"a@example.com","name":"A\\u006en"}'],
      [
        '{"email":"b@example.com","name":"B","tags":["x"]}',
        '{"email":"b@example.com","name":"B","tags":["\\u0078"]}',
      ],
    ];
    for (const [plain, escaped] of pairs) {
      const a = await read("jsonl", plain as string);
      const b = await read("jsonl", escaped as string);
      expect(b.recipients.map((r) => r.fields)).toEqual(a.recipients.map((r) => r.fields));
    }
  });

  it.each<[string, string, string]>([
    ["array line", '["a@example.com"]', "not a JSON object (found a list)"],
    ["number line", "42", "not a JSON object (found a number)"],
    [
      "invalid email",
      '{"email":"jane.doe-at-example.com","name":"J"}',
      "invalid email address j*** in `email`",
    ],
    [
      "invalid email with a domain",
      '{"email":"jane@@example.com","name":"J"}',
      "invalid email address j***@example.com in `email`",
    ],
    ["email not text", '{"email":7,"name":"J"}', "`email` should be an email address, found a number"],
    ["no email", '{"name":"J"}', "no email address in `email`"],
    ["missing required field", '{"email":"a@example.com"}', "missing required field `name`"],
    ["required field null", '{"email":"a@example.com","name":null}', "missing required field `name`"],
    ["string field not text", '{"email":"a@example.com","name":5}', "`name` should be text, found a number"],
    [
      "number field as text",
      '{"email":"a@example.com","name":"J","score":"5"}',
      "`score` should be a number, found text",
    ],
    [
      "boolean field as text",
      '{"email":"a@example.com","name":"J","vip":"true"}',
      "`vip` should be true or false, found text",
    ],
    [
      "date field not a date",
      '{"email":"a@example.com","name":"J","joined":"31/01/2026"}',
      "`joined` is not an ISO date",
    ],
    [
      "date field impossible",
      '{"email":"a@example.com","name":"J","joined":"2026-02-30"}',
      "`joined` is not an ISO date",
    ],
    [
      "list field as text",
      '{"email":"a@example.com","name":"J","tags":"a;b"}',
      "`tags` should be a list, found text",
    ],
    [
      "list field as object",
      '{"email":"a@example.com","name":"J","tags":{"a":1}}',
      "`tags` should be a list, found an object",
    ],
  ])("skips a bad row with its line: %s", async (_what, bad, reason) => {
    const text = [
      '{"email":"ok1@example.com","name":"One"}',
      "",
      bad,
      '{"email":"ok2@example.com","name":"Two"}',
    ].join("\n");
    const { recipients, stats, name } = await read("jsonl", text);
    expect(recipients.map((r) => [r.address, r.line])).toEqual([
      ["ok1@example.com", 1],
      ["ok2@example.com", 4],
    ]);
    expect(stats).toMatchObject({ read: 3, invalid: 1, selected: 2 });
    expect(stats.invalidSamples).toHaveLength(1);
    expect(stats.invalidSamples[0]).toEqual({
      source: name,
      line: 3,
      reason: expect.stringContaining(reason),
    });
  });

  it.each<[string, string]>([
    ["a line cut short", '{"email":"secret@example.com","na'],
    ["two rows on one line", '{"email":"secret@example.com","name":"S"}{"email":"b@example.com","name":"B"}'],
    ["a stray character", 'x{"email":"secret@example.com","name":"S"}'],
    ["an over-long line", `{"email":"secret@example.com","name":"${"x".repeat(1_200_000)}"}`],
  ])("stops at a line that is not JSON, naming the file and the line: %s", async (_what, bad) => {
    const text = [
      '{"email":"a@example.com","name":"A"}',
      "",
      bad,
      '{"email":"b@example.com","name":"B"}',
    ].join("\n");
    const { p, c, name } = subscribers("jsonl", text);
    const error = await damagedRead(p, c);
    expect(error.message).toContain(`subscriber source \`${name}\` (subscribers/${name}.jsonl), line 3: `);
    expect(error.message + error.hint).not.toContain("secret");
  });

  it("reports a line over the size limit that straddles chunks at its own line", async () => {
    const huge = `{"email":"big@example.com","name":"${"x".repeat(1_200_000)}"}`;
    const { p, c } = subscribers("jsonl", ['{"email":"a@example.com","name":"A"}', huge].join("\n"));
    const error = await damagedRead(p, c, chunkedOpen(repo.root, 4096));
    expect(error.message).toMatch(/, line 2: a line longer than \d+ characters$/);
  });
});

describe("json (one array of objects, streamed)", () => {
  const array = `[
  {"email": "ann@example.com", "name": "Ann", "score": 3, "vip": true, "joined": "2026-01-31", "tags": ["a", "b"]},
  {"email": " bob@Example.COM ", "name": "Bob", "extra": "dropped", "nested": {"dropped": [1, {"x": "]}"}]}},
  {"name": "Cy", "email": "cy@example.com", "score": null, "tags": null, "joined": "2026-01-31T09:00:00+01:00"}
]`;

  it("reads the elements, numbered by index + 1, whatever brackets their strings hold", async () => {
    const { recipients } = await read("json", array);
    expect(recipients.map((r) => [r.line, r.fields])).toEqual(EXPECTED.map((r, i) => [i + 1, r.fields]));
  });

  it("gives the same rows however the bytes are cut", async () => {
    const text = array.replace("Ann", 'A\\"n]n} 😀');
    const { p, c } = subscribers("json", text);
    const whole = await run(p, c);
    expect(whole.recipients[0]?.fields.name).toBe('A"n]n} 😀');
    for (const size of [1, 3, 17]) {
      const cut = await run(p, c, { open: chunkedOpen(repo.root, size) });
      expect(cut.recipients).toEqual(whole.recipients);
      expect(cut.stats).toEqual(whole.stats);
    }
  });

  it("skips elements that are not objects or not typed right, and reads on", async () => {
    const text = `[
      {"email": "a@example.com", "name": "A"},
      "b@example.com",
      ["c@example.com"],
      null,
      {"email": "e@example.com", "name": 5},
      {"email": "f@example.com", "name": "F"}
    ]`;
    const { recipients, stats } = await read("json", text);
    expect(recipients.map((r) => [r.address, r.line])).toEqual([
      ["a@example.com", 1],
      ["f@example.com", 6],
    ]);
    expect(stats.invalidSamples.map((s) => [s.line, s.reason])).toEqual([
      [2, "not a JSON object (found text)"],
      [3, "not a JSON object (found a list)"],
      [4, "not a JSON object (found null)"],
      [5, "`name` should be text, found a number"],
    ]);
    expect(stats).toMatchObject({ read: 6, invalid: 4, selected: 2 });
  });

  it("reads an empty array as no subscribers", async () => {
    const { stats } = await read("json", " [ ] ");
    expect(stats).toMatchObject({ read: 0, selected: 0 });
  });

  const A = '{"email": "a@example.com", "name": "A"}';
  it.each<[string, string, string]>([
    [
      "an element that is not JSON",
      `[\n  ${A},\n  ${A},\n\n  {"email": "secret@example.com", "name": tru}\n]`,
      "line 5: element 3 is not valid JSON",
    ],
    ["a stray comma", `[\n  ${A},\n  ,\n  ${A}\n]`, "line 3: element 2 is empty (a stray comma?)"],
    [
      "a file cut short",
      `[\n  ${A},\n  {"email": "secret@exa`,
      "line 3: the file ends inside the array, in element 2 (cut short?)",
    ],
    [
      "text after the array",
      `[\n  ${A}\n]\n{"email": "secret@example.com"}`,
      "line 4: text after the closing ] of the array",
    ],
    [
      "an over-long element",
      `[${A}, {"email": "secret@example.com", "name": "${"x".repeat(1_200_000)}"}]`,
      "line 1: element 2 is longer than",
    ],
  ])("stops at %s, naming the line", async (_what, text, found) => {
    const { p, c, name } = subscribers("json", text);
    for (const open of [undefined, chunkedOpen(repo.root, 7)]) {
      const error = await damagedRead(p, c, open);
      expect(error.message).toContain(`subscriber source \`${name}\` (subscribers/${name}.json), ${found}`);
      expect(error.message + error.hint).not.toContain("secret");
    }
  });

  it.each<[string, string, RegExp]>([
    ["not an array", '{"email": "a@example.com"}', /is not a JSON array/],
    ["empty", "  \n", /is empty/],
  ])("refuses a file that is %s", async (_what, text, message) => {
    const { p, c } = subscribers("json", text);
    await expect(run(p, c)).rejects.toThrow(MailopsError);
    await expect(run(p, c)).rejects.toThrow(message);
  });
});

describe("csv", () => {
  const CSV = [
    "email,name,score,vip,joined,tags,unused",
    "ann@example.com,Ann,3,true,2026-01-31,a;b,x",
    ' bob@Example.COM , Bob ,,FALSE,,"[""x"", 2]",y',
    'cy@example.com,"Cy, ""the"" third",-1.5e2,,2026-01-31T09:00:00+01:00, a ; ;b ,',
    "",
    'dee@example.com,"Dee',
    'on two lines",0,,,,',
  ].join("\n");

  it("converts cells per field type: numbers, booleans, dates, lists as a;b or a JSON array", async () => {
    const { recipients, stats } = await read("csv", CSV);
    expect(stats).toMatchObject({ read: 4, invalid: 0, selected: 4 });
    expect(recipients.map((r) => [r.line, r.address, r.key])).toEqual([
      [2, "ann@example.com", "ann@example.com"],
      [3, "bob@Example.COM", "bob@example.com"],
      [4, "cy@example.com", "cy@example.com"],
      [6, "dee@example.com", "dee@example.com"],
    ]);
    expect(recipients.map((r) => r.fields)).toEqual([
      { email: "ann@example.com", name: "Ann", score: 3, vip: true, joined: "2026-01-31", tags: ["a", "b"] },
      { email: "bob@Example.COM", name: "Bob", score: 0, vip: false, tags: ["x", 2] },
      {
        email: "cy@example.com",
        name: 'Cy, "the" third',
        score: -150,
        joined: "2026-01-31T09:00:00+01:00",
        tags: ["a", "b"],
      },
      { email: "dee@example.com", name: "Dee\non two lines", score: 0, tags: [] },
    ]);
  });

  it("gives the same rows however the bytes are cut", async () => {
    const { p, c } = subscribers("csv", CSV);
    const whole = await run(p, c);
    for (const size of [1, 5]) {
      const cut = await run(p, c, { open: chunkedOpen(repo.root, size) });
      expect(cut.recipients).toEqual(whole.recipients);
    }
  });

  it.each<[string, string, string]>([
    ["invalid email", "jane.doe-at-example.com,J,,,,", "invalid email address j*** in `email`"],
    ["missing required field", "a@example.com,,,,,", "missing required field `name`"],
    ["number that is not", "a@example.com,J,3 apples,,,", "`score` should be a number"],
    ["number with a comma", 'a@example.com,J,"1,5",,,', "`score` should be a number"],
    ["boolean that is not", "a@example.com,J,,yes,,", "`vip` should be true or false"],
    ["date that is not", "a@example.com,J,,,01/31/2026,", "`joined` is not an ISO date"],
    [
      "list that is broken JSON",
      'a@example.com,J,,,,"[1, 2"',
      "`tags` starts with [ but is not a JSON array",
    ],
  ])("skips a bad row with its line: %s", async (_what, bad, reason) => {
    const text = [
      "email,name,score,vip,joined,tags",
      "ok1@example.com,One,,,,",
      bad,
      "ok2@example.com,Two,,,,",
    ].join("\n");
    const { recipients, stats } = await read("csv", text);
    expect(recipients.map((r) => [r.address, r.line])).toEqual([
      ["ok1@example.com", 2],
      ["ok2@example.com", 4],
    ]);
    expect(stats.invalidSamples.map((s) => [s.line, s.reason])).toEqual([
      [3, expect.stringContaining(reason)],
    ]);
  });

  const TWO = "fields:\n  email: { type: email }\n  name: { type: string }\n";
  const rows = (n: number, at: number, bad: string) =>
    [
      "email,name",
      ...Array.from({ length: n }, (_, i) => (i + 1 === at ? bad : `user${i}@example.com,User ${i}`)),
    ].join("\n");

  it.each<[string, string, string]>([
    ["too many fields", "a@example.com,J,,,,,extra", "line 3: 7 fields where the header has 6"],
    ["too few fields", "a@example.com,J", "line 3: 2 fields where the header has 6"],
  ])("stops at a row with the wrong number of fields: %s", async (_what, bad, found) => {
    const text = [
      "email,name,score,vip,joined,tags",
      "ok1@example.com,One,,,,",
      bad,
      "ok2@example.com,Two,,,,",
    ].join("\n");
    const { p, c, name } = subscribers("csv", text);
    const error = await damagedRead(p, c);
    expect(error.message).toBe(`subscriber source \`${name}\` (subscribers/${name}.csv), ${found}`);
  });

  it("stops at a stray quote that swallows the rest of the file, naming the line it opens on", async () => {
    // 10,000 rows, a stray quote in row 100 (line 101): relax_quotes alone reads rows 100 to
    // 10,000 as one field and mails 99 people.
    const { p, c, name } = subscribers("csv", rows(10_000, 100, 'user99@example.com,"Stray quote'), TWO);
    const error = await damagedRead(p, c);
    expect(error.message).toBe(
      `subscriber source \`${name}\` (subscribers/${name}.csv), line 101: a quote is opened and never closed`,
    );
    expect(error.hint).toContain("fix the export");
  });

  it.each<[string, string, string]>([
    [
      "closed by a later field's opening quote",
      'user99@example.com,"Stray quote\nuser100@example.com,User 100\nuser101@example.com,"Smith, J"',
      "line 101: a quoted field runs over several lines and is not closed properly",
    ],
    [
      "closed by a later quote, leaving a column count off",
      'user99@example.com,"Stray quote\nuser100@example.com,User 100\nuser101@example.com,5",Y',
      "line 101: 3 fields where the header has 2",
    ],
    [
      `closed cleanly ${25} lines later (5")`,
      `user99@example.com,"Stray quote\n${Array.from({ length: 24 }, (_, i) => `x${i}@example.com,X`).join("\n")}\nlast@example.com,5"`,
      "line 101: a record spanning 26 lines (at most 20 are read as one record)",
    ],
  ])("stops at a stray quote %s", async (_what, bad, found) => {
    const { p, c, name } = subscribers("csv", rows(300, 100, bad), TWO);
    for (const open of [undefined, chunkedOpen(repo.root, 5)]) {
      const error = await damagedRead(p, c, open);
      expect(error.message).toBe(`subscriber source \`${name}\` (subscribers/${name}.csv), ${found}`);
    }
  });

  it("keeps quotes that cannot move a row boundary, and quoted fields over several lines", async () => {
    const text = [
      "email,name",
      'a@example.com,O"Brien',
      'b@example.com,Robert "Bob" Smith',
      'c@example.com,"Closed"early',
      'd@example.com,"1 Main St',
      'Springfield"',
      'e@example.com,"""Quoted"" first"',
      "f@example.com,F",
    ].join("\n");
    const { recipients, stats } = await read("csv", text, TWO);
    expect(stats).toMatchObject({ read: 6, invalid: 0 });
    expect(recipients.map((r) => [r.line, r.fields.name])).toEqual([
      [2, 'O"Brien'],
      [3, 'Robert "Bob" Smith'],
      [4, '"Closed"early'],
      [5, "1 Main St\nSpringfield"],
      [7, '"Quoted" first'],
      [8, "F"],
    ]);
  });

  it("never prints a cell of a damaged row", async () => {
    const { p, c } = subscribers(
      "csv",
      rows(5, 2, 'secret@example.com,"Secret\nnext@example.com,"Name, N"'),
      TWO,
    );
    const error = await damagedRead(p, c);
    expect(error.message + error.hint).not.toMatch(/secret|next@/i);
  });

  it.each<[string, string, RegExp]>([
    ["has no email column", "mail,name\na@example.com,A\n", /has no column `email`, a required field/],
    [
      "has no column for a required field",
      "email\na@example.com\n",
      /has no column `name`, a required field/,
    ],
    ["names a column twice", "email,name,name\na@example.com,A,B\n", /names column `name` twice/],
    ["is empty", "", /is empty/],
  ])("refuses a file whose header %s", async (_what, text, message) => {
    const { p, c } = subscribers("csv", text);
    await expect(run(p, c)).rejects.toThrow(message);
  });

  it("masks a header cell that looks like an address (a file without a header row)", async () => {
    const { p, c } = subscribers("csv", "jane.doe@example.com,Jane\n");
    const error = await run(p, c).catch((e: Error) => e);
    expect(String((error as Error).message) + String((error as MailopsError).hint)).not.toContain("jane.doe");
    expect((error as MailopsError).hint).toContain("j***@example.com");
  });
});

describe("gzip", () => {
  const CSV_TEXT = "email,name\nann@example.com,Ann\nbob@example.com,Bob\n";
  it.each<[string, string]>([
    ["jsonl", '{"email":"ann@example.com","name":"Ann"}\n{"email":"bob@example.com","name":"Bob"}\n'],
    ["json", '[{"email":"ann@example.com","name":"Ann"},{"email":"bob@example.com","name":"Bob"}]'],
    ["csv", CSV_TEXT],
  ])("reads .%s.gz", async (ext, text) => {
    const { recipients, stats } = await read(`${ext}.gz`, gzip(text));
    expect(recipients.map((r) => r.address)).toEqual(["ann@example.com", "bob@example.com"]);
    expect(stats.read).toBe(2);
  });

  it("reads .gz cut into small chunks", async () => {
    const { p, c } = subscribers("jsonl.gz", gzip(GOOD_JSONL));
    const { recipients } = await run(p, c, { open: chunkedOpen(repo.root, 5) });
    expect(recipients.map((r) => r.fields)).toEqual(EXPECTED.map((r) => r.fields));
  });

  it.each(["jsonl", "json", "csv"])("stops at a truncated .%s.gz, saying where it ends", async (ext) => {
    const rowsOf = Array.from({ length: 20_000 }, (_, i) => `r${i}@example.com`);
    const text =
      ext === "jsonl"
        ? rowsOf.map((e) => JSON.stringify({ email: e, name: "N" })).join("\n")
        : ext === "json"
          ? `[\n${rowsOf.map((e) => JSON.stringify({ email: e, name: "N" })).join(",\n")}\n]`
          : `email,name\n${rowsOf.map((e) => `${e},N`).join("\n")}`;
    const whole = gzip(text);
    const { p, c, name } = subscribers(`${ext}.gz`, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const error = await damagedRead(p, c);
    expect(error.message).toMatch(
      new RegExp(
        `^subscriber source \`${name}\` \\(subscribers/${name}\\.${ext}\\.gz\\) is cut short: the gzip data ends after line \\d+ `,
      ),
    );
  });

  it("refuses a .gz file that is not gzip data, saying so", async () => {
    const { p, c } = subscribers("jsonl.gz", '{"email":"ann@example.com","name":"Ann"}\n');
    await expect(run(p, c)).rejects.toThrow(/is not valid gzip data/);
  });
});

describe("opening", () => {
  it.each<[string, () => string]>([
    ["a path out of the repository", () => "../../outside.jsonl"],
    [
      "a symbolic link out of the repository",
      () => {
        const outside = tempRepo();
        outside.write("secret.jsonl", '{"email":"x@example.com","name":"X"}\n');
        symlinkSync(
          path.join(outside.root, "secret.jsonl"),
          path.join(repo.root, "subscribers", "link.jsonl"),
        );
        return "link.jsonl";
      },
    ],
  ])("refuses %s", async (_what, location) => {
    const s = source("escape", `source: ${location()}\n${FIELDS}`);
    const p = project(repo.root, { sources: [s] });
    await expect(run(p, campaign("to: escape"))).rejects.toThrow("points outside the repository");
  });

  it("says which file is missing", async () => {
    const s = source("ghost", `source: ghost.jsonl\n${FIELDS}`);
    const p = project(repo.root, { sources: [s] });
    await expect(run(p, campaign("to: ghost"))).rejects.toThrow(
      "subscriber file subscribers/ghost.jsonl of source `ghost` does not exist",
    );
  });
});
