/**
 * LocalStore's per-key lock: a lock left by a crashed process is taken over, a live holder is
 * waited for and then named in the error.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { StoreLockTimeoutError } from "../../src/store/errors.js";
import { KeyLocks } from "../../src/store/local-lock.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function setup(options = { timeoutMs: 2_000, staleMs: 60_000 }) {
  const dir = mkdtempSync(path.join(tmpdir(), "mailops-lock-"));
  dirs.push(dir);
  const locksDir = path.join(dir, "locks");
  mkdirSync(locksDir);
  const locks = new KeyLocks(locksDir, path.join(dir, "tmp"), options);
  const plant = (record: unknown) =>
    writeFileSync(
      path.join(locksDir, "k.lock"),
      typeof record === "string" ? record : JSON.stringify(record),
    );
  return { locks, locksDir, plant };
}

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(child.stdout);
}

describe("KeyLocks", () => {
  it("runs one holder at a time", async () => {
    const { locks } = setup();
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        locks.with("k", "k", async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((resolve) => setTimeout(resolve, 2));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  });

  it("takes over a lock whose holder process is dead at once, and cleans up after itself", async () => {
    // No wait allowed: a holder taken for alive would time out instead of being taken over.
    const { locks, locksDir, plant } = setup({ timeoutMs: 0, staleMs: 60_000 });
    plant({ token: "crashed", pid: deadPid(), host: hostname(), at: Date.now() });
    expect(await locks.with("k", "k", async () => "ran")).toBe("ran");
    expect(readdirSync(locksDir)).toEqual([]);
  });

  it("takes over a lock older than the stale age even if its pid is alive", async () => {
    const { locks, plant } = setup({ timeoutMs: 2_000, staleMs: 1_000 });
    plant({ token: "stuck", pid: process.pid, host: hostname(), at: Date.now() - 5_000 });
    expect(await locks.with("k", "k", async () => "ran")).toBe("ran");
  });

  it("takes over a lock file it cannot read", async () => {
    const { locks, plant } = setup();
    plant("not a lock record");
    expect(await locks.with("k", "k", async () => "ran")).toBe("ran");
  });

  it("waits for a live holder, then names it and the file to delete", async () => {
    const { locks, locksDir, plant } = setup({ timeoutMs: 300, staleMs: 60_000 });
    const since = Date.now();
    plant({ token: "busy", pid: process.pid, host: "build-host", at: since });
    const error = await locks
      .with("k", "ledger/x.json in /state", async () => "ran")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreLockTimeoutError);
    expect((error as StoreLockTimeoutError).message).toBe(
      `timed out waiting for the lock on ledger/x.json in /state: held by process ${process.pid} on build-host since ${new Date(since).toISOString()}`,
    );
    expect((error as StoreLockTimeoutError).hint).toBe(
      `if no mailops process is running, delete ${path.join(locksDir, "k.lock")}`,
    );
    expect(existsSync(path.join(locksDir, "k.lock"))).toBe(true);
  });
});
