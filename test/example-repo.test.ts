import { describe, expect, it } from "vitest";
import { validateProject } from "../src/commands/validate.js";

describe("the example repository", () => {
  it("validates without errors or warnings", () => {
    const result = validateProject(".");
    const notInfo = result.findings.filter((f) => f.severity !== "info");
    expect(notInfo).toEqual([]);
    expect(result.project.templates.size).toBe(2);
    expect(result.project.campaigns.size).toBe(4);
    expect(result.project.campaigns.get("weekly-newsletter")?.schedule?.kind).toBe("cron");
    expect(result.project.settings.proofRecipients).toContain("marketing@example.com");
    expect(result.project.segments.size).toBe(2);
  });

  it("reports the draft campaign as info", () => {
    const result = validateProject(".");
    expect(result.findings.map((f) => `${f.file} ${f.rule}`)).toEqual([
      "campaigns/spring-sale.yaml campaign/draft",
    ]);
  });
});
