import { describe, expect, it } from "vitest";
import { validateProject } from "../src/commands/validate.js";
import { desiredResources } from "../src/plan/desired.js";

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

  it("has an A/B draft: two subjects tested on 20%, each its own template, tracked by variant", () => {
    const result = validateProject(".");
    const spring = result.project.campaigns.get("spring-sale");
    expect(spring?.sendAt).toBeUndefined();
    expect(spring?.variants?.list.map((v) => v.name)).toEqual(["offer", "deadline"]);
    expect(spring?.variants?.test).toEqual({ share: 20, decideAfterSeconds: 4 * 3600, by: "click_rate" });
    const desired = desiredResources(result.project);
    expect(desired.filter((r) => r.kind === "template").map((r) => r.name)).toEqual(
      expect.arrayContaining(["product-promotion--offer", "product-promotion--deadline"]),
    );
    // The variants' own CloudWatch destination, beside the one by campaign (docs/variants.md).
    expect(desired.filter((r) => r.kind === "event-destination").map((r) => r.name)).toEqual(
      expect.arrayContaining(["marketing/metrics", "marketing/by-variant"]),
    );
  });
});
