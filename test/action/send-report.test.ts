/** The send section of the Action's job summary: what each campaign's time is called. */
import { describe, expect, it } from "vitest";
import { sendResultsSection } from "../../src/action/send-report.js";

describe("the send section of the job summary", () => {
  it("names a scheduled campaign's time by what it is: its send_at, or when an A/B winner is picked", () => {
    const text = sendResultsSection([
      { campaign: "holiday-promo", state: "scheduled", detail: "2026-12-01T09:00:00.000Z" },
      { campaign: "spring-sale", state: "scheduled", detail: "2026-12-01T13:00:00.000Z", winnerStage: true },
    ]);
    expect(text).toContain("- `holiday-promo`: send_at 2026-12-01 09:00 UTC");
    expect(text).toContain("- `spring-sale`: winner picked at 2026-12-01 13:00 UTC");
    expect(text).not.toContain("`spring-sale`: send_at");
  });
});
