/**
 * Reading subscriber files: .jsonl, .json and .csv, each optionally gzipped; typing rows against
 * the declaration; skipping bad rows with their line numbers, never crashing.
 */
import { symlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
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
    ["unparseable line", '{"email":"a@example.com",', "not valid JSON"],
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

  it("skips a line over the size limit and keeps reading", async () => {
    const huge = `{"email":"big@example.com","name":"${"x".repeat(1_200_000)}"}`;
    const text = ['{"email":"a@example.com","name":"A"}', huge, '{"email":"b@example.com","name":"B"}'].join(
      "\n",
    );
    const { recipients, stats } = await read("jsonl", text);
    expect(recipients.map((r) => r.line)).toEqual([1, 3]);
    expect(stats.invalidSamples).toEqual([
      expect.objectContaining({ line: 2, reason: expect.stringMatching(/^longer than/) }),
    ]);
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

  it("skips elements that are not objects, not JSON, or not typed right, and reads on", async () => {
    const text = `[
      {"email": "a@example.com", "name": "A"},
      "b@example.com",
      ["c@example.com"],
      null,
      {"email": "d@example.com", "name": tru},
      {"email": "e@example.com", "name": 5},
      ,
      {"email": "f@example.com", "name": "F"}
    ]`;
    const { recipients, stats } = await read("json", text);
    expect(recipients.map((r) => [r.address, r.line])).toEqual([
      ["a@example.com", 1],
      ["f@example.com", 8],
    ]);
    expect(stats.invalidSamples.map((s) => [s.line, s.reason])).toEqual([
      [2, "not a JSON object (found text)"],
      [3, "not a JSON object (found a list)"],
      [4, "not a JSON object (found null)"],
      [5, "not valid JSON"],
      [6, "`name` should be text, found a number"],
      [7, "an empty element (a stray comma?)"],
    ]);
    expect(stats).toMatchObject({ read: 8, invalid: 6, selected: 2 });
  });

  it("reads an empty array as no subscribers", async () => {
    const { stats } = await read("json", " [ ] ");
    expect(stats).toMatchObject({ read: 0, selected: 0 });
  });

  it("reports a truncated file and text after the array as skipped rows", async () => {
    const truncated = await read("json", '[{"email": "a@example.com", "name": "A"}, {"email": "b@exa');
    expect(truncated.recipients.map((r) => r.address)).toEqual(["a@example.com"]);
    expect(truncated.stats.invalidSamples).toEqual([
      expect.objectContaining({
        line: 2,
        reason: expect.stringContaining("ends before the array is closed"),
      }),
    ]);
    const trailing = await read("json", '[{"email": "a@example.com", "name": "A"}] {"x": 1}');
    expect(trailing.recipients).toHaveLength(1);
    expect(trailing.stats.invalidSamples).toEqual([
      expect.objectContaining({ line: 2, reason: "text after the closing ] of the array" }),
    ]);
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
    ["too many fields", "a@example.com,J,,,,,extra", "has 7 fields, the header has 6"],
    ["too few fields", "a@example.com,J", "has 2 fields, the header has 6"],
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

  it("reports a quote left open at the end as one skipped row", async () => {
    const text = 'email,name\na@example.com,A\nb@example.com,"B\nc@example.com,C\n';
    const { recipients, stats } = await read(
      "csv",
      text,
      "fields:\n  email: { type: email }\n  name: { type: string }\n",
    );
    expect(recipients.map((r) => r.address)).toEqual(["a@example.com"]);
    expect(stats.invalidSamples).toEqual([
      expect.objectContaining({ line: 3, reason: expect.stringContaining("a quote is not closed") }),
    ]);
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
