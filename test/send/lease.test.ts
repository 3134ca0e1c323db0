/**
 * One sender at a time, on simulated time (no timers, no wall clock): a sender that lost its
 * lease stops before its next batch, and a long send keeps its lease alive so a second sender
 * cannot take it over.
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { projectStore } from "../../src/commands/context.js";
import { sendCampaigns } from "../../src/commands/send.js";
import { openSession } from "../../src/commands/session.js";
import { validateProject } from "../../src/commands/validate.js";
import { Ledger } from "../../src/send/ledger.js";
import { acquireLock, LockedError, LockLostError } from "../../src/send/lock.js";
import { runCampaign } from "../../src/send/run.js";
import { LocalStore } from "../../src/store/index.js";
import { LocalTarget } from "../../src/targets/local/resources.js";
import type { EntryResult, Sender, SendRequest } from "../../src/targets/port.js";
import type { Clock } from "../../src/util/clock.js";
import { people, runInput } from "../support/campaign-run.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

/** Simulated time: sleeping moves it on at once; the test moves it on too. */
function simulatedClock(start = Date.parse("2026-06-01T12:00:00Z")) {
  let t = start;
  const clock: Clock & { advance(ms: number): void } = {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
  return clock;
}

describe("a sender that lost its lease", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "mailops-lease-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("stops before its next batch once another sender took the lock over", async () => {
    const clock = simulatedClock();
    // The store's clock is the simulated one too: leases lapse by the store's time (lock.ts).
    const store = new LocalStore(dir, { now: clock.now });
    const lease = await acquireLock(store, { command: "send", ttlMs: 60_000, now: clock.now });
    const sent: string[] = [];
    let calls = 0;
    const sender: Sender = {
      async send(request: SendRequest): Promise<EntryResult[]> {
        sent.push(...request.messages.map((m) => m.to));
        if (++calls === 1) {
          // This sender stalls past its lease; another run takes the lock over meanwhile.
          clock.advance(120_000);
          await acquireLock(store, { command: "send", now: clock.now, waitMs: 0 });
        }
        return request.messages.map(() => ({ status: "sent", messageId: "m" }));
      },
    };
    const id = { campaign: "promo", sendAt: "on-merge" };
    const input = runInput({ id, recipients: people(150), sender, ledger: new Ledger(store, id), lease });
    await expect(runCampaign(input)).rejects.toBeInstanceOf(LockLostError);
    expect(sent).toHaveLength(50);
  });
});

describe("a long send", () => {
  let repo: ReturnType<typeof copyExampleRepo>;
  beforeEach(() => {
    repo = copyExampleRepo();
  });
  afterEach(() => repo.cleanup());

  it("keeps its lease alive: a second sender past the first lease's length is refused", async () => {
    const settings = path.join(repo.dir, "mailops.yaml");
    // 50 a second: ledger batches of 50, one sender call each.
    writeFileSync(settings, `${readFileSync(settings, "utf8")}\nsending:\n  local_rate: 50\n`);
    const rows = Array.from({ length: 200 }, (_, i) =>
      JSON.stringify({ email: `u${i}@example.com`, name: "Pat", segment: "new_customers" }),
    );
    writeFileSync(path.join(repo.dir, "subscribers/customers.jsonl"), `${rows.join("\n")}\n`);
    expect(await runApply({ dir: repo.dir, target: "local" }, captureIo())).toBe(0);
    const project = validateProject(repo.dir).project;
    const clock = simulatedClock();
    // The project's store on the simulated clock: the lease ages by the store's time (lock.ts).
    const store = new LocalStore(projectStore(project).location, { now: clock.now });
    let calls = 0;
    let second: unknown;
    const target = new LocalTarget(repo.dir);
    const real = target.sender();
    target.sender = () =>
      Object.assign(Object.create(real) as Sender, {
        async send(request: SendRequest) {
          const results = await real.send(request);
          // Each call takes 50 s: three of them outlast the 120 s lease.
          clock.advance(50_000);
          if (++calls === 3) {
            second = await acquireLock(store, { command: "send", now: clock.now, waitMs: 0 }).catch(
              (e: unknown) => e,
            );
          }
          return results;
        },
      });
    const results = await sendCampaigns(
      openSession({ project, target: "local", observe: () => {}, factory: async () => target, clock, store }),
      { campaign: "welcome-new-customers" },
    );
    expect(clock.now() - Date.parse("2026-06-01T12:00:00Z")).toBeGreaterThan(120_000);
    expect(second).toBeInstanceOf(LockedError);
    expect(results).toMatchObject([{ campaign: "welcome-new-customers", state: "sent" }]);
    const outbox = path.join(repo.dir, ".mailops/outbox/welcome-new-customers");
    expect(readdirSync(outbox).filter((f) => f.endsWith(".eml"))).toHaveLength(200);
  });
});
