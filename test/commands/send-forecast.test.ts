/**
 * The send forecast (`send --dry-run`, the pull request's sends): per campaign its due state and,
 * for those a send takes now or later, the audience counted against the repository's templates.
 * Nothing is sent or recorded, and no address is in it.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyProject } from "../../src/commands/apply-project.js";
import { type CampaignForecast, forecastSends } from "../../src/commands/send-forecast.js";
import { openSession, type Session } from "../../src/commands/session.js";
import { simulatedClock } from "../support/clock.js";
import { copyExampleRepo, type ExampleRepo } from "../support/repo.js";

let repo: ExampleRepo;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

const NOW = new Date("2026-06-01T12:00:00Z");
const session = (options: { offline?: boolean } = {}): Session =>
  openSession({ dir: repo.dir, target: "local", observe: () => {}, clock: simulatedClock(NOW), ...options });

const byName = (forecasts: CampaignForecast[]) => new Map(forecasts.map((f) => [f.campaign, f]));

describe("forecastSends", () => {
  it("each campaign's due state; the ones a send takes are counted, against the repository's template", async () => {
    const f = byName(await forecastSends(session()));
    expect([...f.keys()]).toEqual([
      "holiday-promo",
      "spring-sale",
      "weekly-newsletter",
      "welcome-new-customers",
    ]);
    expect(f.get("welcome-new-customers")).toMatchObject({
      state: "on-merge",
      sends: "now",
      template: { name: "welcome-campaign", source: "repository", onTarget: "absent" },
      counts: { toSend: 2 },
    });
    expect(f.get("holiday-promo")).toMatchObject({
      state: "scheduled",
      sends: "later",
      at: "2026-12-01T09:00:00.000Z",
    });
    expect(f.get("holiday-promo")?.counts).toBeDefined();
    expect(f.get("spring-sale")).toMatchObject({ state: "draft", sends: "no" });
    expect(f.get("spring-sale")?.counts).toBeUndefined();
    // Recurring: its next occurrences, the first counted (the audience as it is now for each).
    expect(f.get("weekly-newsletter")).toMatchObject({
      state: "scheduled",
      sends: "later",
      at: "2027-01-04T08:00:00.000Z",
      counts: { toSend: 1 },
      schedule: {
        description: "cron `0 9 * * MON` (Europe/Berlin), from 2027-01-03 23:00 UTC",
        occurrences: [
          { at: "2027-01-04T08:00:00.000Z", recipients: 1 },
          { at: "2027-01-11T08:00:00.000Z", recipients: 1 },
          { at: "2027-01-18T08:00:00.000Z", recipients: 1 },
          { at: "2027-01-25T08:00:00.000Z", recipients: 1 },
        ],
      },
    });
    // Nothing recorded: no ledger, no lock, and not an address in what it returns.
    expect(existsSync(path.join(repo.dir, ".mailops/state"))).toBe(false);
    expect(JSON.stringify([...f.values()])).not.toMatch(/@/);
  });

  it("once applied, the target's template is the same", async () => {
    await applyProject(session(), {});
    const f = byName(await forecastSends(session()));
    expect(f.get("welcome-new-customers")?.template?.onTarget).toBe("same");
  });

  it("a campaign by name is taken now, as `send --campaign` takes it; only that one", async () => {
    const forecasts = await forecastSends(session(), { campaign: "holiday-promo" });
    expect(forecasts).toHaveLength(1);
    expect(forecasts[0]).toMatchObject({ campaign: "holiday-promo", state: "scheduled", sends: "now" });
    expect(forecasts[0]?.counts).toBeDefined();
  });

  it("offline (a fork's pull request): the target's copy is not read, and counts are before suppression", async () => {
    const f = byName(await forecastSends(session({ offline: true })));
    const welcome = f.get("welcome-new-customers");
    expect(welcome?.template?.onTarget).toBe("unknown");
    expect(welcome?.notes).toContain(
      "suppression list and opt-outs not read (no credentials): counts are before suppression",
    );
  });

  it("more recipients than max_recipients: a note that the send will be refused", async () => {
    const file = "campaigns/welcome-new-customers.yaml";
    repo.write(file, `${repo.read(file)}max_recipients: 1\n`);
    const f = byName(await forecastSends(session()));
    expect(f.get("welcome-new-customers")?.notes).toContain(
      "2 recipients exceed max_recipients 1: the send will be refused",
    );
  });
});
