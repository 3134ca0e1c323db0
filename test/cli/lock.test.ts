/**
 * `send` and `deploy` on the command line while another run holds the send lock: the use cases
 * report it as a state, and the command line ends with the lock's error as it always did: exit 1,
 * who holds the lock and what to do on stderr, nothing on stdout.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { projectStore } from "../../src/commands/context.js";
import { validateProject } from "../../src/commands/validate.js";
import { acquireLock } from "../../src/send/lock.js";
import { cli } from "../support/cli.js";
import { copyExampleRepo, type ExampleRepo } from "../support/repo.js";

let repo: ExampleRepo;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => {
  vi.useRealTimers();
  repo.cleanup();
});

/**
 * Runs the command while this process holds the send lock. The command waits 10 s for it on the
 * system clock: fake time here, moved on only while the command sleeps (its wait for the lock),
 * so the lease does not lapse while it does real work.
 */
async function whileLocked(...args: string[]): Promise<Awaited<ReturnType<typeof cli>>> {
  const lease = await acquireLock(projectStore(validateProject(repo.dir).project), { command: "send" });
  vi.useFakeTimers({ toFake: ["Date", "setTimeout", "clearTimeout"] });
  try {
    let done = false;
    const running = cli(...args).finally(() => {
      done = true;
    });
    while (!done) {
      if (vi.getTimerCount() > 0) await vi.advanceTimersToNextTimerAsync();
      else await new Promise((resolve) => setImmediate(resolve));
    }
    return await running;
  } finally {
    vi.useRealTimers();
    await lease.release();
  }
}

const LOCKED =
  /^mailops: another mailops run holds the send lock: locked by [^ ]+ \(send\) since \S+\n {2}hint: wait for it to finish; if that run died, its lease lapses in \d+ s by the state store's clock\n$/m;

describe("the send lock held by another run", () => {
  it.each(["text", "json"])(
    "send --due --format %s: exit 1, the holder and the hint, no report",
    async (format) => {
      const r = await whileLocked(
        "send",
        "--due",
        "--dir",
        repo.dir,
        "--target",
        "local",
        "--format",
        format,
      );
      expect(r.code).toBe(1);
      expect(r.err).toMatch(LOCKED);
      expect(r.out).toBe("");
    },
  );

  it.each(["text", "json"])(
    "deploy --format %s: applied, then exit 1 with the holder; nothing sent",
    async (format) => {
      const r = await whileLocked("deploy", "--dir", repo.dir, "--target", "local", "--format", format);
      expect(r.code).toBe(1);
      expect(r.err).toContain("[12/12] create CloudWatch dashboard email-marketing");
      expect(r.err).toMatch(LOCKED);
      expect(r.out).toBe("");
      expect(repo.emls("welcome-new-customers")).toEqual([]);
    },
  );
});
