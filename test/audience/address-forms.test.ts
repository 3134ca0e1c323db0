/**
 * The email field as every consumer sees it, whatever the file format and reader path: trimmed, an
 * internationalized domain in ASCII (punycode) form, the local part as written; the key folds
 * all of it. A non-ASCII local part is a skipped row that says why.
 */
import { describe, expect, it } from "vitest";
import { accounted, campaign, project, run, source, tempRepo } from "./helpers.js";

const repo = tempRepo();
const FIELDS = `fields:
  email: { type: email, required: true }
  name: { type: string }
`;

let files = 0;
async function read(ext: string, content: string) {
  const name = `s${++files}`;
  repo.write(`subscribers/${name}.${ext}`, content);
  const result = await run(
    project(repo.root, { sources: [source(name, `source: ${name}.${ext}\n${FIELDS}`)] }),
    campaign(`to: ${name}`),
  );
  expect(accounted(result.stats)).toBe(result.stats.read);
  return result;
}

const IDN = "Ann@Bücher.example";
const SENT = "Ann@xn--bcher-kva.example";
const KEY = "ann@xn--bcher-kva.example";
const SMTPUTF8 =
  "invalid email address j***@example.com in `email`: the part before @ has non-ASCII characters, which SES does not accept (no SMTPUTF8 addresses)";

describe("the email field's value", () => {
  it.each<[string, string, string]>([
    // The JSONL fast path, and JSON.parse for a line with an escape.
    ["jsonl", "fast path", `{"email":" ${IDN} ","name":"Ann"}\n{"email":"josé@example.com","name":"J"}`],
    ["jsonl", "JSON.parse", `{"email":"${IDN}","name":"A\\u006en"}\n{"email":"jos\\u00e9@example.com"}`],
    ["json", "array", `[{"email":"${IDN}","name":"Ann"},{"email":"josé@example.com"}]`],
    ["csv", "cells", `email,name\n ${IDN} ,Ann\njosé@example.com,J\n`],
  ])(
    "%s (%s): IDN domain in ASCII form; a non-ASCII local part is skipped, saying why",
    async (ext, _, text) => {
      const { recipients, stats } = await read(ext, text);
      expect(recipients.map((r) => [r.address, r.key, r.fields.email])).toEqual([[SENT, KEY, SENT]]);
      expect(stats.invalidSamples.map((s) => s.reason)).toEqual([SMTPUTF8]);
    },
  );

  it("NFC and NFD spellings of one IDN address are one recipient, sent as the first row spells it", async () => {
    const nfd = IDN.normalize("NFD");
    const { recipients, stats } = await read("jsonl", `{"email":"${nfd}"}\n{"email":"ann@bücher.EXAMPLE"}\n`);
    expect(recipients.map((r) => r.address)).toEqual([SENT]);
    expect(stats).toMatchObject({ duplicates: 1, selected: 1 });
  });
});
