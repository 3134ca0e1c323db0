/**
 * Exactly once under SIGKILL: a sender killed at random points and started again delivers every
 * eligible recipient exactly once, the same set as an uninterrupted run. The local outbox is
 * create-only per recipient and run, so a second delivery would fail loudly instead of hiding.
 * The kills land at exact points, chosen by a seeded random: the child kills itself at its Nth
 * link (test/support/kill-at-link.mjs), so no timing decides whether or where a kill happens.
 */
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

const CAMPAIGN = "welcome-new-customers";
const N = 600;

function prepare(): ReturnType<typeof copyExampleRepo> {
  const repo = copyExampleRepo();
  const rows = Array.from({ length: N }, (_, i) =>
    JSON.stringify({
      email: i % 50 === 7 ? `dup${i % 3}@example.com` : `user${i}@example.com`,
      name: i % 97 === 5 ? "<b>x</b>" : `User ${i}`,
      segment: i % 10 === 3 ? "loyal_customers" : "new_customers",
      preferences: [],
    }),
  );
  writeFileSync(path.join(repo.dir, "subscribers/customers.jsonl"), `${rows.join("\n")}\n`);
  const settings = path.join(repo.dir, "mailops.yaml");
  // Under 150/s so ledger batches are 50 recipients: kills land between batches as well as
  // inside them.
  writeFileSync(settings, `${readFileSync(settings, "utf8")}\nsending:\n  local_rate: 140\n`);
  return repo;
}

function outbox(dir: string): string[] {
  return readdirSync(path.join(dir, ".mailops/outbox", CAMPAIGN))
    .filter((f) => f.endsWith(".eml"))
    .sort();
}

function countOutbox(dir: string): number {
  try {
    return readdirSync(path.join(dir, ".mailops/outbox", CAMPAIGN)).filter((f) => f.endsWith(".eml")).length;
  } catch {
    return 0;
  }
}

const KILL_AT_LINK = pathToFileURL(path.join(import.meta.dirname, "../support/kill-at-link.mjs")).href;

/** `mailops send`; with `killAt`, the child kills itself at its Nth link, before or after it. */
function send(
  dir: string,
  killAt?: { link: number; when: "before" | "after" },
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const args = ["bin/mailops.cjs", "send", "--campaign", CAMPAIGN, "--dir", dir];
    const child = spawn(process.execPath, killAt ? ["--import", KILL_AT_LINK, ...args] : args, {
      stdio: ["ignore", "ignore", "pipe"],
      env: killAt ? { ...process.env, MAILOPS_TEST_KILL_AT: `${killAt.link}:${killAt.when}` } : process.env,
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("exit", (code, signal) => resolve({ code, signal, stderr }));
  });
}

let reference: string[];
const repos: ReturnType<typeof copyExampleRepo>[] = [];

beforeAll(async () => {
  const build = spawnSync(process.execPath, ["scripts/build.mjs"], { encoding: "utf8" });
  if (build.status !== 0) throw new Error(build.stderr);
  const ref = prepare();
  repos.push(ref);
  await runApply({ dir: ref.dir, target: "local" }, captureIo());
  const r = await send(ref.dir);
  expect(r.code, r.stderr).toBe(0);
  reference = outbox(ref.dir);
}, 60_000);

afterAll(() => {
  for (const r of repos) r.cleanup();
});

describe("a sender killed at random points", () => {
  it("delivers every eligible recipient exactly once across restarts", async () => {
    // Eligible: distinct addresses in the segment, minus the markup rows.
    expect(reference.length).toBeGreaterThan(400);
    const repo = prepare();
    repos.push(repo);
    await runApply({ dir: repo.dir, target: "local" }, captureIo());
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    // At most 40 links an attempt, eight attempts: fewer than the deliveries alone, so every
    // attempt dies mid-run, wherever its links fall (the lock, a ledger record, a message).
    for (let trial = 0; trial < 8; trial++) {
      const killAt = { link: 1 + Math.floor(rand() * 40), when: rand() < 0.5 ? "before" : "after" } as const;
      const r = await send(repo.dir, killAt);
      expect(r.signal, `attempt ${trial} (${JSON.stringify(killAt)}) ended by itself: ${r.stderr}`).toBe(
        "SIGKILL",
      );
      expect(r.stderr).not.toMatch(/already delivered|internal error/);
    }
    const killed = countOutbox(repo.dir);
    expect(killed).toBeGreaterThan(0);
    expect(killed).toBeLessThan(reference.length);
    for (let i = 0; i < 5; i++) {
      const r = await send(repo.dir);
      expect(r.stderr).not.toMatch(/already delivered|internal error/);
      if (r.code === 0) break;
    }
    expect(outbox(repo.dir)).toEqual(reference);
  }, 120_000);

  it("two senders at once deliver nobody twice", async () => {
    const repo = prepare();
    repos.push(repo);
    await runApply({ dir: repo.dir, target: "local" }, captureIo());
    const [a, b] = await Promise.all([send(repo.dir), send(repo.dir)]);
    for (const r of [a, b]) expect(r.stderr).not.toMatch(/already delivered|internal error/);
    // One of them may have found the campaign locked, or complete when it got the lock; finish the run.
    const last = await send(repo.dir);
    expect(last.code, last.stderr).toBe(0);
    expect(outbox(repo.dir)).toEqual(reference);
  }, 60_000);
});
