/**
 * A/B variants on the local target (send/variants.ts): 10,000 recipients split 50/50, the same
 * split on a repeated run, and a test stage whose winner, picked from injected click metrics, goes
 * to the rest in the same run, nobody twice.
 */
import { afterEach, describe, expect, it } from "vitest";
import { applyProject } from "../../src/commands/apply-project.js";
import { type CampaignResult, sendCampaigns } from "../../src/commands/send.js";
import { openSession } from "../../src/commands/session.js";
import { simulatedClock } from "../support/clock.js";
import type { ExampleRepo } from "../support/repo.js";
import { AB_SEND_AT, abRepo, events, injectEvents, variantById } from "../support/variants.js";

const N = 10_000;
const repos: ExampleRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
}, 120_000);

const at = (minutes: number) => new Date(Date.parse(AB_SEND_AT) + minutes * 60_000);
const session = (repo: ExampleRepo, minutes: number) =>
  openSession({ dir: repo.dir, target: "local", observe: () => {}, clock: simulatedClock(at(minutes)) });

async function sendDue(repo: ExampleRepo, minutes: number): Promise<CampaignResult | undefined> {
  const results = await sendCampaigns(session(repo, minutes), { due: true });
  return results.find((r) => r.campaign === "ab");
}

function shares(byId: Map<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of byId.values()) out[v] = (out[v] ?? 0) + 1;
  return out;
}

describe("A/B variants on the local target", () => {
  it("splits 10,000 recipients 50/50, each variant its own template and tag", async () => {
    const repo = abRepo(N);
    repos.push(repo);
    await applyProject(session(repo, 0), {});
    const result = await sendDue(repo, 1);
    expect(result?.state).toBe("sent");
    expect(result?.report?.sent).toBe(N);
    expect(result?.variants?.stage).toBe("all");
    const byId = variantById(repo.dir);
    expect(byId.size).toBe(N);
    const s = shares(byId);
    for (const v of ["a", "b"]) expect(Math.abs((s[v] ?? 0) / N - 0.5)).toBeLessThan(0.02);
    expect(result?.variants?.sent).toEqual(s);
    expect(result?.variants?.counts).toEqual(s);
    // Variant a is its own SES template (its own subject); b the campaign's, with its own data.
    const emls = repo.emls("ab");
    const one = emls.find((f) => byId.get(f.split(".")[1] as string) === "a");
    const two = emls.find((f) => byId.get(f.split(".")[1] as string) === "b");
    expect(repo.read(`.mailops/outbox/ab/${one}`)).toMatch(/^Subject: A: 20% off Smart Watch\r?$/m);
    expect(repo.read(`.mailops/outbox/ab/${two}`)).toMatch(
      /^Subject: Exclusive Offer: 20% Off Smart Watch Pro\r?$/m,
    );
  }, 300_000);

  it("assigns everyone the same variant when the run is sent again from scratch", async () => {
    const runs: Map<string, string>[] = [];
    for (let i = 0; i < 2; i++) {
      const repo = abRepo(1000);
      repos.push(repo);
      await applyProject(session(repo, 0), {});
      await sendDue(repo, 1 + i * 30);
      runs.push(variantById(repo.dir));
    }
    expect(runs[0]?.size).toBe(1000);
    expect(new Set(runs[0]?.values())).toEqual(new Set(["a", "b"]));
    expect(runs[1]).toEqual(runs[0]);
  }, 300_000);

  it("tests on a share first, then sends the winner by click rate to the rest, nobody twice", async () => {
    const repo = abRepo(N, "test: { share: 50%, decide_after: 4h, by: click_rate }");
    repos.push(repo);
    await applyProject(session(repo, 0), {});
    const test = await sendDue(repo, 1);
    expect(test?.variants?.stage).toBe("test");
    const tested = variantById(repo.dir);
    expect(Math.abs(tested.size / N - 0.5)).toBeLessThan(0.02);
    const s = shares(tested);
    for (const v of ["a", "b"]) expect(Math.abs((s[v] ?? 0) / tested.size - 0.5)).toBeLessThan(0.02);
    expect(test?.variants?.held).toBe(N - tested.size);

    // Before decide_after: nothing is due, and nothing more is sent.
    const early = await sendDue(repo, 120);
    expect(early).toMatchObject({ state: "scheduled", detail: at(1 + 240).toISOString(), winnerStage: true });
    expect(variantById(repo.dir).size).toBe(tested.size);

    injectEvents(repo.dir, "a", "click", Math.round((s.a ?? 0) * 0.05));
    injectEvents(repo.dir, "b", "click", Math.round((s.b ?? 0) * 0.08));
    const winner = await sendDue(repo, 300);
    expect(winner?.state).toBe("sent");
    expect(winner?.variants?.stage).toBe("winner");
    expect(winner?.variants?.decision?.winner).toBe("b");
    expect(winner?.variants?.decision?.why).toMatch(/^the highest click rate: `a` 5\.0% .*`b` 8\.0%/);
    expect(winner?.report?.sent).toBe(N - tested.size);
    expect(winner?.report?.alreadyDone).toBe(tested.size);

    const all = variantById(repo.dir);
    expect(all.size).toBe(N);
    const sends = events(repo.dir).filter((e) => e.type === "send");
    expect(sends.length).toBe(N);
    for (const [id, v] of all) expect(v).toBe(tested.get(id) ?? "b");

    // Exactly once: the run is complete and decided; a later send has nothing to do.
    const after = await sendDue(repo, 600);
    expect(after?.state).toBe("complete");
    expect(events(repo.dir).filter((e) => e.type === "send").length).toBe(N);
  }, 300_000);
});
