/**
 * The pure parts of A/B variants (send/variants.ts): the assignment is a function of campaign,
 * run and address key alone, shares hold, a test share holds the rest back; the winner rule
 * decides ties and missing metrics without chance.
 */
import { describe, expect, it } from "vitest";
import { Assigner, decideWinner, variantSender } from "../../src/send/variants.js";
import type { CampaignMetrics, SendRequest } from "../../src/targets/port.js";

const V = [
  { name: "a", share: 50 },
  { name: "b", share: 50 },
];
const keys = Array.from({ length: 20_000 }, (_, i) => `p${i}@example.org`);
const metrics = (delivered: number, clicked: number, opened = 0): CampaignMetrics => ({
  delivered,
  clicked,
  opened,
  bounced: 0,
  complained: 0,
});
const AT = new Date("2026-01-05T13:00:00Z");

describe("Assigner", () => {
  it("gives a key the same variant in every instance, and another split in another run", () => {
    const one = new Assigner("ab", "run-1", V, { kind: "all" });
    const two = new Assigner("ab", "run-1", V, { kind: "all" });
    const other = new Assigner("ab", "run-2", V, { kind: "all" });
    expect(keys.map((k) => two.assign(k))).toEqual(keys.map((k) => one.assign(k)));
    const moved = keys.filter((k) => other.assign(k) !== one.assign(k)).length;
    expect(moved / keys.length).toBeGreaterThan(0.4);
  });

  it("follows uneven shares", () => {
    const a = new Assigner(
      "ab",
      "r",
      [
        { name: "a", share: 10 },
        { name: "b", share: 30 },
        { name: "c", share: 60 },
      ],
      { kind: "all" },
    );
    const n = { a: 0, b: 0, c: 0 } as Record<string, number>;
    for (const k of keys) n[a.assign(k) as string] = (n[a.assign(k) as string] ?? 0) + 1;
    expect(Math.abs((n.a ?? 0) / keys.length - 0.1)).toBeLessThan(0.01);
    expect(Math.abs((n.b ?? 0) / keys.length - 0.3)).toBeLessThan(0.01);
    expect(Math.abs((n.c ?? 0) / keys.length - 0.6)).toBeLessThan(0.01);
  });

  it("holds back all but the test share, and keeps the test share's variants in the winner stage", () => {
    const test = new Assigner("ab", "r", V, { kind: "test" }, 20);
    const winner = new Assigner("ab", "r", V, { kind: "winner", winner: "b" }, 20);
    const tested = keys.filter((k) => test.assign(k) !== undefined);
    expect(Math.abs(tested.length / keys.length - 0.2)).toBeLessThan(0.01);
    for (const k of keys) {
      const t = test.assign(k);
      expect(winner.assign(k)).toBe(t ?? "b");
    }
  });
});

describe("decideWinner", () => {
  it("picks the highest rate", () => {
    const d = decideWinner(
      ["a", "b"],
      "click_rate",
      new Map([
        ["a", metrics(100, 5)],
        ["b", metrics(100, 9)],
      ]),
      AT,
    );
    expect(d.winner).toBe("b");
    expect(d.why).toBe(
      "the highest click rate: `a` 5.0% (5 clicks of 100 delivered), `b` 9.0% (9 clicks of 100 delivered)",
    );
  });

  it("reads opens for open_rate", () => {
    const m = new Map([
      ["a", metrics(100, 50, 30)],
      ["b", metrics(100, 1, 31)],
    ]);
    expect(decideWinner(["a", "b"], "open_rate", m, AT).winner).toBe("b");
  });

  it("breaks a tie for the variant listed first, whichever order the metrics come in", () => {
    const m = new Map([
      ["c", metrics(200, 20)],
      ["b", metrics(100, 10)],
      ["a", metrics(100, 2)],
    ]);
    const d = decideWinner(["a", "b", "c"], "click_rate", m, AT);
    expect(d.winner).toBe("b");
    expect(d.why).toMatch(/^a tie at 10\.0% click rate between `b`, `c`: the one listed first, `b`, wins/);
    expect(decideWinner(["a", "c", "b"], "click_rate", m, AT).winner).toBe("c");
  });

  it("ranks a variant without metrics below every variant with a rate, even a rate of 0", () => {
    const m = new Map<string, CampaignMetrics | undefined>([
      ["a", undefined],
      ["b", metrics(0, 0)],
      ["c", metrics(50, 0)],
    ]);
    expect(decideWinner(["a", "b", "c"], "click_rate", m, AT).winner).toBe("c");
  });

  it("with no metrics at all, picks the first variant listed, and says so", () => {
    const d = decideWinner(["a", "b"], "open_rate", new Map(), AT);
    expect(d).toMatchObject({ winner: "a", by: "open_rate", decidedAt: AT.toISOString() });
    expect(d.why).toMatch(
      /^no open rate could be read for any variant .*: the first variant listed, `a`, wins$/,
    );
  });
});

describe("variantSender", () => {
  it("sends each variant with its template and tag, and answers in the call's order", async () => {
    const calls: SendRequest[] = [];
    const inner = {
      send: async (r: SendRequest) => {
        calls.push(r);
        return r.messages.map((m) => ({ status: "sent" as const, messageId: `${r.template}:${m.id}` }));
      },
    };
    const assigner = new Assigner("ab", "r", V, { kind: "all" });
    const { sender, sent } = variantSender(
      inner,
      assigner,
      new Map([
        ["a", "t--a"],
        ["b", "t"],
      ]),
    );
    const messages = keys.slice(0, 50).map((to, i) => ({ id: `id${i}`, to, data: {}, headers: [] }));
    const results = await sender.send({
      campaign: "ab",
      run: "r",
      template: "t",
      from: "x@example.com",
      replyTo: [],
      tags: { campaign: "ab" },
      messages,
    });
    expect(calls.length).toBe(2);
    for (const c of calls) {
      const v = c.tags.variant as string;
      expect(c.template).toBe(v === "a" ? "t--a" : "t");
      for (const m of c.messages) expect(assigner.assign(m.to)).toBe(v);
    }
    messages.forEach((m, i) => {
      const v = assigner.assign(m.to);
      expect(results[i]).toEqual({ status: "sent", messageId: `${v === "a" ? "t--a" : "t"}:${m.id}` });
    });
    expect((sent.get("a") ?? 0) + (sent.get("b") ?? 0)).toBe(50);
  });
});
