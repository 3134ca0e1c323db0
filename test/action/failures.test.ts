/**
 * Every failure of the action writes a job summary saying what failed and what to do, in the
 * Action's words (a workflow, an input, a repository variable); the send lock names the workflow
 * run holding it; an empty MAILOPS_TARGET is unset.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WORKFLOW } from "../../src/action/failure.js";
import { projectStore, type TargetFactory } from "../../src/commands/context.js";
import { validateProject } from "../../src/commands/validate.js";
import { acquireLock, LOCK_KEY } from "../../src/send/lock.js";
import { describeAwsError } from "../../src/targets/aws/errors.js";
import type { Clock } from "../../src/util/clock.js";
import type { GitHubStandIn } from "./support/github-stand-in.js";
import {
  closeActionWorld,
  HEAD_SHA,
  MERGE_SHA,
  openActionWorld,
  REPOSITORY,
  RUN_ID,
  runFlow,
} from "./support/harness.js";

const NOW = new Date("2026-06-01T12:00:00Z");
const _HEAD = HEAD_SHA;
const _MERGE = MERGE_SHA;
const OTHER_RUN = `https://github.com/${REPOSITORY}/actions/runs/4242`;

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
    inputs?: Record<string, string>;
    targetFactory?: TargetFactory;
    clock?: Clock;
    env?: Record<string, string>;
  } = {},
) {
  return runFlow({ github, repo, temp }, command, { ...o, clock: o.clock ?? simulatedClock() });
}

/** Simulated time for the lock's wait: the wait itself moves it on. */
function simulatedClock(): Clock {
  let t = NOW.getTime();
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
  };
}

const store = () => projectStore(validateProject(repo.dir).project);

describe("the send lock's holder", () => {
  it("is recorded as the workflow run when the holder runs in GitHub Actions", async () => {
    const r = await action("deploy");
    expect(r.failed, r.stdout).toBe(false);
    const lock = await store().get(LOCK_KEY);
    expect(JSON.parse(lock?.body ?? "{}").run).toBe(
      `https://github.com/${REPOSITORY}/actions/runs/${RUN_ID}`,
    );
  });

  it("is shown as a link to its workflow run: a scheduled send passes with the note", async () => {
    const clock = simulatedClock();
    const lease = await acquireLock(store(), { command: "deploy", now: clock.now, run: OTHER_RUN });
    try {
      const r = await action("send", { clock });
      expect(r.failed, r.stdout).toBe(false);
      expect(r.summary).toContain(
        `⏳ another mailops run is sending: the send lock is held by [workflow run 4242](${OTHER_RUN}) (deploy) since 2026-06-01 12:00 UTC`,
      );
      expect(r.annotations.join("\n")).toContain(`held by workflow run ${OTHER_RUN} (deploy)`);
    } finally {
      await lease.release();
    }
  });

  it("a manual send of one campaign fails with a summary: the holder's link and the workflow to run again", async () => {
    const clock = simulatedClock();
    const lease = await acquireLock(store(), { command: "send", now: clock.now, run: OTHER_RUN });
    try {
      const r = await action("send", { inputs: { campaign: "holiday-promo", "send-early": "true" }, clock });
      expect(r.failed).toBe(true);
      expect(r.summary).toContain("### ❌ mailops send failed");
      expect(r.summary).toContain(`the send lock is held by [workflow run 4242](${OTHER_RUN}) (send)`);
      expect(r.summary).toContain(
        "**What to do:** Wait for that run to finish, then run the **Scheduled send** workflow again (Actions → Scheduled send → Run workflow) with the same `campaign` input.",
      );
      expect(r.annotations.at(-1)).toContain(`held by workflow run ${OTHER_RUN}`);
    } finally {
      await lease.release();
    }
  });

  it("without a run (the command line), is its host and process", async () => {
    const clock = simulatedClock();
    const lease = await acquireLock(store(), { command: "send", now: clock.now });
    try {
      const r = await action("send", { inputs: { campaign: "holiday-promo", "send-early": "true" }, clock });
      expect(r.failed).toBe(true);
      expect(r.summary).toMatch(/the send lock is held by `[^`]+:\d+:[a-z0-9]+` \(send\)/);
    } finally {
      await lease.release();
    }
  });
});

describe("a failure writes a job summary saying what to do", () => {
  it.each(["pr", "deploy", "send", "drift"])(
    "%s in a working directory that does not exist",
    async (command) => {
      const r = await action(command, { inputs: { "working-directory": "campaigns-repo" } });
      expect(r.failed).toBe(true);
      expect(r.summary).toContain(`### ❌ mailops ${command} failed`);
      expect(r.summary).toContain("campaigns-repo is not a directory");
      expect(r.summary).toContain(
        "**What to do:** Set the action's `working-directory` input to the folder that holds mailops.yaml, relative to the repository root (it is `campaigns-repo` now).",
      );
      expect(r.summary).not.toContain("--dir");
    },
  );

  it("a working directory without mailops.yaml: the finding names the input, not --dir", async () => {
    const r = await action("deploy", { inputs: { "working-directory": "campaigns" } });
    expect(r.failed).toBe(true);
    expect(r.summary).toContain("file/missing");
    expect(r.summary).toContain("set the action's `working-directory` input");
    expect(r.summary).not.toContain("--dir");
  });

  it.each([
    ["pr", "MAILOPS_PLAN_ROLE_ARN", "Pull request"],
    ["deploy", "MAILOPS_DEPLOY_ROLE_ARN", "Deploy"],
    ["send", "MAILOPS_SEND_ROLE_ARN", "Scheduled send"],
    ["drift", "MAILOPS_DRIFT_ROLE_ARN", "Drift"],
  ])(
    "%s without AWS credentials names the role variable of its workflow",
    async (command, variable, workflow) => {
      if (command === "send") {
        // send opens the target only with something due: make the scheduled campaign due.
        const file = path.join(repo.dir, "campaigns/holiday-promo.yaml");
        writeFileSync(
          file,
          readFileSync(file, "utf8").replace(/send_at: .*/, "send_at: 2026-06-01T11:00:00Z"),
        );
      }
      const r = await action(command, {
        targetFactory: async () => {
          throw describeAwsError(
            { name: "CredentialsProviderError", message: "Could not load credentials" },
            undefined,
          );
        },
      });
      expect(r.failed).toBe(true);
      expect(r.summary).toContain("no AWS credentials found for the aws target");
      expect(r.summary).toContain(
        `the **${workflow}** workflow's credentials step runs only when the repository variable \`${variable}\` is set`,
      );
      expect(r.summary).not.toContain("--target");
    },
  );

  it.each(["pr", "deploy", "send", "drift"])(
    "%s refuses local state with the aws target, with a summary and its remedy",
    async (command) => {
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
      expect(r.summary).toContain("the state store is `.mailops/state`, on this job's disk");
      expect(r.summary).toContain("state: s3://BUCKET/PREFIX");
      expect(r.annotations.join("\n")).toContain("state: s3://BUCKET/PREFIX");
    },
  );

  it("pr and drift say why local state misleads a plan", async () => {
    const r = await action("drift", { inputs: { target: "aws" } });
    expect(r.summary).toContain("this plan would read an empty inventory");
  });

  it("an unknown command", async () => {
    const r = await action("plan");
    expect(r.failed).toBe(true);
    expect(r.summary).toContain("### ❌ mailops failed");
    expect(r.summary).toContain("unknown command `plan`");
    expect(r.summary).toContain(
      "**What to do:** Set the action's `command` to one of: pr, deploy, send, drift.",
    );
  });

  it("a failure after the flow's own summary is added below it, once", async () => {
    const r = await action("deploy", {
      targetFactory: async () => {
        throw new Error("disk on fire");
      },
    });
    expect(r.failed).toBe(true);
    expect(r.summary).toContain("### ❌ mailops deploy failed");
    expect(r.summary).toContain("internal error: Error: disk on fire");
    expect(r.summary.match(/mailops deploy failed/g)).toHaveLength(1);
  });
});

describe("the workflows a remedy names", () => {
  it("exist under those names, running that command with that role variable", () => {
    const dir = path.join(import.meta.dirname, "../../.github/workflows");
    const files = readdirSync(dir).map((f) => readFileSync(path.join(dir, f), "utf8"));
    for (const [command, { name, role }] of Object.entries(WORKFLOW)) {
      const file = files.find((text) => text.match(/^name: (.+)$/m)?.[1] === name);
      expect(file, name).toBeDefined();
      expect(file).toContain(`command: ${command}`);
      expect(file).toContain(`role-to-assume: \${{ vars.${role} }}`);
    }
  });
});

describe("MAILOPS_TARGET", () => {
  it("empty, as a workflow's unset repository variable gives it, falls back to mailops.yaml", async () => {
    const r = await action("pr", { env: { MAILOPS_TARGET: "" } });
    expect(r.failed, r.stdout).toBe(false);
    expect(github.comments[0]?.body).toContain("on `local`");
  });

  it("an unknown value names the input and the variable to set", async () => {
    const r = await action("drift", { env: { MAILOPS_TARGET: "awz" } });
    expect(r.failed).toBe(true);
    expect(r.summary).toContain("unknown target `awz`");
    expect(r.summary).toContain(
      "**What to do:** Set the action's `target` input (in the workflows, the repository variable `MAILOPS_TARGET`; empty: `target:` in mailops.yaml) to `local` or `aws`.",
    );
  });
});
