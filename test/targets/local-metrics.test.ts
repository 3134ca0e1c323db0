import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LocalSender } from "../../src/targets/local/sender.js";

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("local simulator metrics", () => {
  it("count a campaign's events within [since, until), and rates per configuration set", async () => {
    root = mkdtempSync(path.join(tmpdir(), "mailops-metrics-"));
    mkdirSync(path.join(root, ".mailops", "local"), { recursive: true });
    const events = [
      { at: "2026-12-01T09:00:00Z", campaign: "promo", type: "send", configurationSet: "m" },
      { at: "2026-12-01T09:00:01Z", campaign: "promo", type: "delivery" },
      { at: "2026-12-01T09:00:02Z", campaign: "promo", type: "bounce", configurationSet: "m" },
      { at: "2026-12-02T09:00:00Z", campaign: "promo", type: "send", configurationSet: "m" },
      { at: "2026-12-02T09:00:01Z", campaign: "promo", type: "delivery" },
      { at: "2026-12-01T09:00:03Z", campaign: "other", type: "delivery" },
    ];
    writeFileSync(
      path.join(root, ".mailops", "local", "events.jsonl"),
      `${events.map((e) => JSON.stringify(e)).join("\n")}\n`,
    );
    const sender = new LocalSender(root);
    const first = await sender.campaignMetrics(
      { name: "promo" },
      new Date("2026-12-01T00:00:00Z"),
      new Date("2026-12-02T00:00:00Z"),
    );
    expect(first).toEqual({ delivered: 1, bounced: 1, complained: 0, opened: 0, clicked: 0 });
    const all = await sender.campaignMetrics({ name: "promo" }, new Date("2026-12-01T00:00:00Z"));
    expect(all.delivered).toBe(2);
    expect(await sender.rates("m", new Date("2026-12-01T00:00:00Z"))).toEqual({
      sent: 2,
      bounceRate: 0.5,
      complaintRate: 0,
    });
  });
});
