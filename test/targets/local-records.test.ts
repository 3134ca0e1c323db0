/**
 * Recovery of the local target's delivery records (src/targets/local/records.ts) from states a
 * killed sender leaves: a journal whose messages were partly published, a torn last line in
 * events.jsonl, a suppression not yet written. The SIGKILL test is local-crash.test.ts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type LocalEvent, LocalRecords } from "../../src/targets/local/records.js";
import { scratchEach } from "../support/scratch.js";

let root: string;
let base: string;
const outbox = {
  emlPath: (c: string, run: string, id: string) => path.join(base, "outbox", c, `${run}.${id}.eml`),
};
scratchEach("records", (dir) => {
  root = dir;
  base = path.join(root, ".mailops");
  mkdirSync(path.join(base, "local", "pending"), { recursive: true });
  mkdirSync(path.join(base, "outbox", "c"), { recursive: true });
});

/** A pid no process has any more. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(r.stdout);
}

const ev = (id: string, type: LocalEvent["type"], extra: Partial<LocalEvent> = {}): LocalEvent => ({
  at: "2026-12-01T09:00:00.000Z",
  campaign: "c",
  type,
  run: "on-merge",
  id,
  ...extra,
});
const jsonl = (events: LocalEvent[]) => events.map((e) => `${JSON.stringify(e)}\n`).join("");
const eml = (id: string, to: string) =>
  writeFileSync(
    outbox.emlPath("c", "on-merge", id),
    `From: a@example.com\r\nTo: ${to}\r\nSubject: x\r\n\r\nbody\r\n`,
  );
const eventsFile = () => path.join(base, "local", "events.jsonl");
const pending = () => readdirSync(path.join(base, "local", "pending"));

describe("recovering a dead sender's journal", () => {
  it("adds the events and suppressions of published messages once, drops the rest, keeps a torn line apart", () => {
    // Published: a (committed before the crash), b (its events torn off mid-append), c (a bounce
    // to suppress, never committed). d was journalled but never published.
    const journal = [
      ev("a", "send"),
      ev("a", "delivery"),
      ev("b", "send"),
      ev("b", "delivery"),
      ev("c", "send"),
      ev("c", "bounce", { suppress: true }),
      ev("d", "send"),
      ev("d", "delivery"),
    ];
    eml("a", "a@example.com");
    eml("b", "b@example.com");
    eml("c", "Bounce+7@Simulator.AmazonSES.com");
    const torn = JSON.stringify(ev("b", "delivery")).slice(0, 25);
    writeFileSync(eventsFile(), `${jsonl([ev("a", "send"), ev("a", "delivery"), ev("b", "send")])}${torn}`);
    writeFileSync(path.join(base, "local", "pending", `${deadPid()}-x-0.jsonl`), jsonl(journal));

    const records = new LocalRecords(base, outbox);
    const events = records.events();
    const key = (e: LocalEvent) => `${e.id}:${e.type}`;
    expect(events.map(key).sort()).toEqual([
      "a:delivery",
      "a:send",
      "b:delivery",
      "b:send",
      "c:bounce",
      "c:send",
    ]);
    expect(readFileSync(eventsFile(), "utf8")).toContain(`${torn}\n`);
    expect(readFileSync(path.join(base, "local", "suppressed"), "utf8")).toBe(
      "bounce+7@simulator.amazonses.com\n",
    );
    expect(pending()).toEqual([]);
    // Again: nothing more to do, nothing added twice.
    expect(new LocalRecords(base, outbox).events()).toHaveLength(6);
  });

  it("leaves a live process's journal alone, and takes over a dead claimer's", () => {
    writeFileSync(path.join(base, "local", "pending", `${process.ppid}-x-0.jsonl`), jsonl([ev("a", "send")]));
    writeFileSync(
      path.join(base, "local", "pending", `${process.ppid}-x-1.jsonl.${deadPid()}.claim`),
      jsonl([ev("b", "send"), ev("b", "delivery")]),
    );
    eml("a", "a@example.com");
    eml("b", "b@example.com");
    const events = new LocalRecords(base, outbox).events();
    expect(events.map((e) => `${e.id}:${e.type}`)).toEqual(["b:send", "b:delivery"]);
    expect(pending()).toEqual([`${process.ppid}-x-0.jsonl`]);
  });

  it("removes temp files of dead processes only", () => {
    const dir = path.dirname(outbox.emlPath("c", "r", "x"));
    const dead = `r.x.eml.${deadPid()}.tmp`;
    const live = `r.y.eml.${process.ppid}.tmp`;
    const own = `r.z.eml.${process.pid}.tmp`;
    for (const f of [dead, live, own, "r.w.eml"]) writeFileSync(path.join(dir, f), "");
    LocalRecords.cleanTemps(dir);
    expect(readdirSync(dir).sort()).toEqual([live, own, "r.w.eml"].sort());
    expect(existsSync(path.join(dir, dead))).toBe(false);
  });
});
