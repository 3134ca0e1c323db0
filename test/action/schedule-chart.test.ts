/** The coming month's sends as a Mermaid Gantt chart: golden text. */
import { describe, expect, it } from "vitest";
import { mermaidLabel, scheduleChart } from "../../src/action/schedule-chart.js";

const NOW = new Date("2026-06-01T12:00:00Z");

describe("scheduleChart", () => {
  it("charts on-merge runs at the top, now, then scheduled runs by time, with counts where known", () => {
    const chart = scheduleChart(
      [
        { campaign: "summer-sale", at: "2026-06-20T09:00:00.000Z", to: ["customers"], recipients: 1200 },
        { campaign: "welcome", to: ["new-customers"], recipients: 2 },
        { campaign: "newsletter", at: "2026-06-05T07:30:00.000Z", to: ["subscribers"] },
        { campaign: "holiday", at: "2026-12-01T09:00:00.000Z", to: ["customers"], recipients: 1 },
      ],
      NOW,
    );
    expect(chart).toBe(
      [
        "```mermaid",
        "gantt",
        "  title Sends from 2026-06-01 to 2026-07-01 (UTC)",
        "  dateFormat YYYY-MM-DD HH:mm",
        "  axisFormat %b %d",
        "  todayMarker off",
        "  section On merge",
        "  welcome · 2 recipients :2026-06-01 12:00, 1d",
        "  section Scheduled",
        "  newsletter :2026-06-05 07:30, 1d",
        "  summer-sale · 1200 recipients :2026-06-20 09:00, 1d",
        "```",
        "",
        "Later than 30 days: `holiday` at 2026-12-01 09:00 UTC.",
        "",
      ].join("\n"),
    );
  });

  it("marks runs to the same audience on the same UTC day as critical, and says which", () => {
    const chart = scheduleChart(
      [
        { campaign: "morning", at: "2026-06-10T08:00:00.000Z", to: ["loyal"], recipients: 1 },
        { campaign: "evening", at: "2026-06-10T21:00:00.000Z", to: ["loyal", "vip"] },
        { campaign: "other-day", at: "2026-06-11T08:00:00.000Z", to: ["loyal"] },
        { campaign: "other-list", at: "2026-06-10T09:00:00.000Z", to: ["prospects"] },
      ],
      NOW,
    );
    expect(chart).toBe(
      [
        "```mermaid",
        "gantt",
        "  title Sends from 2026-06-01 to 2026-07-01 (UTC)",
        "  dateFormat YYYY-MM-DD HH:mm",
        "  axisFormat %b %d",
        "  todayMarker off",
        "  section Scheduled",
        "  morning · 1 recipient :crit, 2026-06-10 08:00, 1d",
        "  other-list :2026-06-10 09:00, 1d",
        "  evening :crit, 2026-06-10 21:00, 1d",
        "  other-day :2026-06-11 08:00, 1d",
        "```",
        "",
        "⚠️ Same audience, same day: `morning`, `evening` both send to `loyal` on 2026-06-10 (UTC).",
        "",
      ].join("\n"),
    );
  });

  it("is empty when nothing is sent on merge or scheduled", () => {
    expect(scheduleChart([], NOW)).toBe("");
  });

  it("lists only later runs when none falls in the coming month", () => {
    expect(scheduleChart([{ campaign: "holiday", at: "2026-12-01T09:00:00.000Z", to: ["x"] }], NOW)).toBe(
      "Later than 30 days: `holiday` at 2026-12-01 09:00 UTC.\n",
    );
  });
});

describe("mermaidLabel", () => {
  it.each([
    ["plain-name_1 · 3 recipients", "plain-name_1 · 3 recipients"],
    // What would end the task text or start a comment or a new statement is replaced.
    ["a:b;c#d%%e", "a_b_c_d__e"],
    ["line\nbreak", "line_break"],
    ["<script>`x`", "_script__x_"],
  ])("%j → %j", (input, output) => {
    expect(mermaidLabel(input)).toBe(output);
  });

  it.each([
    "title · 2 recipients",
    "section · 2 recipients",
    "Section · 1 recipient",
    "gantt-news",
    "topAxis",
    "click · 1 recipient",
    "2026-06-01-promo",
  ])("%j cannot be read as a statement", (label) => {
    expect(mermaidLabel(label)).toBe(`\u200b${label}`);
  });

  it("leaves names that merely contain a keyword alone", () => {
    expect(mermaidLabel("subtitle · 1 recipient")).toBe("subtitle · 1 recipient");
    expect(mermaidLabel("sections-news")).toBe("sections-news");
  });
});
