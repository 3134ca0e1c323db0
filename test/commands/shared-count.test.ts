/**
 * The forecast counts every campaign in one pass per source (commands/audience.ts countAudiences):
 * each campaign's counts are what counting it alone gives (CampaignAudience.count), with its own
 * segments, excludes, suppression, duplicates, invalid rows and render check.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AudienceCounts, countAudiences, openAudience } from "../../src/commands/audience.js";
import { forecastSends } from "../../src/commands/send-forecast.js";
import { preCount } from "../../src/commands/send-precount.js";
import { openSession, type Session } from "../../src/commands/session.js";
import { messageBuilder } from "../../src/send/message.js";
import { LOCAL_SUPPRESSION_FILE } from "../../src/targets/local/suppression.js";
import { simulatedClock } from "../support/clock.js";
import { copyExampleRepo, type ExampleRepo } from "../support/repo.js";

let repo: ExampleRepo;
beforeEach(() => {
  repo = copyExampleRepo();
  const segments = ["new_customers", "loyal_customers", "lapsed"];
  const prefs = [["fashion"], ["books", "fashion"], ["home"], []];
  const rows: object[] = [];
  for (let i = 0; i < 300; i++) {
    const email = i % 29 === 4 ? `broken-${i}` : `person${i % 31 === 9 ? i - 9 : i}@Example.com`;
    const row: Record<string, unknown> = { email, name: `Person ${i}`, segment: segments[i % 3] };
    // Some lack a name (required: invalid), some have preferences that are not a list (invalid).
    if (i % 43 === 10) delete row.name;
    row.preferences = i % 47 === 11 ? "fashion" : prefs[i % 4];
    rows.push(row);
  }
  repo.subscribers(rows);
  mkdirSync(path.join(repo.dir, ".mailops/local"), { recursive: true });
  const suppressed = Array.from({ length: 20 }, (_, i) => `person${i * 7}@example.com`);
  writeFileSync(path.join(repo.dir, LOCAL_SUPPRESSION_FILE), `${suppressed.join("\n")}\n`);
  const promo = repo.read("campaigns/holiday-promo.yaml");
  repo.write(
    "campaigns/all-but-loyal.yaml",
    promo
      .replace("to: loyal-customers", "to: customers\nexclude: [loyal-customers]")
      .replace(/max_recipients: \d+/, ""),
  );
  repo.write("campaigns/small-cap.yaml", promo.replace("max_recipients: 50000", "max_recipients: 5"));
});
afterEach(() => repo.cleanup());

const session = (): Session =>
  openSession({
    dir: repo.dir,
    target: "local",
    observe: () => {},
    clock: simulatedClock(new Date("2026-06-01T12:00:00Z")),
  });

describe("counting every campaign in one pass", () => {
  it("gives each campaign the counts it has when counted alone", async () => {
    const s = session();
    const target = await s.target();
    const campaigns = [...s.project.campaigns.values()];
    const alone: AudienceCounts[] = [];
    const requests = campaigns.map((c) => {
      const template = s.project.templates.get(c.template ?? "");
      if (!template) throw new Error(`no template for ${c.name}`);
      return { campaign: c, messages: messageBuilder(s.project, c, template, "secret") };
    });
    for (const q of requests)
      alone.push(await (await openAudience(s.project, q.campaign, target)).count(q.messages));
    const shared = await countAudiences(s.project, requests, target);
    expect(shared.map((r) => ("error" in r ? r.error.message : r.counts))).toEqual(alone);
    // The file holds every kind of row each campaign accounts for.
    const sum = (k: "invalid" | "duplicates" | "excluded" | "suppressed" | "notMatched") =>
      alone.reduce((n, c) => n + c[k], 0);
    for (const k of ["invalid", "duplicates", "excluded", "suppressed", "notMatched"] as const)
      expect(sum(k), k).toBeGreaterThan(0);
    expect(alone.some((c) => Object.keys(c.skipped).length > 0 || c.toSend > 0)).toBe(true);
  });

  it("counts each campaign against its own topic's opt-outs, the list read once per topic", async () => {
    const s = session();
    const local = await s.target();
    const reads: (string | undefined)[] = [];
    // SES's opt-outs differ by topic: promotions lose every fifth person, onboarding every fourth.
    const target: typeof local = Object.assign(Object.create(local), {
      suppression: async (list?: { contactList: string; topic?: string }) => {
        reads.push(list?.topic);
        const every = list?.topic === "onboarding" ? 4 : 5;
        return { has: (key: string) => Number(/\d+/.exec(key)?.[0] ?? -1) % every === 1 };
      },
    });
    const requests = [...s.project.campaigns.values()].map((c) => ({
      campaign: c,
      messages: messageBuilder(s.project, c, s.project.templates.get(c.template ?? "") as never, "secret"),
    }));
    expect(new Set(requests.map((q) => q.campaign.topic))).toEqual(new Set(["promotions", "onboarding"]));
    const alone: AudienceCounts[] = [];
    for (const q of requests)
      alone.push(await (await openAudience(s.project, q.campaign, target)).count(q.messages));
    reads.length = 0;
    const shared = await countAudiences(s.project, requests, target);
    expect(shared.map((r) => ("error" in r ? r.error.message : r.counts))).toEqual(alone);
    expect(reads.sort()).toEqual(["onboarding", "promotions"]);
    expect(alone.every((c) => c.suppressed > 0)).toBe(true);
    // deploy's count pass the same: one read per topic, each campaign counted against its own.
    reads.length = 0;
    const pre = await preCount(s.project, [...s.project.campaigns.values()], target);
    expect(reads.sort()).toEqual(["onboarding", "promotions"]);
    requests.forEach((q, i) => {
      const counted = pre.counts.get(q.campaign.name);
      if (counted) expect(counted.counts).toEqual(alone[i]);
    });
    expect(pre.counts.size).toBeGreaterThan(2);
  });

  it("the forecast shows those counts, with each campaign's own notes", async () => {
    const forecasts = new Map((await forecastSends(session())).map((f) => [f.campaign, f]));
    const s = session();
    const target = await s.target();
    for (const name of ["all-but-loyal", "holiday-promo", "small-cap", "welcome-new-customers"]) {
      const c = s.project.campaigns.get(name);
      const template = s.project.templates.get(c?.template ?? "");
      if (!c || !template) throw new Error(name);
      const counts = await (await openAudience(s.project, c, target)).count(
        messageBuilder(s.project, c, template, "secret"),
      );
      expect({ name, counts: forecasts.get(name)?.counts }).toEqual({ name, counts });
    }
    expect(forecasts.get("small-cap")?.notes.join("\n")).toContain("exceed max_recipients 5");
    expect(forecasts.get("holiday-promo")?.notes.join("\n") ?? "").not.toContain("max_recipients");
  });
});
