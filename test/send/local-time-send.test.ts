/**
 * Delivery in each recipient's local time, end to end on the local target: five zones over a
 * simulated 30 hours (`send --due --now` every 15 minutes), one ledger run; each recipient mailed
 * once, at or after 09:00 where they are and never before; a missing and an invalid zone counted
 * and sent by the default; max_lateness per recipient; what the dry run shows.
 */
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sendsHeadline, sendsTable } from "../../src/action/send-forecast.js";
import { runApply } from "../../src/cli/apply.js";
import { runSend } from "../../src/cli/send.js";
import { runStatus } from "../../src/cli/status.js";
import type { CampaignForecast } from "../../src/commands/send-forecast.js";
import { Ledger } from "../../src/send/ledger.js";
import { LocalStore } from "../../src/store/index.js";
import { captureIo, copyExampleRepo, type ExampleRepo } from "../support/repo.js";

let repo: ExampleRepo;

/** Who, where, and when 09:00 on 2026-12-01 comes there (UTC). */
const PEOPLE = [
  { name: "kiri", tz: "Pacific/Kiritimati", nine: "2026-11-30T19:00:00Z" },
  { name: "kolkata", tz: "Asia/Kolkata", nine: "2026-12-01T03:30:00Z" },
  { name: "berlin", tz: "Europe/Berlin", nine: "2026-12-01T08:00:00Z" },
  { name: "la", tz: "America/Los_Angeles", nine: "2026-12-01T17:00:00Z" },
  { name: "honolulu", tz: "Pacific/Honolulu", nine: "2026-12-01T19:00:00Z" },
  // The default zone, America/New_York: 14:00 UTC.
  { name: "nowhere", tz: "Mars/Olympus_Mons", nine: "2026-12-01T14:00:00Z" },
  { name: "unset", tz: undefined, nine: "2026-12-01T14:00:00Z" },
];
const START = Date.parse("2026-11-30T18:00:00Z");
const STEP = 15 * 60_000;

beforeEach(async () => {
  repo = copyExampleRepo();
  for (const c of ["holiday-promo", "spring-sale", "welcome-new-customers", "weekly-newsletter"])
    rmSync(path.join(repo.dir, "campaigns", `${c}.yaml`), { force: true });
  repo.write(
    "subscribers/customers.yaml",
    `${repo.read("subscribers/customers.yaml")}  tz: { type: string }\n`,
  );
  // The campaign docs/local-time.md shows, as it is written there.
  repo.write("campaigns/good-morning.yaml", docExample("# campaigns/good-morning.yaml"));
  repo.subscribers(
    PEOPLE.map((p) => ({ email: `${p.name}@example.com`, name: p.name, ...(p.tz ? { tz: p.tz } : {}) })),
  );
  expect(await runApply({ dir: repo.dir, target: "local" }, captureIo())).toBe(0);
});
afterEach(() => repo.cleanup());

const DOC = readFileSync(path.join(import.meta.dirname, "../../docs/local-time.md"), "utf8");

/** The YAML block of docs/local-time.md that starts with `first`. */
function docExample(first: string): string {
  const block = DOC.split("```yaml\n").find((b) => b.startsWith(first));
  expect(block, first).toBeDefined();
  return (block as string).slice(0, (block as string).indexOf("```"));
}

async function send(args: Record<string, unknown>) {
  const io = captureIo();
  const code = await runSend({ dir: repo.dir, target: "local", ...args }, io);
  return { code, out: io.outText, err: io.errText };
}

/** The outbox's recipients of the campaign, by run key. */
function outbox(): { file: string; run: string; to: string }[] {
  return repo.emls("good-morning").map((f) => ({
    file: f,
    run: f.split(".")[0] as string,
    to: (/^To: (.*)$/m.exec(
      readFileSync(path.join(repo.dir, ".mailops/outbox/good-morning", f), "utf8"),
    )?.[1] ?? "") as string,
  }));
}

const iso = (ms: number) => new Date(ms).toISOString();

describe("a campaign at 09:00 in each recipient's time zone", () => {
  it("over 30 hours of sends every 15 minutes: each recipient once, at or after 09:00 local, none before", async () => {
    const sentAt = new Map<string, number[]>();
    const seen = new Set<string>();
    const states: string[] = [];
    for (let t = START; t <= START + 30 * 3_600_000; t += STEP) {
      const r = await send({ due: true, now: iso(t) });
      expect(r.code, r.out + r.err).toBe(0);
      states.push(/^good-morning: (\S+)/m.exec(r.out)?.[1] ?? "");
      const box = outbox();
      for (const m of box.filter((x) => !seen.has(x.file)))
        sentAt.set(m.to, [...(sentAt.get(m.to) ?? []), t]);
      // Nobody before their time: everyone sent so far is due at this send's time.
      for (const m of box) {
        const p = PEOPLE.find((x) => `${x.name}@example.com` === m.to);
        expect(Date.parse(p?.nine ?? ""), `${m.to} at ${iso(t)}`).toBeLessThanOrEqual(t);
      }
      for (const m of box) seen.add(m.file);
    }
    for (const p of PEOPLE) {
      const times = sentAt.get(`${p.name}@example.com`) ?? [];
      expect(times.map(iso), p.name).toEqual([
        iso(Date.parse(p.nine) + ((STEP - (Date.parse(p.nine) % STEP)) % STEP)),
      ]);
    }
    // One ledger run for all of them.
    expect(new Set(outbox().map((m) => m.run))).toEqual(new Set(["local20261201T0900"]));
    // Scheduled until the first zone's 09:00, under way until the last recipient's, then complete.
    expect(states[0]).toBe("scheduled");
    expect(states).toContain("under-way");
    const sentIndex = states.indexOf("sent");
    expect(sentIndex).toBe((Date.parse("2026-12-01T19:00:00Z") - START) / STEP);
    expect(states.slice(sentIndex + 1).every((s) => s === "complete")).toBe(true);
    const store = new LocalStore(path.join(repo.dir, ".mailops/state"));
    const run = await new Ledger(store, {
      campaign: "good-morning",
      sendAt: "local:2026-12-01T09:00",
    }).readRun();
    expect(run?.status).toBe("complete");
  });

  it("counts the recipients sent by the default zone, without naming them", async () => {
    const r = await send({ due: true, now: "2026-12-01T14:00:00Z" });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("good-morning: under-way");
    const io = captureIo();
    await runStatus({ dir: repo.dir, target: "local" }, io);
    expect(io.outText).toContain(
      "good-morning (send_at local:2026-12-01T09:00): running — 2 recipients wait for their local send time",
    );
    expect(r.out).toContain(
      "1 without a time zone and 1 with an invalid time zone, sent by America/New_York",
    );
    expect(r.out).toContain("2 waiting (next 2026-12-01 17:00 UTC), 0 missed by this send");
    // The forecast of the same moment counts who is due.
    const dry = await send({ due: true, dryRun: true, now: "2026-12-01T14:00:00Z" });
    expect(dry.out).toContain("5 due now, 2 waiting (next 2026-12-01 17:00 UTC), 0 missed");
    expect(dry.out).toContain(
      [
        "  by UTC hour:",
        "    2026-11-30 19:00 UTC: 1",
        "    2026-12-01 03:00 UTC: 1",
        "    2026-12-01 08:00 UTC: 1",
        "    2026-12-01 14:00 UTC: 2",
        "    2026-12-01 17:00 UTC: 1",
        "    2026-12-01 19:00 UTC: 1",
      ].join("\n"),
    );
    expect(dry.out).not.toMatch(/@example\.com|Mars/);
    expect(r.out).not.toMatch(/@example\.com|Mars/);
    expect(
      outbox()
        .map((m) => m.to)
        .sort(),
    ).toEqual(["berlin", "kiri", "kolkata", "nowhere", "unset"].map((n) => `${n}@example.com`));
  });

  it("max_lateness applies per recipient: whose 09:00 passed longer ago is reported missed, never sent", async () => {
    repo.write("mailops.yaml", repo.read("mailops.yaml").replace("max_lateness: 24h", "max_lateness: 1h"));
    // The first send runs at 08:30 UTC: Kiritimati (19:00 UTC the day before) and Kolkata (03:30)
    // are more than the hour late; Berlin (08:00) is half an hour late, sent.
    let r = await send({ due: true, now: "2026-12-01T08:30:00Z" });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("4 waiting (next 2026-12-01 14:00 UTC), 2 missed by this send");
    r = await send({ due: true, now: "2026-12-02T12:00:00Z" });
    expect(r.code, r.out + r.err).toBe(0);
    // Everyone else passed too: recorded missed, and the run is complete.
    expect(r.out).toContain("good-morning: sent");
    expect(r.out).toContain("0 waiting, 4 missed by this send");
    expect(outbox().map((m) => m.to)).toEqual(["berlin@example.com"]);
    r = await send({ due: true, now: "2026-12-02T12:15:00Z" });
    expect(r.out).toContain("good-morning: complete");
  });

  it("the pull request's comment shows how many go out in each UTC hour, counts only", async () => {
    const r = await send({ due: true, dryRun: true, now: "2026-11-30T12:00:00Z", format: "json" });
    expect(r.code, r.out + r.err).toBe(0);
    const forecasts = (JSON.parse(r.out) as { campaigns: CampaignForecast[] }).campaigns;
    const table = sendsTable(forecasts);
    expect(table).toContain(
      "| `good-morning` | 09:00 local time on 2026-12-01 (default America/New_York), 2026-11-30 19:00 UTC to 2026-12-01 19:00 UTC |",
    );
    expect(table).toContain(
      [
        "| Hour (UTC) | Recipients |",
        "|---|---|",
        "| 2026-11-30 19:00 UTC | 1 |",
        "| 2026-12-01 03:00 UTC | 1 |",
        "| 2026-12-01 08:00 UTC | 1 |",
        "| 2026-12-01 14:00 UTC | 2 |",
        "| 2026-12-01 17:00 UTC | 1 |",
        "| 2026-12-01 19:00 UTC | 1 |",
      ].join("\n"),
    );
    expect(table).toContain(
      "2 recipients sent by `America/New_York` (1 without a time zone, 1 with an invalid one)",
    );
    expect(sendsHeadline(forecasts)).toContain(
      "scheduled `good-morning` at 09:00 local time from 2026-11-30 19:00 UTC → 7 recipients",
    );
    expect(table + r.out).not.toMatch(/@example\.com|Mars/);
  });

  it("docs/local-time.md shows the dry run as it is", async () => {
    const r = await send({ due: true, dryRun: true, now: "2026-11-30T12:00:00Z" });
    const shown = /\n```\n(good-morning: [\s\S]*?)```\n/.exec(DOC)?.[1] ?? "";
    expect(shown).not.toBe("");
    expect(r.out).toContain(shown);
  });

  it("a send by name is the deliberate late send: nobody is recorded missed; before the first zone's time it is refused", async () => {
    await expect(send({ campaign: "good-morning", now: "2026-11-30T18:45:00Z" })).rejects.toThrow(
      /is sent at 2026-12-01T09:00 in each recipient's time zone, which comes first at 2026-11-30T19:00:00.000Z: nothing was sent/,
    );
    await expect(
      send({ campaign: "good-morning", beforeSendAt: true, now: "2026-11-30T18:45:00Z" }),
    ).rejects.toThrow(/nothing was sent/);
    repo.write("mailops.yaml", repo.read("mailops.yaml").replace("max_lateness: 24h", "max_lateness: 1h"));
    const r = await send({ campaign: "good-morning", now: "2026-12-02T12:00:00Z" });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("good-morning: sent");
    expect(r.out).toContain("0 waiting, 0 missed by this send");
    expect(outbox()).toHaveLength(PEOPLE.length);
  });
});
