import { describe, expect, it } from "vitest";
import { emptyInventory, recordApplied } from "../../src/plan/inventory.js";
import { buildPlan, type Change, type PlanInput } from "../../src/plan/plan.js";
import type { DesiredResource, LiveResource } from "../../src/plan/resource.js";
import { changeDetails } from "../../src/present/plan/details.js";

const now = new Date("2026-11-27T12:00:00Z");
const tmpl = (name: string, subject: string): DesiredResource => ({
  kind: "template",
  name,
  adopt: false,
  spec: { subject, html: "<p>{{name}}</p>", text: "{{name}}" },
});
const live = (
  r: DesiredResource,
  tags: Record<string, string> = { "mailops:project": "p" },
): LiveResource => ({
  kind: r.kind,
  name: r.name,
  spec: r.spec,
  tags,
});

function plan(partial: Partial<PlanInput>) {
  return buildPlan({
    project: "p",
    target: "local",
    desired: [],
    live: [],
    inventory: emptyInventory("p"),
    maxDeletePercent: 30,
    force: false,
    warnings: [],
    now,
    ...partial,
  });
}

describe("buildPlan", () => {
  it("creates what is missing", () => {
    const p = plan({ desired: [tmpl("a", "Hi")] });
    expect(p.changes.map((c) => [c.action, c.name])).toEqual([["create", "a"]]);
  });

  it("shows no change when live matches, ignoring trailing whitespace and CRLF", () => {
    const d = tmpl("a", "Hi");
    const l = live({ ...d, spec: { ...d.spec, html: "<p>{{name}}</p>\r\n", subject: "Hi " } });
    const inv = recordApplied(emptyInventory("p"), d, now);
    expect(plan({ desired: [d], live: [l], inventory: inv }).changes).toEqual([]);
  });

  it("updates a changed subject with before and after", () => {
    const d = tmpl("a", "New");
    const inv = recordApplied(emptyInventory("p"), d, now);
    const p = plan({ desired: [d], live: [live(tmpl("a", "Old"))], inventory: inv });
    expect(p.changes).toHaveLength(1);
    expect(p.changes[0]).toMatchObject({
      action: "update",
      fields: ["subject"],
      before: { subject: "Old" },
      after: { subject: "New" },
    });
  });

  describe("a template whose one part changed is an update of that part, with its diff", () => {
    const base = { subject: "Hello {{name}}", html: "<p>Hi {{name}}</p>\n", text: "Hi {{name}}\n" };
    const planFor = (edited: Partial<typeof base>) => {
      const d: DesiredResource = { kind: "template", name: "a", adopt: false, spec: { ...base, ...edited } };
      const was: DesiredResource = { ...d, spec: base };
      return plan({
        desired: [d],
        live: [live(was)],
        inventory: recordApplied(emptyInventory("p"), was, now),
      });
    };

    it.each([
      ["text", { text: "Hi {{name}}, welcome\n" }, "-Hi {{name}}", "+Hi {{name}}, welcome"],
      ["html", { html: "<p>Hello {{name}}</p>\n" }, "-<p>Hi {{name}}</p>", "+<p>Hello {{name}}</p>"],
      ["subject", { subject: "Welcome {{name}}" }, "-Hello {{name}}", "+Welcome {{name}}"],
    ])("%s only", (field, edited, removed, added) => {
      const p = planFor(edited);
      expect(p.changes).toHaveLength(1);
      expect(p.changes[0]).toMatchObject({ action: "update", kind: "template", fields: [field] });
      expect(p.changes[0]?.message).toBe(`update email template a: ${field}`);
      const details = changeDetails(p.changes[0] as Change);
      expect(details.map((d) => [d.kind, d.field])).toEqual([["diff", field]]);
      const lines = details[0]?.body.split("\n") ?? [];
      expect(lines).toContain(`--- a/${field}`);
      expect(lines).toContain(removed);
      expect(lines).toContain(added);
    });
  });

  it("deletes only what the inventory says mailops made", () => {
    const gone = tmpl("gone", "x");
    const inv = recordApplied(emptyInventory("p"), gone, now);
    const stranger = tmpl("stranger", "y");
    const p = plan({ live: [live(gone), live(stranger, {})], inventory: inv });
    expect(p.changes.map((c) => [c.action, c.name])).toEqual([["delete", "gone"]]);
  });

  it("reports an unmanaged resource with the same name as a conflict and leaves it alone", () => {
    const d = tmpl("a", "Mine");
    const p = plan({ desired: [d], live: [live(tmpl("a", "Theirs"), {})] });
    expect(p.changes).toEqual([]);
    expect(p.conflicts).toHaveLength(1);
    expect(p.conflicts[0]?.message).toContain("not managed by mailops");
  });

  it("adopts an unmanaged resource when asked", () => {
    const d = { ...tmpl("a", "Mine"), adopt: true };
    const p = plan({ desired: [d], live: [live(tmpl("a", "Theirs"), {})] });
    expect(p.conflicts).toEqual([]);
    expect(p.changes[0]).toMatchObject({
      action: "update",
      message: "update email template a: subject (adopting it)",
    });
  });

  it("treats a resource tagged by another project as not managed", () => {
    const p = plan({
      desired: [tmpl("a", "x")],
      live: [live(tmpl("a", "x"), { "mailops:project": "other" })],
    });
    expect(p.conflicts[0]?.message).toContain("belongs to project other");
  });

  it("forgets inventory entries whose resource vanished, and recreates desired ones", () => {
    const a = tmpl("a", "x");
    const b = tmpl("b", "x");
    let inv = recordApplied(emptyInventory("p"), a, now);
    inv = recordApplied(inv, b, now);
    const p = plan({ desired: [a], inventory: inv });
    expect(p.vanished).toEqual([{ kind: "template", name: "b" }]);
    expect(p.changes[0]?.message).toBe("create email template a (it was deleted outside mailops)");
  });

  it("blocks deletes above max_delete_percent unless forced", () => {
    let inv = emptyInventory("p");
    const all = ["a", "b", "c", "d"].map((n) => tmpl(n, n));
    for (const t of all) inv = recordApplied(inv, t, now);
    const input = { desired: [all[0] as DesiredResource], live: all.map((t) => live(t)), inventory: inv };
    const blocked = plan(input);
    expect(blocked.blocked).toHaveLength(1);
    expect(blocked.blocked[0]?.reason).toContain("3 of 4 managed email templates");
    expect(plan({ ...input, force: true }).blocked).toEqual([]);
  });

  describe("the delete guard's boundary (guardrails.max_delete_percent)", () => {
    /** `managed` templates applied, all but `managed - deletes` removed from the repository. */
    const deleting = (managed: number, deletes: number, maxDeletePercent: number) => {
      const all = Array.from({ length: managed }, (_, i) => tmpl(`t${String(i).padStart(3, "0")}`, "x"));
      let inv = emptyInventory("p");
      for (const t of all) inv = recordApplied(inv, t, now);
      const p = plan({
        desired: all.slice(deletes),
        live: all.map((t) => live(t)),
        inventory: inv,
        maxDeletePercent,
      });
      expect(p.changes.filter((c) => c.action === "delete")).toHaveLength(deletes);
      return p.blocked;
    };

    it.each([
      [3, 10, 30],
      [7, 100, 7],
      [14, 50, 28],
      [2, 4, 50],
    ])("allows exactly the percentage allowed: %i of %i at %i percent", (deletes, managed, max) => {
      expect(deleting(managed, deletes, max)).toEqual([]);
    });

    it.each([
      [4, 10, 30],
      [8, 100, 7],
      [15, 50, 28],
      [3, 4, 50],
    ])("refuses one over: %i of %i at %i percent", (deletes, managed, max) => {
      const blocked = deleting(managed, deletes, max);
      expect(blocked).toHaveLength(1);
      expect(blocked[0]?.reason).toContain(`${deletes} of ${managed} managed email templates`);
      expect(blocked[0]?.reason).toContain(`guardrails.max_delete_percent ${max}%`);
    });
  });

  it("allows a single delete whatever the percentage", () => {
    const a = tmpl("a", "x");
    const inv = recordApplied(emptyInventory("p"), a, now);
    expect(plan({ live: [live(a)], inventory: inv }).blocked).toEqual([]);
  });

  it("orders creates by dependency and deletes in reverse", () => {
    const set: DesiredResource = {
      kind: "configuration-set",
      name: "m",
      adopt: false,
      spec: { tls: "require" },
    };
    const dest: DesiredResource = {
      kind: "event-destination",
      name: "m/x",
      adopt: false,
      spec: { types: ["SEND"] },
    };
    const p = plan({ desired: [dest, tmpl("t", "s"), set] });
    expect(p.changes.map((c) => c.kind)).toEqual(["configuration-set", "event-destination", "template"]);
  });
});

describe("the markdown plan", () => {
  it("stays under its limit with thousands of changes, summary first", async () => {
    const { formatPlanMarkdown } = await import("../../src/present/plan/markdown.js");
    const desired = Array.from({ length: 3000 }, (_, i) =>
      tmpl(`template-with-a-long-name-${i}`, "x".repeat(200)),
    );
    const p = plan({ desired });
    const md = formatPlanMarkdown(p, { limit: 60_000 });
    expect(md.length).toBeLessThanOrEqual(60_000);
    expect(md).toContain("Plan: 3000 to create, 0 to update, 0 to delete.");
    expect(md).toMatch(/\d+ more changes, see the full plan/);
    expect(md).toContain("truncated");
  });
});

describe("a long value (a dashboard body)", () => {
  // Keys in sorted order, as the plan holds a normalized dashboard on both sides.
  const widget = (i: number, title: string) => ({
    properties: { metrics: [["AWS/SES", "Send", "campaign", `campaign-${i}`]], period: 3600, title },
    type: "metric",
  });
  const body = (last: string) => ({
    widgets: [0, 1, 2, 3, 4].map((i) => widget(i, i === 4 ? last : `w${i}`)),
  });
  const change: Change = {
    action: "update",
    kind: "dashboard",
    name: "d",
    before: { body: body("Old title") },
    after: { body: body("New title") },
    fields: ["body"],
    message: "update CloudWatch dashboard d: body",
  };

  it("is a diff of its pretty-printed JSON, whole, wherever the difference is", () => {
    // The difference is far past the first 200 characters, where a one-line value was cut.
    expect(JSON.stringify(body("New title")).indexOf("New title")).toBeGreaterThan(400);
    const [detail, ...rest] = changeDetails(change);
    expect(rest).toEqual([]);
    expect(detail?.kind).toBe("diff");
    const lines = detail?.body.split("\n") ?? [];
    expect(lines).toContain('-        "title": "Old title"');
    expect(lines).toContain('+        "title": "New title"');
    expect(detail?.body).not.toContain("…");
  });

  it("is shown whole in the text and markdown plans", async () => {
    const { formatPlanText } = await import("../../src/present/plan/text.js");
    const { formatPlanMarkdown } = await import("../../src/present/plan/markdown.js");
    const plan = buildPlan({
      project: "p",
      target: "local",
      desired: [],
      live: [],
      inventory: emptyInventory("p"),
      maxDeletePercent: 100,
      force: false,
      warnings: [],
      now: new Date("2026-01-01T00:00:00Z"),
    });
    const withChange = { ...plan, changes: [change] };
    for (const out of [formatPlanText(withChange), formatPlanMarkdown(withChange)]) {
      expect(out).toContain('+        "title": "New title"');
      expect(out).not.toContain("…");
    }
  });

  it("a short value stays on one line", () => {
    const short: Change = {
      action: "update",
      kind: "alarm",
      name: "a",
      before: { threshold: 0.05 },
      after: { threshold: 0.1 },
      fields: ["threshold"],
      message: "update alarm a: threshold",
    };
    expect(changeDetails(short).find((d) => d.field === "threshold")).toEqual({
      kind: "values",
      field: "threshold",
      body: "threshold: 0.05 → 0.1",
    });
  });
});
