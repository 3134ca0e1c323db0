/**
 * The send use case's report: another run holding the send lock is a state of the report (who
 * holds it, since when), with nothing sent; the command line ends with the same error as before.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyProject } from "../../src/commands/apply-project.js";
import { lockedError, sendCampaigns, sendUnlessLocked } from "../../src/commands/send.js";
import { openSession, type RunEvent, type Session } from "../../src/commands/session.js";
import { acquireLock, LockedError } from "../../src/send/lock.js";
import { simulatedClock } from "../support/clock.js";
import { recorder } from "../support/events.js";
import { copyExampleRepo, type ExampleRepo } from "../support/repo.js";

let repo: ExampleRepo;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

const NOW = new Date("2026-06-01T12:00:00Z");
const RUN = "https://github.com/acme/marketing/actions/runs/4242";

const session = (observe: (e: RunEvent) => void = () => {}): Session =>
  openSession({ dir: repo.dir, target: "local", observe, clock: simulatedClock(NOW) });

/** Runs `body` while another run (a deploy in a workflow run) holds the send lock. */
async function whileLocked<T>(s: Session, body: () => Promise<T>): Promise<T> {
  const lease = await acquireLock(s.store(), { command: "deploy", now: s.clock.now, run: RUN });
  try {
    return await body();
  } finally {
    await lease.release();
  }
}

describe("sendUnlessLocked", () => {
  it("reports a held lock as its state, with the holder, and sends nothing", async () => {
    const s = session();
    const report = await whileLocked(s, () => sendUnlessLocked(s, { due: true }));
    expect(report.results).toEqual([]);
    expect(report.locked?.message).toMatch(
      /^another mailops run holds the send lock: locked by workflow run/,
    );
    expect(report.locked?.hint).toMatch(
      /^wait for it to finish; if that run died, its lease lapses in \d+ s/,
    );
    expect(report.locked?.holder).toMatchObject({ command: "deploy", run: RUN, since: NOW.toISOString() });
    expect(report.locked?.holder?.lapsesInS).toBeGreaterThan(0);
    expect(repo.emls("welcome-new-customers")).toEqual([]);
  });

  it("without a held lock, is the send's results", async () => {
    const s = session();
    const report = await sendUnlessLocked(s, { due: true });
    expect(report.locked).toBeUndefined();
    // Nothing applied yet: the due campaign is refused for its template, as `sendCampaigns` does.
    expect(report.results).toEqual(await sendCampaigns(session(), { due: true }));
    expect(report.results.map((r) => [r.campaign, r.state])).toContainEqual([
      "welcome-new-customers",
      "refused",
    ]);
  });

  it("still throws what is not the lock", async () => {
    await expect(sendUnlessLocked(session(), {})).rejects.toThrow(/say what to send/);
  });
});

describe("lockedError", () => {
  it("is the error sending with the lock held threw: message, hint, holder, exit code", async () => {
    // Two runs waiting for the same holder, each on its own clock from NOW: they see the same lease.
    const [thrown, report] = await whileLocked(session(), async () => [
      await sendCampaigns(session(), { due: true }).catch((e: unknown) => e),
      await sendUnlessLocked(session(), { due: true }),
    ]);
    expect(thrown).toBeInstanceOf(LockedError);
    const rebuilt = lockedError(report.locked ?? { message: "" });
    expect(rebuilt).toBeInstanceOf(LockedError);
    const { message, hint, exitCode, holder } = thrown as LockedError;
    expect({
      message: rebuilt.message,
      hint: rebuilt.hint,
      exitCode: rebuilt.exitCode,
      holder: (rebuilt as LockedError).holder,
    }).toEqual({ message, hint, exitCode, holder });
  });
});

describe("sendCampaigns tells its progress", () => {
  it("a campaign sent: started with its count, progress up to it, finished; nothing printed", async () => {
    await applyProject(session(), {});
    const { events, observe } = recorder();
    const results = await sendCampaigns(session(observe), { due: true });
    expect(results.find((r) => r.campaign === "welcome-new-customers")?.state).toBe("sent");
    const campaign = "welcome-new-customers";
    expect(events[0]).toEqual({ kind: "send-started", campaign, total: 2 });
    expect(events.at(-1)).toEqual({ kind: "send-finished", campaign });
    const progress = events.slice(1, -1);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((e) => e.kind === "send-progress" && e.campaign === campaign)).toBe(true);
    expect(progress.at(-1)).toEqual({ kind: "send-progress", campaign, done: 2 });
  });

  it("a campaign refused before its run (its template not applied) tells nothing", async () => {
    const { events, observe } = recorder();
    await sendCampaigns(session(observe), { due: true });
    expect(events).toEqual([]);
  });
});
