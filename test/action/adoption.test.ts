/**
 * A fresh repository on GitHub, before AWS is set up (no MAILOPS_TARGET: mailops.yaml's `local`):
 * deploy, the scheduled send and drift validate and plan, send nothing, and pass with a notice
 * saying what to set up.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { simulatedClock } from "../support/clock.js";
import type { GitHubStandIn } from "./support/github-stand-in.js";
import {
  closeActionWorld,
  openActionWorld,
  REPOSITORY,
  RecordingUploader,
  runAction,
} from "./support/harness.js";

const MERGE = "fedcba9876543210fedcba9876543210fedcba98";

let github: GitHubStandIn;
let repo: { dir: string; cleanup: () => void };
let temp: string;

beforeEach(async () => {
  ({ github, repo, temp } = await openActionWorld());
});
afterEach(() => closeActionWorld({ github, repo, temp }));

function action(command: string, eventName: string, now: Date, env: Record<string, string> = {}) {
  return runAction({
    workspace: repo.dir,
    inputs: { command, target: "" },
    eventName,
    event: { ref: "refs/heads/main", after: MERGE, repository: { full_name: REPOSITORY } },
    apiUrl: github.url,
    sha: MERGE,
    runnerTemp: temp,
    env: { MAILOPS_TARGET: "", ...env },
    deps: { clock: simulatedClock(now), artifacts: new RecordingUploader() },
  });
}

/** Every `.eml` file in the local outbox, whatever the campaign. */
function outboxFiles(): string[] {
  const dir = path.join(repo.dir, ".mailops/outbox");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".eml"));
}

const NOTICE = "AWS is not set up for this repository yet";

describe("a fresh repository's first push, before AWS is set up", () => {
  it("deploys, sends and checks drift green, with the notice, and sends nothing across three deploys", async () => {
    for (const at of ["2026-06-01T12:00:00Z", "2026-06-01T12:10:00Z", "2026-06-02T08:00:00Z"]) {
      const r = await action("deploy", "push", new Date(at));
      expect(r.failed, r.stdout).toBe(false);
      expect(
        r.annotations.some((a) =>
          a.startsWith("::notice title=mailops%3A not sending yet::AWS is not set up"),
        ),
      ).toBe(true);
      expect(r.summary).toContain(NOTICE);
      expect(r.summary).toContain("docs/github-setup.md");
      expect(r.summary).toContain("`mailops bootstrap`");
      expect(r.summary).toContain("`MAILOPS_TARGET` to `aws`");
      expect(r.summary).toContain("`MAILOPS_DEPLOY_ROLE_ARN`");
      expect(r.summary).toContain("#### Plan (not applied)");
      expect(r.summary).not.toContain("#### Sends");
      expect(r.outputs).toMatchObject({ "has-changes": "true", sent: "0", failed: "0" });
      expect(outboxFiles()).toEqual([]);
    }
    // The holiday promotion's send_at has come: still nothing sent.
    const send = await action("send", "schedule", new Date("2026-12-01T09:05:00Z"));
    expect(send.failed, send.stdout).toBe(false);
    expect(send.summary).toContain(NOTICE);
    expect(send.summary).toContain("Dry run: nothing is sent or recorded.");
    expect(send.outputs).toMatchObject({ sent: "0", failed: "0" });
    const drift = await action("drift", "schedule", new Date("2026-12-01T06:17:00Z"));
    expect(drift.failed, drift.stdout).toBe(false);
    expect(drift.summary).toContain(NOTICE);
    expect(drift.outputs["has-changes"]).toBe("false");
    expect(outboxFiles()).toEqual([]);
    expect(existsSync(path.join(repo.dir, ".mailops/state/inventory.json"))).toBe(false);
  });

  it("acts once the repository variable MAILOPS_TARGET chooses a target", async () => {
    const r = await action("deploy", "push", new Date("2026-06-01T12:00:00Z"), { MAILOPS_TARGET: "local" });
    expect(r.failed, r.stdout).toBe(false);
    expect(r.summary).not.toContain(NOTICE);
    expect(r.outputs).toMatchObject({ sent: "2" });
    expect(outboxFiles()).toHaveLength(2);
  });
});
