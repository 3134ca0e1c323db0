/**
 * Recurring campaigns end to end on the local target: a weekly schedule over five simulated weeks
 * (`--now`), exclude_sent across its runs, one occurrence in flight at a time, sends by name, and
 * what the dry run shows.
 */
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { runSend } from "../../src/cli/send.js";
import { Ledger } from "../../src/send/ledger.js";
import { acquireLock } from "../../src/send/lock.js";
import { LocalStore } from "../../src/store/index.js";
import { captureIo, copyExampleRepo, type ExampleRepo } from "../support/repo.js";

// The real lock, which a test may make wait while another send runs (mockImplementationOnce).
vi.mock("../../src/send/lock.js", async (original) => {
  const real = await original<typeof import("../../src/send/lock.js")>();
  return { ...real, acquireLock: vi.fn(real.acquireLock) };
});
const realAcquireLock = (
  await vi.importActual<typeof import("../../src/send/lock.js")>("../../src/send/lock.js")
).acquireLock;

let repo: ExampleRepo;

// Mondays 09:00 in Berlin (08:00 UTC in winter), from the first Monday of 2027.
const WEEKS = [
  "2027-01-04T08:00:00.000Z",
  "2027-01-11T08:00:00.000Z",
  "2027-01-18T08:00:00.000Z",
  "2027-01-25T08:00:00.000Z",
  "2027-02-01T08:00:00.000Z",
];
const SCHEDULE = `schedule:
  cron: "0 9 * * MON"
  time_zone: Europe/Berlin
  start: 2027-01-04T00:00:00+01:00
`;

beforeEach(async () => {
  repo = copyExampleRepo();
  for (const c of ["holiday-promo", "spring-sale", "welcome-new-customers", "weekly-newsletter"])
    rmSync(path.join(repo.dir, "campaigns", `${c}.yaml`), { force: true });
  // Welcome whoever joined, once: each run leaves out whoever an earlier run of it reached.
  repo.write(
    "campaigns/weekly-welcome.yaml",
    `template: welcome-campaign\nto: new-customers\ntopic: onboarding\nconfiguration_set: marketing\n${SCHEDULE}exclude_sent: { campaign: weekly-welcome }\n`,
  );
  // A newsletter: everyone, every week.
  repo.write(
    "campaigns/weekly-news.yaml",
    `template: welcome-campaign\nto: customers\ntopic: onboarding\nconfiguration_set: marketing\n${SCHEDULE}`,
  );
  members(["a", "b"]);
  expect(await runApply({ dir: repo.dir, target: "local" }, captureIo())).toBe(0);
});
afterEach(() => repo.cleanup());

function members(names: string[]): void {
  repo.subscribers(
    names.map((n) => ({ email: `${n}@example.com`, name: n.toUpperCase(), segment: "new_customers" })),
  );
}

async function send(args: Record<string, unknown>) {
  const io = captureIo();
  const code = await runSend({ dir: repo.dir, target: "local", ...args }, io);
  return { code, out: io.outText, err: io.errText };
}

/** The outbox of a campaign: run key → recipients. */
function outbox(campaign: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of repo.emls(campaign)) {
    const run = f.split(".")[0] as string;
    const to = /^To: (.*)$/m.exec(
      readFileSync(path.join(repo.dir, ".mailops/outbox", campaign, f), "utf8"),
    )?.[1];
    out.set(run, [...(out.get(run) ?? []), to as string].sort());
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

const key = (iso: string) => iso.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
const at = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000).toISOString();

describe("a weekly campaign over five weeks", () => {
  it("sends one run per week, each once; skips a week missed past max_lateness; exclude_sent welcomes nobody twice", async () => {
    // Week 1: a and b.
    let r = await send({ due: true, now: at(WEEKS[0] as string, 5) });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain(`weekly-welcome: sent`);
    expect(r.out).toContain(`occurrence ${WEEKS[0]}`);
    // Run again in the same week: nothing more.
    r = await send({ due: true, now: at(WEEKS[0] as string, 60) });
    expect(r.out).toContain(`weekly-welcome: scheduled (${WEEKS[1]})`);
    expect(r.out).toContain(`weekly-news: scheduled (${WEEKS[1]})`);
    // Week 2: c joins.
    members(["a", "b", "c"]);
    r = await send({ due: true, now: at(WEEKS[1] as string, 10) });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("excluded 2 (2 reached by an earlier run)");
    await send({ due: true, now: at(WEEKS[1] as string, 20) });
    // Week 3: d joins, but no send runs until two days later: past max_lateness (24h), never sent.
    members(["a", "b", "c", "d"]);
    r = await send({ due: true, now: at(WEEKS[2] as string, 48 * 60) });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain(`weekly-welcome: missed (${WEEKS[2]})`);
    expect(r.out).toContain(`next occurrence ${WEEKS[3]}`);
    // Week 4: e joins; d, who joined in the missed week, is welcomed now.
    members(["a", "b", "c", "d", "e"]);
    r = await send({ due: true, now: at(WEEKS[3] as string, 1) });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain(`occurrence ${WEEKS[2]} was missed`);
    // Week 5: nobody new.
    r = await send({ due: true, now: at(WEEKS[4] as string, 3) });
    expect(r.code, r.out + r.err).toBe(0);
    r = await send({ due: true, now: at(WEEKS[4] as string, 30) });

    const [w1, w2, , w4, w5] = WEEKS.map(key);
    expect(outbox("weekly-welcome")).toEqual(
      new Map([
        [w1, ["a@example.com", "b@example.com"]],
        [w2, ["c@example.com"]],
        [w4, ["d@example.com", "e@example.com"]],
      ]),
    );
    const all = [...outbox("weekly-welcome").values()].flat();
    expect(new Set(all).size).toBe(all.length);
    expect(outbox("weekly-news")).toEqual(
      new Map([
        [w1, ["a@example.com", "b@example.com"]],
        [w2, ["a@example.com", "b@example.com", "c@example.com"]],
        [w4, ["a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"]],
        [w5, ["a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"]],
      ]),
    );
    // Each occurrence is a run of its own in the ledger; the missed week has none.
    const store = new LocalStore(path.join(repo.dir, ".mailops/state"));
    const runs = (await Ledger.runs(store, "weekly-welcome")).map((x) => x.sendAt).sort();
    expect(runs).toEqual([WEEKS[0], WEEKS[1], WEEKS[3], WEEKS[4]]);
    for (const sendAt of runs)
      expect((await new Ledger(store, { campaign: "weekly-welcome", sendAt }).readRun())?.status).toBe(
        "complete",
      );
  });

  it("keeps its local time across daylight saving: the Monday after the change is 07:00 UTC", async () => {
    repo.write(
      "campaigns/weekly-news.yaml",
      repo
        .read("campaigns/weekly-news.yaml")
        .replace("2027-01-04T00:00:00+01:00", "2027-03-22T00:00:00+01:00"),
    );
    rmSync(path.join(repo.dir, "campaigns/weekly-welcome.yaml"));
    // 07:30 UTC on 29 March: 09:30 in Berlin (CEST), so the occurrence is due.
    const r = await send({ due: true, now: "2027-03-29T07:30:00Z" });
    expect(r.out).toContain("occurrence 2027-03-29T07:00:00.000Z");
    expect(r.out).toContain(`occurrence 2027-03-22T08:00:00.000Z was missed`);
  });
});

describe("one occurrence in flight at a time", () => {
  /** Week 1's run started and left incomplete (its record only), with `contentDigest`. */
  async function startedWeek1(contentDigest: string) {
    const store = new LocalStore(path.join(repo.dir, ".mailops/state"));
    const ledger = new Ledger(store, { campaign: "weekly-news", sendAt: WEEKS[0] as string });
    const now = at(WEEKS[0] as string, 5);
    await ledger.saveRun(
      {
        version: 1,
        addressKey: 2,
        campaign: "weekly-news",
        sendAt: WEEKS[0] as string,
        contentDigest,
        startedAt: now,
        updatedAt: now,
        status: "stopped",
        stopReason: "stopped for the test",
      },
      undefined,
    );
  }

  beforeEach(() => rmSync(path.join(repo.dir, "campaigns/weekly-welcome.yaml")));

  it("an earlier occurrence's run that cannot complete holds the newer one back", async () => {
    // Its content differs from the campaign's now: the run is refused until told otherwise.
    await startedWeek1("0".repeat(64));
    const r = await send({ due: true, now: at(WEEKS[1] as string, 5) });
    expect(r.code).toBe(1);
    expect(r.out).toContain("weekly-news: refused");
    expect(r.out).toContain(`occurrence ${WEEKS[0]}`);
    expect(r.out).toContain(`occurrence ${WEEKS[1]} waits: one occurrence at a time`);
    expect(outbox("weekly-news").size).toBe(0);
  });

  it("resumes the earlier occurrence's run first, then sends the newer one", async () => {
    await startedWeek1((await contentDigestOf()) as string);
    const r = await send({ due: true, now: at(WEEKS[1] as string, 5) });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out.indexOf(`occurrence ${WEEKS[0]}`)).toBeGreaterThan(-1);
    expect(r.out.indexOf(`occurrence ${WEEKS[0]}`)).toBeLessThan(r.out.indexOf(`occurrence ${WEEKS[1]}`));
    expect([...outbox("weekly-news").keys()]).toEqual([key(WEEKS[0] as string), key(WEEKS[1] as string)]);
  });

  it("a send that waited for the lock while another ran its occurrence does not run it again", async () => {
    // This send chooses week 1's occurrence, then waits for the lock; meanwhile another send runs
    // it to completion, and c joins. Run again, the occurrence would mail c late, a second run of it.
    vi.mocked(acquireLock).mockImplementationOnce(async (store, options) => {
      const other = await send({ due: true, now: at(WEEKS[0] as string, 6) });
      expect(other.code, other.out + other.err).toBe(0);
      members(["a", "b", "c"]);
      return realAcquireLock(store, options);
    });
    const r = await send({ due: true, now: at(WEEKS[0] as string, 5) });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain(`weekly-news: scheduled (${WEEKS[1]})`);
    expect(outbox("weekly-news").get(key(WEEKS[0] as string))).toEqual(["a@example.com", "b@example.com"]);
  });

  it("a send by name takes the unfinished run too, and nothing is sent early or late", async () => {
    await expect(send({ campaign: "weekly-news", now: at(WEEKS[0] as string, -60) })).rejects.toThrow(
      `next occurrence, ${WEEKS[0]}, has not come`,
    );
    await expect(
      send({ campaign: "weekly-news", beforeSendAt: true, now: at(WEEKS[0] as string, -60) }),
    ).rejects.toThrow("each occurrence is sent at its time, never before");
    await expect(send({ campaign: "weekly-news", now: at(WEEKS[0] as string, 25 * 60) })).rejects.toThrow(
      "never sends an occurrence late",
    );
    const r = await send({ campaign: "weekly-news", now: at(WEEKS[0] as string, 5) });
    expect(r.code, r.out + r.err).toBe(0);
    expect(outbox("weekly-news").get(key(WEEKS[0] as string))).toEqual(["a@example.com", "b@example.com"]);
  });
});

/** The content digest a run of weekly-news would record now: from a run started by a real send. */
async function contentDigestOf(): Promise<string | undefined> {
  const copy = copyExampleRepo();
  try {
    copy.write("campaigns/weekly-news.yaml", repo.read("campaigns/weekly-news.yaml"));
    copy.write("subscribers/customers.jsonl", repo.read("subscribers/customers.jsonl"));
    for (const c of ["holiday-promo", "spring-sale", "welcome-new-customers", "weekly-newsletter"])
      rmSync(path.join(copy.dir, "campaigns", `${c}.yaml`), { force: true });
    await runApply({ dir: copy.dir, target: "local" }, captureIo());
    await runSend({ dir: copy.dir, target: "local", due: true, now: at(WEEKS[0] as string, 5) }, captureIo());
    const store = new LocalStore(path.join(copy.dir, ".mailops/state"));
    return (await new Ledger(store, { campaign: "weekly-news", sendAt: WEEKS[0] as string }).readRun())
      ?.contentDigest;
  } finally {
    copy.cleanup();
  }
}

describe("the dry run of a recurring campaign", () => {
  it("shows the schedule and the next occurrences with their audience counts", async () => {
    const r = await send({ due: true, dryRun: true, now: "2026-12-30T12:00:00Z" });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain(`weekly-news: scheduled (${WEEKS[0]})`);
    expect(r.out).toContain("  schedule: cron `0 9 * * MON` (Europe/Berlin), from 2027-01-03 23:00 UTC");
    expect(r.out).toContain(
      `  next occurrences: ${WEEKS[0]} (2), ${WEEKS[1]} (2), ${WEEKS[2]} (2), ${WEEKS[3]} (2)`,
    );
    // The welcome excludes its own earlier runs: later occurrences reach only whoever joins.
    expect(r.out).toContain(`  next occurrences: ${WEEKS[0]} (2), ${WEEKS[1]}, ${WEEKS[2]}, ${WEEKS[3]}`);
    expect(r.out).toContain(`would send 2 at ${WEEKS[0]}`);
  });
});
