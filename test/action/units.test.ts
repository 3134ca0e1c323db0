/** The action's pure pieces: cutting markdown, the marker, the cron arithmetic, the author rule. */
import { describe, expect, it } from "vitest";
import { truncateBytes, truncateMarkdown } from "../../src/action/markdown.js";
import { formatMarker, markerOf, parseMarker } from "../../src/action/marker.js";
import { firstScheduledRun } from "../../src/action/send-forecast.js";
import { findSticky } from "../../src/action/sticky-comment.js";
import { compareWithReviewed } from "../../src/commands/deploy.js";
import { fingerprint, planChecksum } from "../../src/plan/integrity.js";
import type { Plan } from "../../src/plan/plan.js";

describe("truncateMarkdown", () => {
  it("returns text within the limit unchanged", () => {
    expect(truncateMarkdown("short\n", 100, "NOTE")).toBe("short\n");
  });

  it("cuts at a line end, closes an open fence and details, and stays within the limit", () => {
    const text = `<details><summary>x</summary>\n\n\`\`\`diff\n${"+line of a diff\n".repeat(200)}\`\`\`\n\n</details>\n`;
    const out = truncateMarkdown(text, 500, "_cut_");
    expect(out.length).toBeLessThanOrEqual(500);
    expect(out.endsWith("_cut_\n")).toBe(true);
    expect((out.match(/^```/gm) ?? []).length).toBe(2);
    expect(out).toContain("</details>");
    expect(
      out
        .split("\n")
        .filter((l) => l.startsWith("+"))
        .every((l) => l === "+line of a diff"),
    ).toBe(true);
  });

  it("truncateBytes counts UTF-8 bytes, not characters", () => {
    const text = "📬 émoji line\n".repeat(1000);
    const out = truncateBytes(text, 2_000, "_cut_");
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(2_000);
    expect(Buffer.byteLength(out)).toBeGreaterThan(1_500);
  });
});

describe("the marker", () => {
  const plan: Plan = {
    version: 2,
    project: "p",
    target: "aws",
    createdAt: "2026-01-01T00:00:00.000Z",
    liveChecksum: "abc",
    live: {},
    changes: [
      {
        action: "create",
        kind: "template",
        name: "t",
        after: { subject: "s", html: "", text: "" },
        message: "m",
      },
    ],
    conflicts: [],
    blocked: [],
    warnings: [],
    vanished: [],
  };

  it("round-trips and rejects what is not its own", () => {
    const data = { v: 1 as const, checksum: planChecksum(plan), mode: "live" as const, sha: "abc" };
    expect(parseMarker(`${formatMarker(data)}\nbody`)).toEqual(data);
    expect(parseMarker("<!-- mailops:plan-comment {not json} -->")).toBeUndefined();
    expect(parseMarker(`text first ${formatMarker(data)}`)).toBeUndefined();
  });

  it("carries each change's fingerprint, safe inside an HTML comment whatever the names", () => {
    const dashed: Plan = {
      ...plan,
      changes: [{ ...(plan.changes[0] as Plan["changes"][number]), name: "a--b->c" }],
    };
    const text = formatMarker(markerOf(dashed, "live", "abc"));
    const inside = text.slice("<!-- ".length, -" -->".length);
    expect(inside).not.toContain("--");
    expect(inside).not.toContain(">");
    const parsed = parseMarker(`${text}\nbody`);
    expect(parsed?.v).toBe(2);
    expect(parsed?.checksum).toBe(planChecksum(dashed));
    expect(parsed?.changes).toEqual([
      {
        action: "create",
        kind: "template",
        name: "a--b->c",
        before: null,
        after: fingerprint(dashed.changes[0] as Plan["changes"][number]).after?.slice(0, 12),
      },
    ]);
  });

  it("reads back no fingerprints when one names an action or kind mailops does not have", () => {
    const data = markerOf(plan, "live", "abc");
    const text = formatMarker(data);
    expect(parseMarker(text)?.changes).toHaveLength(1);
    for (const [from, to] of [
      ['"create","template"', '"create","widget"'],
      ['"create","template"', '"rename","template"'],
    ] as const) {
      const forged = parseMarker(text.replace(from, to));
      expect(forged?.checksum).toBe(data.checksum);
      expect(forged?.changes).toBeUndefined();
    }
  });

  it("leaves the fingerprints out when they would crowd the comment, keeping the checksum", () => {
    const many: Plan = {
      ...plan,
      changes: Array.from({ length: 1000 }, (_, i) => ({
        ...(plan.changes[0] as Plan["changes"][number]),
        name: `template-${i}`,
      })),
    };
    const data = markerOf(many, "live", "abc");
    expect(data.changes).toBeUndefined();
    expect(data.checksum).toBe(planChecksum(many));
    expect(formatMarker(data).length).toBeLessThan(300);
  });

  it("a reviewed plan without fingerprints (an older comment) still differs, and says so", () => {
    const review = compareWithReviewed(plan, {
      found: true,
      by: "pull request #1",
      checksum: "0".repeat(64),
    });
    expect(review).toEqual({
      state: "differs",
      by: "pull request #1",
      differences: [
        "the reviewed plan does not list its changes (too many for its comment, or an older mailops): compare the plan below with it",
      ],
    });
    const same = markerOf(plan, "live", "abc");
    expect(compareWithReviewed(plan, { found: true, by: "x", checksum: same.checksum })).toEqual({
      state: "matches",
      by: "x",
    });
  });

  it("checksums the plan's content, not when it was made or key order", () => {
    const later = {
      ...plan,
      createdAt: "2027-01-01T00:00:00.000Z",
      liveChecksum: "other",
      warnings: ["sandbox"],
    };
    expect(planChecksum(later)).toBe(planChecksum(plan));
    const reordered = JSON.parse(
      JSON.stringify(plan, [
        "version",
        "target",
        "project",
        "changes",
        "conflicts",
        "blocked",
        "vanished",
        "action",
        "kind",
        "name",
        "after",
        "text",
        "html",
        "subject",
        "message",
      ]),
    );
    expect(planChecksum(reordered)).toBe(planChecksum(plan));
    const changed = {
      ...plan,
      changes: [{ ...plan.changes[0], after: { subject: "S", html: "", text: "" } }],
    } as Plan;
    expect(planChecksum(changed)).not.toBe(planChecksum(plan));
  });
});

describe("firstScheduledRun", () => {
  it.each([
    ["2026-12-01T09:00:00.000Z", "2026-12-01T09:00:00.000Z"],
    ["2026-12-01T09:00:01.000Z", "2026-12-01T09:15:00.000Z"],
    ["2026-12-01T23:50:00.000Z", "2026-12-02T00:00:00.000Z"],
  ])("%s → %s", (at, run) => {
    expect(firstScheduledRun(at)).toBe(run);
  });
});

describe("findSticky", () => {
  const marker = formatMarker({ v: 1, checksum: "none", mode: "live", sha: "x" });
  it("takes the bot's oldest marked comment, never another author's", () => {
    const comments = [
      { id: 1, body: marker, login: "mallory", htmlUrl: "" },
      { id: 2, body: "no marker", login: "bot", htmlUrl: "" },
      { id: 3, body: marker, login: "bot", htmlUrl: "" },
      { id: 4, body: marker, login: "bot", htmlUrl: "" },
      { id: 5, body: marker, login: undefined, htmlUrl: "" },
    ];
    expect(findSticky(comments, "bot")?.id).toBe(3);
    expect(findSticky(comments.slice(0, 2), "bot")).toBeUndefined();
  });
});
