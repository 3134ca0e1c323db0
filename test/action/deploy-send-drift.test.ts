/** `deploy`, `send` and `drift` end to end on the local target, against the GitHub stand-in. */

import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { projectStore, type TargetFactory } from "../../src/commands/context.js";
import { validateProject } from "../../src/commands/validate.js";
import { acquireLock } from "../../src/send/lock.js";
import type { Clock } from "../../src/util/clock.js";
import { simulatedClock } from "../support/clock.js";
import type { GitHubStandIn } from "./support/github-stand-in.js";
import { closeActionWorld, HEAD_SHA, MERGE_SHA, openActionWorld, runFlow } from "./support/harness.js";

const NOW = new Date("2026-06-01T12:00:00Z");
const _HEAD = HEAD_SHA;
const MERGE = MERGE_SHA;

let github: GitHubStandIn;
let repo: { dir: string; cleanup: () => void };
let temp: string;

beforeEach(async () => {
  ({ github, repo, temp } = await openActionWorld());
});
afterEach(() => closeActionWorld({ github, repo, temp }));

function action(
  command: string,
  o: {
    now?: Date;
    inputs?: Record<string, string>;
    eventName?: string;
    targetFactory?: TargetFactory;
    fork?: boolean;
    clock?: Clock;
  } = {},
) {
  return runFlow({ github, repo, temp }, command, { ...o, clock: o.clock ?? simulatedClock(o.now ?? NOW) });
}

const merged = () =>
  github.pulls.set(MERGE, [{ number: 7, merged_at: "2026-06-01T11:59:00Z", merge_commit_sha: MERGE }]);
const outbox = (campaign: string) => {
  const dir = path.join(repo.dir, ".mailops/outbox", campaign);
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".eml")) : [];
};
/** Temporary paths vary per run; everything else in a summary is fixed by the inputs. */
const stable = (text: string) => text.split(repo.dir).join("<repo>");

describe("deploy", () => {
  it("applies, sends what is due, and confirms the plan is the one reviewed", async () => {
    await action("pr");
    merged();
    const r = await action("deploy");
    expect(r.failed, r.stdout).toBe(false);
    expect(r.summary).toContain("✅ The plan matches the one reviewed on pull request #7");
    expect(r.outputs).toMatchObject({ "has-changes": "true", sent: "2", failed: "0" });
    expect(JSON.parse(readFileSync(r.outputs["plan-path"] ?? "", "utf8")).changes).toHaveLength(12);
    expect(outbox("welcome-new-customers")).toHaveLength(2);
    expect(outbox("holiday-promo")).toHaveLength(0);
    await expect(stable(r.summary)).toMatchFileSnapshot("__snapshots__/deploy.summary.md");
    // Reading the comment is all deploy does on GitHub.
    expect(github.writes().filter((w) => w.path.includes("/comments/"))).toHaveLength(0);
  });

  it("applies, and leaves the sends to the next run when another run holds the send lock", async () => {
    const clock = simulatedClock(NOW);
    const store = projectStore(validateProject(repo.dir).project);
    const lease = await acquireLock(store, { command: "send", now: clock.now });
    let r: Awaited<ReturnType<typeof action>> | undefined;
    try {
      r = await action("deploy", { clock });
    } finally {
      await lease.release();
    }
    expect(r.failed, r.stdout).toBe(false);
    expect(r.outputs).toMatchObject({ "has-changes": "true", sent: "0", failed: "0" });
    expect(r.summary).toContain("#### Applied");
    expect(r.summary).toMatch(
      /#### Sends\n\n⏳ another mailops run is sending: the send lock is held by `[^`]+` \(send\) since 2026-06-01 12:00 UTC; campaigns still due are sent by the next scheduled run\n/,
    );
    expect(r.annotations.some((a) => a.startsWith("::warning::another mailops run is sending"))).toBe(true);
    expect(outbox("welcome-new-customers")).toHaveLength(0);
  });

  it("says so when the plan differs from the one last commented on the merged pull request", async () => {
    await action("pr");
    merged();
    const file = path.join(repo.dir, "templates/welcome-campaign.txt");
    writeFileSync(file, readFileSync(file, "utf8").replace("WELCOME10", "WELCOME20"));
    const r = await action("deploy");
    expect(r.failed).toBe(false);
    expect(r.summary).toContain(
      "**Plan changed since review:** the plan differs from the one last commented on pull request #7",
    );
    expect(r.annotations.some((a) => a.startsWith("::warning::the plan differs"))).toBe(true);
  });

  it("trusts no plan comment but the bot's", async () => {
    await action("pr");
    merged();
    const bot = github.comments[0];
    if (!bot) throw new Error("no comment");
    // Another account copies the bot's marker (with its checksum) into its own comment; the bot's is gone.
    github.comments.splice(0, 1);
    github.seed(7, "mallory", bot.body);
    const r = await action("deploy");
    expect(r.summary).toContain("Pull request #7 has no mailops plan comment to compare with");
  });

  it("applies nothing and sends nothing when the plan is blocked, with the plan in the summary", async () => {
    await action("deploy");
    // Both alarms go: 100% of the managed alarms, over guardrails.max_delete_percent.
    const file = path.join(repo.dir, "mailops.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/\nalarms:\n(?: {2}.*\n)+/, "\n"));
    writeFileSync(
      path.join(repo.dir, "campaigns/late-news.yaml"),
      "template: welcome-campaign\nto: new-customers\ntopic: onboarding\nconfiguration_set: marketing\nsend_at: on-merge\n",
    );
    const r = await action("deploy");
    expect(r.failed).toBe(true);
    expect(r.annotations.at(-1)).toMatch(/^::error::apply refused: /);
    expect(r.summary).toContain("#### Plan (not applied)");
    expect(r.summary).toContain("acme-marketing-bounce-rate");
    expect(r.summary).not.toContain("#### Applied");
    expect(r.summary).not.toContain("#### Sends");
    expect(r.outputs["has-changes"]).toBe("true");
    expect(outbox("late-news")).toHaveLength(0);
  });

  it("a blocked delete fails naming the Deploy workflow's force input; a re-run with force applies it", async () => {
    await action("deploy");
    const file = path.join(repo.dir, "mailops.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/\nalarms:\n(?: {2}.*\n)+/, "\n"));
    const remedy = "re-run the **Deploy** workflow (Actions → Deploy → Run workflow) with `force: true`";
    const blocked = await action("deploy");
    expect(blocked.failed).toBe(true);
    expect(blocked.annotations.at(-1)).toContain(`hint: check the deletes are intended, then ${remedy}`);
    expect(blocked.summary).toContain(`**What to do:** check the deletes are intended, then ${remedy}.`);
    const alarm = path.join(repo.dir, ".mailops/local/alarm/acme-marketing-bounce-rate.json");
    expect(existsSync(alarm)).toBe(true);
    const forced = await action("deploy", { eventName: "workflow_dispatch", inputs: { force: "true" } });
    expect(forced.failed, forced.stdout).toBe(false);
    expect(forced.summary).toContain("#### Applied");
    expect(existsSync(alarm)).toBe(false);
  });

  it("notes a push that no pull request reviewed", async () => {
    const r = await action("deploy");
    expect(r.failed).toBe(false);
    expect(r.summary).toContain(`No merged pull request for ${MERGE.slice(0, 7)}`);
  });

  it("refuses a repository with validation errors before touching the target", async () => {
    writeFileSync(path.join(repo.dir, "campaigns/broken.yaml"), "template: nope\nto: new-customers\n");
    const r = await action("deploy");
    expect(r.failed).toBe(true);
    expect(
      r.annotations.some((a) =>
        a.startsWith("::error title=campaign/unknown-template,file=campaigns/broken.yaml"),
      ),
    ).toBe(true);
    expect(r.summary).toContain("campaign/unknown-template");
    expect(existsSync(path.join(repo.dir, ".mailops/local"))).toBe(false);
  });
});

describe("guardrails.require_reviewed_plan", () => {
  const requireReviewed = () => {
    const file = path.join(repo.dir, "mailops.yaml");
    const yaml = readFileSync(file, "utf8");
    writeFileSync(file, yaml.replace("\nguardrails:\n", "\nguardrails:\n  require_reviewed_plan: true\n"));
  };
  const editWelcomeText = () => {
    const file = path.join(repo.dir, "templates/welcome-campaign.txt");
    writeFileSync(file, readFileSync(file, "utf8").replace("WELCOME10", "WELCOME20"));
  };
  /** Nothing applied (the local target was never written) and nothing sent. */
  const nothingDone = (r: Awaited<ReturnType<typeof action>>) => {
    expect(existsSync(path.join(repo.dir, ".mailops/local"))).toBe(false);
    expect(outbox("welcome-new-customers")).toHaveLength(0);
    expect(r.summary).toContain("#### Plan (not applied)");
    expect(r.summary).not.toContain("#### Applied");
    expect(r.summary).not.toContain("#### Sends");
  };

  it("on: applies and sends the plan reviewed on the merged pull request", async () => {
    requireReviewed();
    await action("pr");
    merged();
    const r = await action("deploy");
    expect(r.failed, r.stdout).toBe(false);
    expect(r.summary).toContain("✅ The plan matches the one reviewed on pull request #7");
    expect(r.outputs).toMatchObject({ sent: "2", failed: "0" });
  });

  it("on: refuses a plan that differs from the reviewed one, and says what differs", async () => {
    requireReviewed();
    await action("pr");
    merged();
    editWelcomeText();
    const r = await action("deploy");
    expect(r.failed).toBe(true);
    const difference =
      "email template `welcome-campaign`: what the reviewed plan writes differs from what this deploy writes";
    expect(r.summary).toContain("⛔ **Refused (guardrails.require_reviewed_plan):** the plan differs");
    expect(r.summary).toContain(`- ${difference}`);
    const error = r.annotations.at(-1) ?? "";
    expect(error).toMatch(
      /^::error::deploy refused: the plan differs from the one reviewed on pull request #7/,
    );
    expect(error).toContain(difference);
    nothingDone(r);
  });

  it.each([
    ["a push no pull request reviewed", async () => {}, `no merged pull request for ${MERGE.slice(0, 7)}`],
    [
      "a pull request without a plan comment",
      async () => merged(),
      "pull request #7 has no mailops plan comment",
    ],
    [
      "a fork's pull request, planned without live state",
      async () => {
        await action("pr", { fork: true });
        merged();
      },
      "pull request #7 came from a fork and was planned against the desired state only",
    ],
  ])("on: refuses %s, and says there is no reviewed plan and why", async (_, setUp, why) => {
    requireReviewed();
    await setUp();
    const r = await action("deploy");
    expect(r.failed).toBe(true);
    expect(r.summary).toContain(
      "⛔ **Refused (guardrails.require_reviewed_plan):** there is no reviewed plan",
    );
    expect(r.summary).toContain(why);
    expect(r.annotations.at(-1)).toMatch(
      /^::error::deploy refused: there is no reviewed plan to compare with/,
    );
    expect(r.annotations.at(-1)).toContain(why);
    nothingDone(r);
  });

  it("off: a plan that differs is applied and sent, with what differs listed", async () => {
    await action("pr");
    merged();
    editWelcomeText();
    const r = await action("deploy");
    expect(r.failed, r.stdout).toBe(false);
    expect(r.summary).toContain("**Plan changed since review:**");
    expect(r.summary).toContain("- email template `welcome-campaign`: what the reviewed plan writes differs");
    expect(r.outputs).toMatchObject({ sent: "2", failed: "0" });
  });

  it("off: a push no pull request reviewed is applied and sent, as before", async () => {
    const r = await action("deploy");
    expect(r.failed, r.stdout).toBe(false);
    expect(r.outputs).toMatchObject({ sent: "2", failed: "0" });
  });
});

describe("state on the runner's disk", () => {
  it.each(["deploy", "send"])("%s refuses to send to real recipients with it", async (command) => {
    let opened = false;
    const r = await action(command, {
      inputs: { target: "aws" },
      targetFactory: async () => {
        opened = true;
        throw new Error("must not be reached");
      },
    });
    expect(r.failed).toBe(true);
    expect(opened).toBe(false);
    expect(r.annotations.join("\n")).toContain("the state store is `.mailops/state`, on this job's disk");
    expect(r.annotations.join("\n")).toContain("state: s3://BUCKET/PREFIX");
  });
});

describe("send", () => {
  it("does not fail when another run holds the send lock: the next scheduled run sends", async () => {
    let t = NOW.getTime();
    // The lock is awaited for 10 s: on simulated time, which the wait itself moves on.
    const clock: Clock = {
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    };
    const store = projectStore(validateProject(repo.dir).project);
    const lease = await acquireLock(store, { command: "deploy", now: clock.now });
    let r: Awaited<ReturnType<typeof action>> | undefined;
    try {
      r = await action("send", { eventName: "schedule", clock });
    } finally {
      await lease.release();
    }
    expect(t - NOW.getTime()).toBeGreaterThanOrEqual(10_000);
    expect(r?.failed, r?.stdout).toBe(false);
    expect(r?.outputs).toMatchObject({ sent: "0", failed: "0" });
    expect(r?.annotations.some((a) => a.startsWith("::warning::another mailops run is sending"))).toBe(true);
    expect(r?.summary).toContain("campaigns still due are sent by the next scheduled run");
  });

  it("sends a scheduled campaign once its send_at has come, and only once", async () => {
    await action("deploy");
    const early = await action("send", { eventName: "schedule" });
    expect(early.outputs).toMatchObject({ sent: "0", failed: "0" });
    const due = await action("send", { now: new Date("2026-12-01T09:05:00Z"), eventName: "schedule" });
    expect(due.failed, due.stdout).toBe(false);
    expect(due.outputs).toMatchObject({ sent: "1", failed: "0" });
    expect(outbox("holiday-promo")).toHaveLength(1);
    await expect(stable(due.summary)).toMatchFileSnapshot("__snapshots__/send.summary.md");
    const again = await action("send", { now: new Date("2026-12-01T09:20:00Z"), eventName: "schedule" });
    expect(again.outputs).toMatchObject({ sent: "0" });
    expect(again.summary).toMatch(/`holiday-promo` \| complete/);
    expect(outbox("holiday-promo")).toHaveLength(1);
  });

  it("charts the coming month's scheduled sends in the deploy and send job summaries", async () => {
    const file = path.join(repo.dir, "campaigns/holiday-promo.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/send_at: .*/, "send_at: 2026-06-10T09:00:00Z"));
    const chart = [
      "#### Coming sends",
      "",
      "```mermaid",
      "gantt",
      "  title Sends from 2026-06-01 to 2026-07-01 (UTC)",
      "  dateFormat YYYY-MM-DD HH:mm",
      "  axisFormat %b %d",
      "  todayMarker off",
      "  section Scheduled",
      "  holiday-promo :2026-06-10 09:00, 1d",
      "```",
    ].join("\n");
    const deployed = await action("deploy");
    expect(deployed.failed, deployed.stdout).toBe(false);
    expect(deployed.summary).toContain(chart);
    const sent = await action("send", { eventName: "schedule" });
    expect(sent.summary).toContain(chart);
  });

  it("refuses the campaign a manual run names before its send_at, and sends it with send-early", async () => {
    await action("deploy");
    const early = await action("send", {
      inputs: { campaign: "holiday-promo" },
      eventName: "workflow_dispatch",
    });
    expect(early.failed).toBe(true);
    expect(outbox("holiday-promo")).toHaveLength(0);
    expect(early.summary).toContain("campaign `holiday-promo` is scheduled for 2026-12-01T09:00:00.000Z");
    expect(early.summary).toContain(
      "run the **Scheduled send** workflow again (Actions → Scheduled send → Run workflow) with the same `campaign` and `send-early: true` to send it now",
    );
    const r = await action("send", {
      inputs: { campaign: "holiday-promo", "send-early": "true" },
      eventName: "workflow_dispatch",
    });
    expect(r.failed, r.stdout).toBe(false);
    expect(r.outputs).toMatchObject({ sent: "1" });
    expect(r.summary).toContain("campaign `holiday-promo`");
    expect(r.summary).toContain("- `holiday-promo`: sent early, before its send_at 2026-12-01 09:00 UTC");
  });

  it("never sends a draft by name, send-early or not", async () => {
    await action("deploy");
    const r = await action("send", {
      inputs: { campaign: "spring-sale", "send-early": "true" },
      eventName: "workflow_dispatch",
    });
    expect(r.failed).toBe(true);
    expect(r.summary).toContain("campaign `spring-sale` is a draft (no send_at)");
  });
});

describe("missed campaigns", () => {
  const oldNews = path.join("campaigns", "old-news.yaml");
  const writeOldNews = (extra = "") =>
    writeFileSync(
      path.join(repo.dir, oldNews),
      `template: welcome-campaign\nto: new-customers\ntopic: onboarding\nconfiguration_set: marketing\nsend_at: 2026-05-01T09:00:00Z\n${extra}`,
    );
  const missedWarnings = (r: Awaited<ReturnType<typeof action>>) =>
    r.annotations.filter((a) => a.startsWith("::warning title=mailops%3A missed campaign"));

  it("warn once a day, on the first scheduled run after 00:00 UTC, with the remedy; acknowledged ones are dropped", async () => {
    writeOldNews();
    await action("deploy");
    const first = await action("send", { now: new Date("2026-06-02T00:05:00Z"), eventName: "schedule" });
    expect(first.failed, first.stdout).toBe(false);
    const [warning, ...more] = missedWarnings(first);
    expect(more).toEqual([]);
    expect(warning).toContain(`file=${oldNews}`);
    expect(warning).toContain("campaign old-news was not sent: its send_at 2026-05-01T09:00:00.000Z");
    expect(warning).toContain(
      "run the Scheduled send workflow (Actions → Scheduled send → Run workflow) with campaign: old-news",
    );
    expect(warning).toContain(`add \`missed: acknowledged\` to ${oldNews}`);
    expect(first.summary).toMatch(/`old-news` \| missed/);

    // Later runs that day, and manual runs, list it without warning.
    const later = await action("send", { now: new Date("2026-06-02T00:20:00Z"), eventName: "schedule" });
    expect(missedWarnings(later)).toEqual([]);
    expect(later.summary).toMatch(/`old-news` \| missed/);
    const manual = await action("send", {
      now: new Date("2026-06-02T00:05:00Z"),
      eventName: "workflow_dispatch",
    });
    expect(missedWarnings(manual)).toEqual([]);

    writeOldNews("missed: acknowledged\n");
    const acknowledged = await action("send", {
      now: new Date("2026-06-03T00:00:00Z"),
      eventName: "schedule",
    });
    expect(acknowledged.failed, acknowledged.stdout).toBe(false);
    expect(missedWarnings(acknowledged)).toEqual([]);
    expect(acknowledged.summary).not.toContain("old-news");
    expect(outbox("old-news")).toHaveLength(0);
  });

  it("a campaign sent again by hand when complete shows already complete", async () => {
    await action("deploy");
    expect(outbox("welcome-new-customers")).toHaveLength(2);
    const r = await action("send", {
      inputs: { campaign: "welcome-new-customers" },
      eventName: "workflow_dispatch",
    });
    expect(r.failed, r.stdout).toBe(false);
    expect(r.outputs).toMatchObject({ sent: "0", failed: "0" });
    expect(r.summary).toMatch(/☑️ \| `welcome-new-customers` \| complete \|/);
    expect(r.summary).toContain("- `welcome-new-customers`: already complete");
    expect(r.summary).not.toMatch(/✅ \| `welcome-new-customers`/);
    expect(outbox("welcome-new-customers")).toHaveLength(2);
  });
});

describe("a lost state store", () => {
  // The state and the outbox gone, the target's resources left: nothing but the check stands
  // between the next run and a second mail to everyone.
  const lose = () => {
    for (const dir of [".mailops/state", ".mailops/outbox"])
      rmSync(path.join(repo.dir, dir), { recursive: true });
  };

  it("the plan comment warns; deploy and send refuse; state-lost-ok sends with a warning annotation", async () => {
    await action("deploy");
    lose();
    const pr = await action("pr");
    expect(pr.failed, pr.stdout).toBe(false);
    expect(github.comments.at(-1)?.body).toContain(
      "> ⚠️ the state store appears to have been lost: 9 resources on the local target are tagged mailops:project=acme-marketing",
    );

    const deploy = await action("deploy");
    expect(deploy.failed).toBe(true);
    expect(deploy.annotations.at(-1)).toMatch(
      /^::error::the state store appears to have been lost: 9 resources on the local target are tagged/,
    );
    expect(deploy.summary).toContain("#### Plan (not applied)");
    expect(existsSync(path.join(repo.dir, ".mailops/state/inventory.json"))).toBe(false);

    const send = await action("send", { eventName: "schedule" });
    expect(send.failed).toBe(true);
    expect(send.summary).toContain("the state store appears to have been lost");
    expect(outbox("welcome-new-customers")).toHaveLength(0);

    const ok = await action("send", { eventName: "workflow_dispatch", inputs: { "state-lost-ok": "true" } });
    expect(ok.failed, ok.stdout).toBe(false);
    const warning = ok.annotations.find((a) =>
      a.startsWith("::warning::the state store appears to have been lost"),
    );
    expect(warning).toContain(
      "state-lost-ok is set: the new ledger is empty, so every recipient not in the new ledger is sent again",
    );
    expect(outbox("welcome-new-customers")).toHaveLength(2);
  });

  it("state-lost-ok is true or false, nothing else", async () => {
    const r = await action("send", { eventName: "workflow_dispatch", inputs: { "state-lost-ok": "yes" } });
    expect(r.failed).toBe(true);
    expect(r.annotations.at(-1)).toContain("the input `state-lost-ok` is `yes`");
  });
});

describe("drift", () => {
  it("passes when live state matches, and fails with the plan in the summary when it does not", async () => {
    await action("deploy");
    const clean = await action("drift", { eventName: "schedule" });
    expect(clean.failed).toBe(false);
    expect(clean.outputs["has-changes"]).toBe("false");

    // Someone edits the template by hand on the target.
    const file = path.join(repo.dir, ".mailops/local/template/welcome-campaign.json");
    const stored = JSON.parse(readFileSync(file, "utf8"));
    stored.spec.subject = "Edited in the console";
    writeFileSync(file, JSON.stringify(stored));
    const drifted = await action("drift", { eventName: "schedule" });
    expect(drifted.failed).toBe(true);
    expect(drifted.outputs["has-changes"]).toBe("true");
    expect(drifted.annotations.at(-1)).toBe("::error::drift: Plan: 0 to create, 1 to update, 0 to delete.");
    expect(drifted.summary).toContain("❌ **Drift:**");
    expect(drifted.summary).toContain("-Edited in the console");
    await expect(drifted.summary).toMatchFileSnapshot("__snapshots__/drift.summary.md");
  });
});
