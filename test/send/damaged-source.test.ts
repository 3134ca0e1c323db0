/**
 * A damaged subscriber source, too many invalid rows, or a source that changes between the count
 * and the send: end to end on the local target, on a copy of the example repository. Nothing is
 * sent, and the ledger never records the run complete.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { runDeploy } from "../../src/cli/deploy.js";
import { runSend } from "../../src/cli/send.js";
import { Ledger } from "../../src/send/ledger.js";
import { LocalStore } from "../../src/store/index.js";
import { LocalTarget } from "../../src/targets/local/resources.js";
import type { Target } from "../../src/targets/port.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

let repo: ReturnType<typeof copyExampleRepo>;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

const WELCOME = "welcome-new-customers";
const file = (rel: string) => path.join(repo.dir, rel);
const write = (rel: string, content: string | Buffer) => writeFileSync(file(rel), content);
const edit = (rel: string, from: string | RegExp, to: string) => {
  const before = readFileSync(file(rel), "utf8");
  const after = before.replace(from, to);
  expect(after, `${rel} has ${from}`).not.toBe(before);
  write(rel, after);
};
/** The customers source reads `name` (in subscribers/) instead of customers.jsonl. */
const customersFrom = (name: string, content: string | Buffer) => {
  write(`subscribers/${name}`, content);
  edit("subscribers/customers.yaml", "source: customers.jsonl", `source: ${name}`);
};
const guardrail = (value: string) =>
  edit("mailops.yaml", /max_invalid_rows: .*\n/, `max_invalid_rows: ${value}\n`);

const outbox = (campaign: string) =>
  existsSync(file(`.mailops/outbox/${campaign}`))
    ? readdirSync(file(`.mailops/outbox/${campaign}`)).filter((f) => f.endsWith(".eml"))
    : [];
const runRecord = (campaign: string) =>
  new Ledger(new LocalStore(file(".mailops/state")), { campaign, sendAt: "on-merge" }).readRun();

async function send(args: Record<string, unknown>, target?: () => Target) {
  const io = captureIo();
  const code = await runSend(
    { dir: repo.dir, target: "local", ...args },
    io,
    target ? async () => target() : undefined,
  );
  return { code, out: io.outText, err: io.errText };
}
async function deploy() {
  const io = captureIo();
  const code = await runDeploy({ dir: repo.dir, target: "local", now: "2026-11-27T12:00:00Z" }, io);
  return { code, out: io.outText };
}
const apply = () => runApply({ dir: repo.dir, target: "local" }, captureIo());

/** n CSV rows; every 100th is a new customer (welcome's segment), the others loyal ones. */
const csvRows = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => `user${i}@example.com,User ${i},${i % 100 === 0 ? "new_customers" : "loyal_customers"},books`,
  );
const CSV_HEADER = "email,name,segment,preferences";

const jsonl = (rows: object[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
const person = (i: number, extra: object = {}) => ({
  email: `p${i}@example.com`,
  name: `P${i}`,
  segment: "new_customers",
  ...extra,
});
const people = (n: number, bad: number[] = []) =>
  jsonl(
    Array.from({ length: n }, (_, i) =>
      bad.includes(i) ? person(i, { email: `secret${i}-at-x` }) : person(i),
    ),
  );

describe("a damaged source stops the send before anything goes out", () => {
  it("a stray quote in row 100 of 10,000: deploy refuses, names the file and line, sends nothing, records no run", async () => {
    const rows = csvRows(10_000);
    rows[99] = 'user99@example.com,"Stray quote,new_customers,books';
    customersFrom("customers.csv", [CSV_HEADER, ...rows].join("\n"));
    const first = await deploy();
    expect(first.code).toBe(1);
    expect(first.out).toContain(
      `${WELCOME}: refused (subscriber source \`customers\` (subscribers/customers.csv), line 101: a quote is opened and never closed; `,
    );
    expect(first.out).not.toContain("Stray");
    expect(outbox(WELCOME)).toEqual([]);
    expect(await runRecord(WELCOME)).toBeUndefined();
    // The dry run says the same, and fails too.
    const dry = await send({ due: true, dryRun: true, now: "2026-11-27T12:00:00Z" });
    expect(dry.code).toBe(1);
    expect(dry.out).toContain(
      "error: audience not counted: subscriber source `customers` (subscribers/customers.csv), line 101",
    );
    // Once the export is fixed, the next deploy sends to every new customer.
    rows[99] = "user99@example.com,Stray quote,loyal_customers,books";
    write("subscribers/customers.csv", [CSV_HEADER, ...rows].join("\n"));
    const fixed = await deploy();
    expect(fixed.code).toBe(0);
    expect(outbox(WELCOME)).toHaveLength(100);
    expect((await runRecord(WELCOME))?.status).toBe("complete");
  });

  const truncatedGz = () => {
    const whole = gzipSync(people(5_000));
    return whole.subarray(0, Math.floor(whole.length / 2));
  };
  it.each<[string, string, () => string | Buffer, RegExp]>([
    [
      "a CSV row with a column too many",
      "customers.csv",
      () => [CSV_HEADER, ...csvRows(50).map((r, i) => (i === 30 ? `${r},extra` : r))].join("\n"),
      /subscribers\/customers\.csv\), line 32: 5 fields where the header has 4/,
    ],
    [
      "a JSON array cut short",
      "customers.json",
      () => `[\n${[1, 2, 3].map((i) => JSON.stringify(person(i))).join(",\n")},\n{"email": "p4@exa`,
      /subscribers\/customers\.json\), line 5: the file ends inside the array, in element 4 \(cut short\?\)/,
    ],
    [
      "a truncated .gz",
      "customers.jsonl.gz",
      truncatedGz,
      /subscribers\/customers\.jsonl\.gz\) is cut short: the gzip data ends after line \d+/,
    ],
    [
      "an unparseable JSONL line",
      "customers.jsonl",
      () => `${people(3)}{"email":"secret@example.com","name":\n${people(2)}`,
      /subscribers\/customers\.jsonl\), line 4: not valid JSON/,
    ],
  ])("%s: send refuses with the line, nothing sent, no run", async (_what, name, content, message) => {
    if (name === "customers.jsonl") write("subscribers/customers.jsonl", content());
    else customersFrom(name, content());
    await apply();
    const r = await send({ campaign: WELCOME });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`^${WELCOME}: refused \\(subscriber source \`customers\` `));
    expect(r.out).toMatch(message);
    expect(r.out).not.toContain("secret");
    expect(outbox(WELCOME)).toEqual([]);
    expect(await runRecord(WELCOME)).toBeUndefined();
  });
});

describe("guardrails.max_invalid_rows", () => {
  it("default 1%, rounded up: 2 bad rows of 150 send (and are reported), 3 are refused before sending", async () => {
    const noSetting = (dir: string) => {
      const yaml = path.join(dir, "mailops.yaml");
      const text = readFileSync(yaml, "utf8");
      expect(text).toMatch(/\n {2}max_invalid_rows: .*\n/);
      writeFileSync(yaml, text.replace(/\n {2}max_invalid_rows: .*\n/, "\n"));
    };
    noSetting(repo.dir);
    await apply();
    write("subscribers/customers.jsonl", people(150, [10, 20]));
    const under = await send({ campaign: WELCOME });
    expect(under.code).toBe(0);
    expect(under.out).toContain("invalid rows 2");
    expect(outbox(WELCOME)).toHaveLength(148);

    const fresh = copyExampleRepo();
    try {
      noSetting(fresh.dir);
      await runApply({ dir: fresh.dir, target: "local" }, captureIo());
      writeFileSync(path.join(fresh.dir, "subscribers/customers.jsonl"), people(150, [10, 20, 30]));
      const io = captureIo();
      const code = await runSend({ dir: fresh.dir, target: "local", campaign: WELCOME }, io);
      expect(code).toBe(1);
      expect(io.outText).toContain(
        `${WELCOME}: refused (3 invalid rows of 150 read, more than guardrails.max_invalid_rows allows (1% of the rows read, 2); first: subscribers/customers.jsonl:11 invalid email address s*** in \`email\`; subscribers/customers.jsonl:21`,
      );
      expect(io.outText).toContain("fix the export, or raise guardrails.max_invalid_rows in mailops.yaml");
      expect(io.outText).not.toContain("secret");
      expect(existsSync(path.join(fresh.dir, ".mailops/outbox", WELCOME))).toBe(false);
      expect(existsSync(path.join(fresh.dir, ".mailops/state/ledger"))).toBe(false);
    } finally {
      fresh.cleanup();
    }
  });

  it.each<[string, number[], boolean]>([
    ["0", [], true],
    ["0", [3], false],
    ["2", [3, 4], true],
    ["2", [3, 4, 5], false],
    ["10%", [1, 2, 3, 4, 5], true], // 10% of 50 is 5
    ["10%", [1, 2, 3, 4, 5, 6], false],
  ])("max_invalid_rows: %s with %j bad of 50 rows: sends %s", async (setting, bad, sends) => {
    guardrail(setting);
    write("subscribers/customers.jsonl", people(50, bad));
    await apply();
    const r = await send({ campaign: WELCOME });
    expect(r.code).toBe(sends ? 0 : 1);
    expect(outbox(WELCOME)).toHaveLength(sends ? 50 - bad.length : 0);
    if (!sends) expect(r.out).toContain(`${WELCOME}: refused (${bad.length} invalid rows of 50 read`);
  });

  it("counts an exclude list's invalid rows, and the dry run says the send will be refused", async () => {
    guardrail("1");
    write("subscribers/customers.jsonl", people(20));
    write(
      "subscribers/optouts.jsonl",
      jsonl([person(1), person(90, { email: "x" }), person(91, { email: "y" })]),
    );
    write(
      "subscribers/optouts.yaml",
      readFileSync(file("subscribers/customers.yaml"), "utf8").replace("customers.jsonl", "optouts.jsonl"),
    );
    edit(`campaigns/${WELCOME}.yaml`, "to: new-customers\n", "to: new-customers\nexclude: [optouts]\n");
    await apply();
    const dry = await send({ campaign: WELCOME, dryRun: true });
    expect(dry.code).toBe(0);
    expect(dry.out).toContain("invalid rows 0 (and 2 in exclude lists)");
    expect(dry.out).toContain(
      "note: the send will be refused: 2 invalid rows of 23 read, more than guardrails.max_invalid_rows allows (1); first: subscribers/optouts.jsonl:2; subscribers/optouts.jsonl:3; fix the export",
    );
    const r = await send({ campaign: WELCOME });
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${WELCOME}: refused (2 invalid rows of 23 read`);
    expect(outbox(WELCOME)).toEqual([]);
    expect(await runRecord(WELCOME)).toBeUndefined();
  });
});

describe("the send pass reads what the count pass read", () => {
  /** The local target, with `between` run after the count and before the send (account() sits between them). */
  const changingBetweenPasses = (between: () => void) => () => {
    const target: Target = Object.create(new LocalTarget(repo.dir));
    const account = target.account.bind(target);
    target.account = async () => {
      between();
      return account();
    };
    return target;
  };

  it.each<[string, () => void, string]>([
    [
      "rows added",
      () => appendFileSync(file("subscribers/customers.jsonl"), jsonl([person(900)])),
      "the count read 120 rows (0 invalid), this pass has read 121 (0 invalid) so far",
    ],
    [
      "rows removed",
      () => write("subscribers/customers.jsonl", people(60)),
      "the count read 120 rows (0 invalid), this pass read 60 (0 invalid)",
    ],
  ])(
    "%s: the run stops, not complete, and the next run sends exactly the rest",
    async (_what, change, found) => {
      write("subscribers/customers.jsonl", people(120));
      await apply();
      const r = await send({ campaign: WELCOME }, changingBetweenPasses(change));
      expect(r.code).toBe(1);
      expect(r.out).toContain(
        `${WELCOME}: stopped (the audience could not be read to the end: subscriber source \`customers\` (subscribers/customers.jsonl) changed after it was counted: ${found}`,
      );
      const run = await runRecord(WELCOME);
      expect(run?.status).toBe("stopped");
      expect(run?.stopReason).toContain(found);
      const sentFirst = outbox(WELCOME).length;
      expect(sentFirst).toBeLessThan(120);
      const again = await send({ campaign: WELCOME });
      expect(again.code).toBe(0);
      const total = readFileSync(file("subscribers/customers.jsonl"), "utf8").trim().split("\n").length;
      expect(outbox(WELCOME)).toHaveLength(total);
      expect((await runRecord(WELCOME))?.status).toBe("complete");
    },
  );
});
