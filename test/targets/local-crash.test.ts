/**
 * The local target's delivery records survive SIGKILL (src/targets/local/records.ts): a `mailops
 * send` child kills itself right before a chosen file operation of the outbox or the records
 * (test/support/crash-at.mjs, so each kill lands at an exact point, not at a time). After each
 * kill, once recovered, events.jsonl and the outbox agree: every .eml has one send event and one
 * outcome, no event names a missing .eml. Reruns remove the dead processes' temp files and send
 * exactly the rest: the same outbox as an uninterrupted run.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { LocalSender } from "../../src/targets/local/sender.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

const CAMPAIGN = "welcome-new-customers";
const N = 1200;
const PRELOAD = path.resolve("test/support/crash-at.mjs");
/** The files a local send changes: its outbox and its records (not the ledger's state store). */
const RECORDS = "/\\.mailops/(outbox|local)/";

function prepare(): ReturnType<typeof copyExampleRepo> {
  const repo = copyExampleRepo();
  const rows = Array.from({ length: N }, (_, i) =>
    JSON.stringify({
      // A few mailbox-simulator bounces (under the 5% guardrail): their events and suppression.
      email: i % 67 === 3 ? `bounce+${i}@simulator.amazonses.com` : `user${i}@example.com`,
      name: `User ${i}`,
      segment: "new_customers",
      preferences: [],
    }),
  );
  writeFileSync(path.join(repo.dir, "subscribers/customers.jsonl"), `${rows.join("\n")}\n`);
  return repo;
}

interface Crash {
  op: string;
  n: number;
  /** Which paths count (a regular expression); the outbox and the records by default. */
  path?: string;
}

function send(
  dir: string,
  crash?: Crash,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--import", PRELOAD, "bin/mailops.cjs", "send", "--campaign", CAMPAIGN, "--dir", dir],
      {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, MAILOPS_CRASH_AT: crash ? JSON.stringify({ path: RECORDS, ...crash }) : "" },
      },
    );
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("exit", (code, signal) => resolve({ code, signal, stderr }));
  });
}

const outboxDir = (root: string) => path.join(root, ".mailops/outbox", CAMPAIGN);
const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
const emls = (root: string) =>
  list(outboxDir(root))
    .filter((f) => f.endsWith(".eml"))
    .sort();
const temps = (root: string) => list(outboxDir(root)).filter((f) => f.endsWith(".tmp"));

interface Event {
  type: string;
  run?: string;
  id?: string;
}

/** Recover as the next process would (this one is another pid), then compare records and outbox. */
async function agreement(root: string): Promise<{ sends: number; problems: string[] }> {
  await new LocalSender(root).rates(undefined, new Date(0));
  const text = existsSync(path.join(root, ".mailops/local/events.jsonl"))
    ? readFileSync(path.join(root, ".mailops/local/events.jsonl"), "utf8")
    : "";
  const events: Event[] = text
    .split("\n")
    .filter((l) => l.trim().startsWith("{") && l.trim().endsWith("}"))
    .map((l) => JSON.parse(l));
  const files = new Set(emls(root));
  const per = new Map<string, string[]>();
  const problems: string[] = [];
  for (const e of events) {
    const file = `${e.run}.${e.id}.eml`;
    if (!files.has(file)) problems.push(`${e.type} event without its .eml: ${file}`);
    per.set(file, [...(per.get(file) ?? []), e.type]);
  }
  for (const file of files) {
    const types = (per.get(file) ?? []).sort();
    const ok =
      types.length === 2 && types.includes("send") && ["delivery", "bounce"].some((t) => types.includes(t));
    if (!ok) problems.push(`${file} has events [${types.join(", ")}]`);
  }
  const pending = list(path.join(root, ".mailops/local/pending"));
  if (pending.length) problems.push(`journals left: ${pending.join(", ")}`);
  return { sends: events.filter((e) => e.type === "send").length, problems };
}

/** A copy of the repository's state, so recovering it for a check leaves the next run its own recovery to do. */
function snapshot(root: string): string {
  const copy = mkdtempSync(path.join(tmpdir(), "mailops-crash-check-"));
  cpSync(path.join(root, ".mailops"), path.join(copy, ".mailops"), { recursive: true });
  return copy;
}

let reference: string[];
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  const build = spawnSync(process.execPath, ["scripts/build.mjs"], { encoding: "utf8" });
  if (build.status !== 0) throw new Error(build.stderr);
  const ref = prepare();
  cleanups.push(ref.cleanup);
  await runApply({ dir: ref.dir, target: "local" }, captureIo());
  const r = await send(ref.dir);
  expect(r.code, r.stderr).toBe(0);
  reference = emls(ref.dir);
  const { sends, problems } = await agreement(ref.dir);
  expect(problems).toEqual([]);
  expect(sends).toBe(reference.length);
}, 60_000);

afterAll(() => {
  for (const c of cleanups) c();
});

describe("local delivery records under SIGKILL", () => {
  it("agree with the outbox after every kill, and reruns send exactly the rest", async () => {
    expect(reference.length).toBeGreaterThan(1100);
    const repo = prepare();
    cleanups.push(repo.cleanup);
    await runApply({ dir: repo.dir, target: "local" }, captureIo());
    let seed = 11;
    const rand = (max: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return 1 + Math.floor((seed / 2 ** 31) * max);
    };
    const journal = "/\\.mailops/local/pending/\\d+-[^/]*\\.jsonl$";
    // Each window by name, then anywhere. In order: between an .eml's link and the events append
    // (its temp file left too); the next run's claim of the dead journal; a recovery between its
    // append and removing its claim; a send call between its events append and removing its
    // journal; between a call's publishing and its append; before a journal is written. Each lands
    // in the first 150 messages of its run.
    const crashes: Crash[] = [
      { op: "linkSync", n: 30 + rand(40) },
      { op: "renameSync", n: 1 },
      { op: "unlinkSync", n: 1, path: "\\.claim$" },
      { op: "unlinkSync", n: 1, path: journal },
      { op: "appendFileSync", n: 2, path: "/events\\.jsonl$" },
      { op: "writeFileSync", n: 2, path: journal },
      { op: "any", n: rand(400) },
      { op: "any", n: rand(400) },
      { op: "any", n: rand(400) },
    ];
    let leftTemps = 0;
    for (const crash of crashes) {
      const before = { temps: temps(repo.dir), emls: emls(repo.dir).length };
      const r = await send(repo.dir, crash);
      expect(r.stderr).not.toMatch(/already delivered|internal error/);
      expect(r.signal, JSON.stringify(crash) + r.stderr).toBe("SIGKILL");
      expect(emls(repo.dir).length).toBeLessThan(reference.length);
      // A run that delivered anything first removed the temp files of the runs killed before it.
      if (emls(repo.dir).length > before.emls)
        for (const t of before.temps) expect(temps(repo.dir)).not.toContain(t);
      leftTemps += temps(repo.dir).length;
      const copy = snapshot(repo.dir);
      try {
        const { sends, problems } = await agreement(copy);
        expect(problems, JSON.stringify(crash)).toEqual([]);
        expect(sends).toBe(emls(copy).length);
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    }
    // The kill before a link left an .eml's temp file behind: the cleanup had something to do.
    expect(leftTemps).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) {
      const r = await send(repo.dir);
      expect(r.stderr).not.toMatch(/already delivered|internal error/);
      if (r.code === 0) break;
    }
    expect(emls(repo.dir)).toEqual(reference);
    expect(temps(repo.dir)).toEqual([]);
    const { sends, problems } = await agreement(repo.dir);
    expect(problems).toEqual([]);
    expect(sends).toBe(reference.length);
    // Every simulator bounce delivered is on the suppression list.
    const suppressed = readFileSync(path.join(repo.dir, ".mailops/local/suppressed"), "utf8");
    const bounced = emls(repo.dir).filter((f) =>
      /^To: bounce\+/m.test(readFileSync(path.join(outboxDir(repo.dir), f), "utf8")),
    );
    expect(bounced.length).toBeGreaterThan(3);
    for (const f of bounced) {
      const to = /^To: (.*)$/m.exec(readFileSync(path.join(outboxDir(repo.dir), f), "utf8"))?.[1] as string;
      expect(suppressed.split("\n")).toContain(to);
    }
  }, 180_000);
});
