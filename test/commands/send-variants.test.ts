/**
 * What users see of A/B variants: `send --dry-run` and the pull request's comment show each
 * variant's count and the stage; `status` shows the decision and why.
 */
import { afterEach, describe, expect, it } from "vitest";
import { sendsTable } from "../../src/action/send-forecast.js";
import { formatSendResults, presentSend } from "../../src/cli/send.js";
import { formatStatus } from "../../src/cli/status.js";
import { applyProject } from "../../src/commands/apply-project.js";
import { sendCampaigns } from "../../src/commands/send.js";
import { forecastSends, formatSendForecast } from "../../src/commands/send-forecast.js";
import { openSession } from "../../src/commands/session.js";
import { collectStatus } from "../../src/commands/status.js";
import { simulatedClock } from "../support/clock.js";
import { captureIo, type ExampleRepo } from "../support/repo.js";
import { abRepo, injectEvents, variantById } from "../support/variants.js";

/** Later than this machine's clock: the local target's events carry its time, the run the session's. */
const SEND_AT = "2036-01-05T09:00:00Z";

const repos: ExampleRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) r.cleanup();
}, 60_000);

const at = (minutes: number) => new Date(Date.parse(SEND_AT) + minutes * 60_000);
const session = (repo: ExampleRepo, minutes: number) =>
  openSession({ dir: repo.dir, target: "local", observe: () => {}, clock: simulatedClock(at(minutes)) });
const abForecast = async (repo: ExampleRepo, minutes: number) =>
  (await forecastSends(session(repo, minutes), { campaign: "ab" }))[0];

describe("variants in the forecast, the comment and status", () => {
  it("shows each variant's count and the stage, then the winner and why", async () => {
    const repo = abRepo(400, "test: { share: 25%, decide_after: 4h, by: open_rate }", SEND_AT);
    repos.push(repo);
    await applyProject(session(repo, 0), {});

    const before = await abForecast(repo, 1);
    expect(before?.variants?.stage).toBe("test");
    const counts = before?.variants?.counts ?? {};
    const tested = (counts.a ?? 0) + (counts.b ?? 0);
    expect(before?.counts?.toSend).toBe(tested);
    expect(before?.variants?.held).toBe(400 - tested);
    expect(before?.counts?.skipped).toEqual({});
    const text = formatSendForecast(before ? [before] : [], "local");
    expect(text).toContain(
      `  variants, test stage (25% of the audience): a ${counts.a}, b ${counts.b}; ${400 - tested} held for the winner, picked by open rate once the test has run`,
    );
    const comment = sendsTable(before ? [before] : []);
    expect(comment).toContain(
      `- \`ab\`: variants, test stage (25% of the audience): a ${counts.a}, b ${counts.b};`,
    );

    const sent = await sendCampaigns(session(repo, 1), { due: true });
    const ab = sent.find((r) => r.campaign === "ab");
    expect(ab?.variants?.counts).toEqual(counts);
    expect(formatSendResults(sent)).toContain(`  sent by variant: a ${counts.a}, b ${counts.b}`);
    expect(variantById(repo.dir).size).toBe(tested);

    const waiting = await abForecast(repo, 60);
    expect(waiting?.notes).toContain(
      `the test stage was sent; the winner stage is due at ${at(241).toISOString()}`,
    );
    const testing = await collectStatus(session(repo, 60), "ab");
    expect(formatStatus(testing)).toContain(
      `  variants: test stage since ${at(1).toISOString()}; the winner is picked at ${at(241).toISOString()} or the first send after`,
    );

    injectEvents(repo.dir, "a", "open", 10);
    injectEvents(repo.dir, "b", "open", 20);
    const due = (await forecastSends(session(repo, 300)))?.find((f) => f.campaign === "ab");
    expect(due?.sends).toBe("now");
    expect(due?.variants?.stage).toBe("winner");
    expect(due?.variants?.decision?.winner).toBe("b");

    await sendCampaigns(session(repo, 300), { due: true });
    const status = await collectStatus(session(repo, 301), "ab");
    const run = status.runs.find((r) => r.campaign === "ab");
    expect(run?.variants?.decision?.winner).toBe("b");
    expect(run?.variants?.metrics?.b).toMatchObject({
      delivered: (counts.b ?? 0) + 400 - tested,
      opened: 20,
    });
    expect(formatStatus(status)).toMatch(
      /^ {2}variants: winner b, decided 2036-01-05T14:00:00.000Z: the highest open rate: `a` [\d.]+% \(10 opens of \d+ delivered\), `b` [\d.]+% \(20 opens/m,
    );
  }, 120_000);

  it("a send by name between the test stage and decide_after: awaiting the winner, not complete", async () => {
    const repo = abRepo(400, "test: { share: 25%, decide_after: 4h, by: click_rate }", SEND_AT);
    repos.push(repo);
    await applyProject(session(repo, 0), {});
    const first = (await sendCampaigns(session(repo, 1), { campaign: "ab" }))[0];
    expect(first?.state).toBe("sent");
    const tested = variantById(repo.dir).size;
    const held = 400 - tested;
    expect(first?.variants?.held).toBe(held);

    // Nothing new to send: the held recipients wait for the winner, and the result says so.
    const again = await sendCampaigns(session(repo, 60), { campaign: "ab" });
    const ab = again[0];
    expect(ab?.state).toBe("awaiting-winner");
    expect(ab?.report?.sent).toBe(0);
    expect(ab?.variants).toMatchObject({ stage: "test", held, decideAt: at(241).toISOString() });
    expect(ab?.detail).toBe(
      `the test stage was sent; ${held} recipients wait for the winner, picked at ${at(241).toISOString()} or later by the next \`send --due\` or \`send --campaign ab\`, which sends it to them`,
    );
    const io = captureIo();
    expect(presentSend(again, "local", "text", io)).toBe(0);
    expect(io.outText).toMatch(/^ab: awaiting-winner \(the test stage was sent; /);
    expect(io.outText).not.toContain("complete");
    expect(variantById(repo.dir).size).toBe(tested);

    // status: the ledger's run is complete only as far as the test share goes.
    const status = await collectStatus(session(repo, 60), "ab");
    expect(status.runs[0]?.status).toBe("awaiting-winner");
    expect(formatStatus(status)).toContain(`ab (send_at ${at(0).toISOString()}): awaiting-winner\n`);

    // After decide_after the same command sends the winner to the rest; then the run is complete.
    const winner = (await sendCampaigns(session(repo, 300), { campaign: "ab" }))[0];
    expect(winner).toMatchObject({ state: "sent", report: { sent: held } });
    expect(winner?.variants?.stage).toBe("winner");
    const done = (await sendCampaigns(session(repo, 301), { campaign: "ab" }))[0];
    expect(done?.state).toBe("complete");
    expect((await collectStatus(session(repo, 301), "ab")).runs[0]?.status).toBe("complete");
  }, 120_000);

  it("with --now pinned, the test's start and decide_after are judged by it, not the clock", async () => {
    const repo = abRepo(400, "test: { share: 25%, decide_after: 4h, by: click_rate }", SEND_AT);
    repos.push(repo);
    // The clock stays at the send_at; --now moves: as the CLI's --now over a machine's clock.
    const pinned = (minutes: number) =>
      openSession({
        dir: repo.dir,
        target: "local",
        observe: () => {},
        clock: simulatedClock(at(0)),
        now: at(minutes),
      });
    await applyProject(pinned(0), {});
    const test = (await sendCampaigns(pinned(60), { due: true })).find((r) => r.campaign === "ab");
    expect(test?.variants).toMatchObject({ stage: "test", decideAt: at(300).toISOString() });
    const held = test?.variants?.held ?? 0;
    expect(held).toBeGreaterThan(0);
    const winner = (await sendCampaigns(pinned(301), { due: true })).find((r) => r.campaign === "ab");
    expect(winner?.variants?.stage).toBe("winner");
    expect(winner?.report?.sent).toBe(held);
  }, 120_000);
});
