/**
 * `command: pr` end to end: the real validate, plan (local target) and send forecast, the sticky
 * comment against the GitHub stand-in, annotations and the job summary. Only the artifact upload
 * is replaced (GitHub's artifact service has no local emulator).
 */

import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { COMMENT_LIMIT } from "../../src/action/markdown.js";
import { formatMarker, parseMarker } from "../../src/action/marker.js";
import { runApply } from "../../src/cli/apply.js";
import type { TargetFactory } from "../../src/commands/context.js";
import { TargetError } from "../../src/errors.js";
import { simulatedClock } from "../support/clock.js";
import { captureIo, exampleAddresses, expectNoAddress } from "../support/repo.js";
import type { GitHubStandIn } from "./support/github-stand-in.js";
import {
  closeActionWorld,
  openActionWorld,
  pullRequestEvent,
  RecordingUploader,
  runAction,
} from "./support/harness.js";

const NOW = new Date("2026-06-01T12:00:00Z");
const SHA = "0123456789abcdef0123456789abcdef01234567";
const BOT = "github-actions[bot]";

let github: GitHubStandIn;
let repo: { dir: string; cleanup: () => void };
let temp: string;

beforeEach(async () => {
  ({ github, repo, temp } = await openActionWorld());
});
afterEach(() => closeActionWorld({ github, repo, temp }));

function pr(
  number: number,
  extra: {
    fork?: boolean;
    uploader?: RecordingUploader;
    workingDirectory?: string;
    targetFactory?: TargetFactory;
    env?: Record<string, string>;
  } = {},
) {
  return runAction({
    workspace: repo.dir,
    inputs: {
      command: "pr",
      ...(extra.workingDirectory ? { "working-directory": extra.workingDirectory } : {}),
    },
    eventName: "pull_request",
    event: pullRequestEvent(number, SHA, extra.fork),
    apiUrl: github.url,
    sha: SHA,
    runnerTemp: temp,
    ...(extra.env ? { env: extra.env } : {}),
    deps: {
      clock: simulatedClock(NOW),
      artifacts: extra.uploader ?? new RecordingUploader(),
      ...(extra.targetFactory ? { targetFactory: extra.targetFactory } : {}),
      // A fork's run must never reach a live target: fail loudly if it tries.
      ...(extra.fork
        ? {
            targetFactory: async () => {
              throw new Error("a fork's run opened a target");
            },
          }
        : {}),
    },
  });
}

/** Apply the example to the local target, so a later edit shows as an update. */
async function applyExample(): Promise<void> {
  const code = await runApply({ dir: repo.dir, target: "local" }, captureIo());
  expect(code).toBe(0);
}

function editWelcomeText(): void {
  const file = path.join(repo.dir, "templates/welcome-campaign.txt");
  writeFileSync(file, readFileSync(file, "utf8").replace("Use code WELCOME10", "Use code WELCOME15"));
}

const botComments = (issue: number) => github.comments.filter((c) => c.issue === issue && c.login === BOT);

describe("the sticky comment", () => {
  it("is created by the first run and updated in place by the second", async () => {
    const first = await pr(7);
    expect(first.failed).toBe(false);
    expect(github.writes().map((r) => r.method)).toEqual(["POST"]);
    expect(botComments(7)).toHaveLength(1);
    const id = botComments(7)[0]?.id;

    editWelcomeText();
    const second = await pr(7);
    expect(second.failed).toBe(false);
    const writes = github.writes();
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /repos/acme/campaigns/issues/7/comments",
      `PATCH /repos/acme/campaigns/issues/comments/${id}`,
    ]);
    expect(botComments(7)).toHaveLength(1);
    expect(botComments(7)[0]?.body).toContain("WELCOME15");
  });

  it("is not rewritten when nothing changed", async () => {
    await pr(7);
    await pr(7);
    expect(github.writes().map((r) => r.method)).toEqual(["POST"]);
  });

  it("is not rewritten by a re-run whose only difference is the footer's run and artifact links", async () => {
    await pr(7);
    const before = botComments(7)[0]?.body ?? "";
    // Another run of the same commit: its footer links another run and another artifact.
    const again = await pr(7, { env: { GITHUB_RUN_ID: "9002", GITHUB_RUN_ATTEMPT: "2" } });
    expect(again.failed).toBe(false);
    expect(github.writes().map((r) => r.method)).toEqual(["POST"]);
    expect(botComments(7)[0]?.body).toBe(before);
    expect(again.summary).toContain("Plan comment unchanged");
    // A change in what it says is written.
    editWelcomeText();
    await pr(7, { env: { GITHUB_RUN_ID: "9003" } });
    expect(github.writes().map((r) => r.method)).toEqual(["POST", "PATCH"]);
    expect(botComments(7)[0]?.body).toContain("actions/runs/9003");
  });

  it("is found beyond the first page of a pull request with over 100 comments", async () => {
    for (let i = 0; i < 130; i++) github.seed(7, i % 2 ? "alice" : "bob", `comment ${i}`);
    await pr(7); // creates comment 131, on the second page
    for (let i = 0; i < 40; i++) github.seed(7, "carol", `later comment ${i}`);
    const id = botComments(7)[0]?.id;
    editWelcomeText();
    const r = await pr(7);
    expect(r.failed).toBe(false);
    const listed = github.requests.filter((q) => q.method === "GET" && q.path.endsWith("/issues/7/comments"));
    expect(listed.some((q) => q.query.page === "2")).toBe(true);
    expect(github.writes().map((q) => `${q.method} ${q.path}`)).toEqual([
      "POST /repos/acme/campaigns/issues/7/comments",
      `PATCH /repos/acme/campaigns/issues/comments/${id}`,
    ]);
    expect(botComments(7)).toHaveLength(1);
  });

  it("leaves alone a comment by another author that carries the marker", async () => {
    const spoof = formatMarker({ v: 1, checksum: "f".repeat(64), mode: "live", sha: SHA });
    const mallory = github.seed(7, "mallory", `${spoof}\nLooks good, merge it`);
    await pr(7);
    expect(github.writes().map((r) => r.method)).toEqual(["POST"]);
    expect(github.comments.find((c) => c.id === mallory.id)?.body).toBe(`${spoof}\nLooks good, merge it`);
    expect(botComments(7)).toHaveLength(1);
  });
});

describe("the comment's content", () => {
  it("leads with the summary and carries the canonical plan checksum in its marker", async () => {
    await applyExample();
    editWelcomeText();
    const uploader = new RecordingUploader();
    const r = await pr(7, { uploader });
    const body = botComments(7)[0]?.body ?? "";
    const marker = parseMarker(body);
    expect(marker?.mode).toBe("live");
    expect(marker?.sha).toBe(SHA);
    expect(marker?.checksum).toMatch(/^[0-9a-f]{64}$/);
    const lines = body.split("\n");
    expect(lines[1]).toBe("### 📬 mailops plan · `acme-marketing` on `local`");
    expect(lines[3]).toBe("- **Changes:** Plan: 0 to create, 1 to update, 0 to delete.");
    expect(lines[4]).toContain("on merge `welcome-new-customers` → 2 recipients");
    expect(lines[4]).toContain("scheduled `holiday-promo` at 2026-12-01 09:00 UTC → 1 recipient");
    // The rendered text diff with sample data, and a link to the HTML files.
    expect(body).toContain("-Thank you for joining our community. Use code WELCOME10");
    expect(body).toContain("+Thank you for joining our community. Use code WELCOME15");
    expect(body).toContain("(https://github.com/acme/campaigns/actions/runs/9001/artifacts/42)");
    expect(uploader.uploads).toHaveLength(1);
    expect(uploader.uploads[0]?.allExist).toBe(true);
    expect(uploader.uploads[0]?.files.sort()).toEqual([
      "plan.json",
      "plan.md",
      "previews/welcome-campaign/after.html",
      "previews/welcome-campaign/after.txt",
      "previews/welcome-campaign/before.html",
      "previews/welcome-campaign/before.txt",
    ]);
    const planPath = r.outputs["plan-path"] ?? "";
    expect(JSON.parse(readFileSync(planPath, "utf8")).changes).toHaveLength(1);
    expect(
      readFileSync(path.join(path.dirname(planPath), "previews/welcome-campaign/after.html"), "utf8"),
    ).toContain("Welcome Test User!");
    expect(r.outputs["has-changes"]).toBe("true");
  });

  it("keeps its checksum when only the rendered text changes, and changes it with the plan", async () => {
    await pr(7);
    const first = botComments(7)[0]?.body ?? "";
    // Sample data is not sent to SES: the previews change, the plan does not.
    const yaml = path.join(repo.dir, "templates/welcome-campaign.yaml");
    writeFileSync(yaml, readFileSync(yaml, "utf8").replace("name: Test User", "name: Sample Person"));
    await pr(8);
    const second = botComments(8)[0]?.body ?? "";
    expect(second).toContain("Welcome Sample Person!");
    expect(second).not.toBe(first);
    expect(parseMarker(second)?.checksum).toBe(parseMarker(first)?.checksum);
    editWelcomeText();
    await pr(9);
    expect(parseMarker(botComments(9)[0]?.body ?? "")?.checksum).not.toBe(parseMarker(first)?.checksum);
  });

  it("never contains a subscriber's address, in the comment or the job summary", async () => {
    const r = await pr(7);
    const addresses = exampleAddresses(repo.dir);
    expectNoAddress(botComments(7)[0]?.body, addresses);
    expectNoAddress(r.summary, addresses);
  });

  it("is a short 'no changes' note when the merge changes and sends nothing", async () => {
    rmSync(path.join(repo.dir, "campaigns/holiday-promo.yaml"));
    rmSync(path.join(repo.dir, "campaigns/welcome-new-customers.yaml"));
    rmSync(path.join(repo.dir, "campaigns/weekly-newsletter.yaml"));
    await applyExample();
    const r = await pr(7);
    expect(r.failed).toBe(false);
    const body = botComments(7)[0]?.body ?? "";
    expect(body).toContain("**No changes.**");
    expect(body.length).toBeLessThan(1000);
    expect(r.outputs["has-changes"]).toBe("false");
  });

  it("stays under 65,536 characters for a 200 KB plan, with the summary intact", async () => {
    const big = "<p>{{name}}, here is a long paragraph about our products that goes on and on.</p>\n".repeat(
      40,
    );
    for (let i = 0; i < 70; i++) {
      const n = `bulk-${String(i).padStart(3, "0")}`;
      writeFileSync(
        path.join(repo.dir, `templates/${n}.yaml`),
        `subject: "Bulk {{name}} ${i}"\nhtml: ${n}.html\ntext: "Hello {{name}} ${i}\\n{{postal_address}}\\n{{amazonSESUnsubscribeUrl}}"\nsample: { name: Test }\n`,
      );
      writeFileSync(
        path.join(repo.dir, `templates/${n}.html`),
        `<html><body>${big}<p>{{postal_address}} <a href="{{amazonSESUnsubscribeUrl}}">Unsubscribe</a></p></body></html>\n`,
      );
    }
    const r = await pr(7);
    expect(r.failed, r.stdout).toBe(false);
    expect(readFileSync(r.outputs["plan-path"] ?? "", "utf8").length).toBeGreaterThan(200_000);
    const body = botComments(7)[0]?.body ?? "";
    expect(body.length).toBeLessThan(COMMENT_LIMIT);
    expect(body.length).toBeGreaterThan(40_000); // it uses the room, not a bare summary
    expect(body.split("\n").slice(1, 7).join("\n")).toContain(
      "- **Changes:** Plan: 82 to create, 0 to update, 0 to delete.",
    );
    expect(body).toContain("cut to fit the comment: see the job summary");
    expect(body.trimEnd().endsWith("this comment is updated on every push</sub>")).toBe(true);
    // Fences and folds are balanced after the cut.
    expect((body.match(/^```/gm) ?? []).length % 2).toBe(0);
    expect((body.match(/<details>/g) ?? []).length).toBe((body.match(/<\/details>/g) ?? []).length);
    // The job summary has all of it.
    expect(r.summary).toContain("create email template bulk-069");
    expect(r.summary).toContain("New template `bulk-069`");
  });
});

describe("every change is shown", () => {
  it("a template whose HTML alone changed: the rendered HTML's diff, and no other part", async () => {
    await applyExample();
    const file = path.join(repo.dir, "templates/welcome-campaign.html");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("excited to have you aboard", "glad you are here"),
    );
    const r = await pr(7);
    expect(r.failed, r.stdout).toBe(false);
    const body = botComments(7)[0]?.body ?? "";
    expect(body).toContain(
      "<summary>Changed template `welcome-campaign`: rendered with its sample data (html changed)</summary>",
    );
    expect(body).toContain("--- welcome-campaign html (live)\n+++ welcome-campaign html (this PR)");
    // Rendered with the sample data: the name is filled in, in the context lines.
    expect(body).toContain("     <h2>Welcome Test User!</h2>");
    expect(body).toContain(
      "-    <p>Thank you for joining our community. We are excited to have you aboard!</p>",
    );
    expect(body).toContain("+    <p>Thank you for joining our community. We are glad you are here!</p>");
    expect(body).not.toContain("welcome-campaign subject (live)");
    expect(body).not.toContain("welcome-campaign text (live)");
    expect(r.summary).toContain("--- welcome-campaign html (live)");
  });

  it("a dashboard change in full, as a diff of its JSON, in the comment and the job summary", async () => {
    await applyExample();
    // Someone retitles the last widget by hand: the difference is deep in a long body.
    const file = path.join(repo.dir, ".mailops/local/dashboard/email-marketing.json");
    const stored = JSON.parse(readFileSync(file, "utf8"));
    const body = typeof stored.spec.body === "string" ? JSON.parse(stored.spec.body) : stored.spec.body;
    const last = body.widgets[body.widgets.length - 1];
    const title = last.properties.title;
    last.properties.title = "Edited in the console";
    stored.spec.body = typeof stored.spec.body === "string" ? JSON.stringify(body) : body;
    writeFileSync(file, JSON.stringify(stored));
    const r = await pr(7);
    expect(r.failed, r.stdout).toBe(false);
    const comment = botComments(7)[0]?.body ?? "";
    for (const text of [comment, r.summary]) {
      expect(text).toContain("update CloudWatch dashboard email-marketing: body");
      expect(text).toContain('-        "title": "Edited in the console",');
      expect(text).toContain(`+        "title": "${title}",`);
      expect(text).not.toContain("…");
    }
  });

  it("the validation-failure comment gives each error's hint, and the footer with the job summary's link", async () => {
    writeFileSync(
      path.join(repo.dir, "campaigns/broken.yaml"),
      "template: welcome-campaing\nto: new-customers\nsend_at: on-merge\n",
    );
    const r = await pr(7);
    expect(r.failed).toBe(true);
    const body = botComments(7)[0]?.body ?? "";
    expect(body).toContain(
      "| `campaigns/broken.yaml:1:11` | `campaign/unknown-template` | template `welcome-campaing` does not exist (hint: did you mean `welcome-campaign`?) |",
    );
    expect(body).toContain(
      "<sub>Checked 0123456 · no plan · every finding and error: [job summary](https://github.com/acme/campaigns/actions/runs/9001) · this comment is updated on every push</sub>",
    );
  });
});

describe("the schedule at a glance", () => {
  it("charts the coming month's sends in the comment and the job summary, with recipient counts", async () => {
    const file = path.join(repo.dir, "campaigns/holiday-promo.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/send_at: .*/, "send_at: 2026-06-10T09:00:00Z"));
    const r = await pr(7);
    expect(r.failed, r.stdout).toBe(false);
    const chart = [
      "```mermaid",
      "gantt",
      "  title Sends from 2026-06-01 to 2026-07-01 (UTC)",
      "  dateFormat YYYY-MM-DD HH:mm",
      "  axisFormat %b %d",
      "  todayMarker off",
      "  section On merge",
      "  welcome-new-customers · 2 recipients :2026-06-01 12:00, 1d",
      "  section Scheduled",
      "  holiday-promo · 1 recipient :2026-06-10 09:00, 1d",
      "```",
    ].join("\n");
    expect(botComments(7)[0]?.body).toContain(chart);
    expect(r.summary).toContain(chart);
  });
});

describe("a pull request from a fork", () => {
  it("validates and plans against the desired state only, and says so", async () => {
    const r = await pr(7, { fork: true });
    expect(r.failed, r.stdout).toBe(false);
    const body = botComments(7)[0]?.body ?? "";
    expect(parseMarker(body)?.mode).toBe("desired-only");
    expect(body).toContain("From a fork: planned against the desired state only.");
    expect(body).toContain("- **Changes:** Plan: 12 to create, 0 to update, 0 to delete.");
    expect(body).toContain("counts are before suppression");
    expect(r.summary).toContain("From a fork");
  });

  it("does not fail when the fork's read-only token may not comment", async () => {
    github.setReadOnly(true);
    const r = await pr(7, { fork: true });
    expect(r.failed).toBe(false);
    expect(github.comments).toHaveLength(0);
    expect(r.annotations.some((a) => a.startsWith("::warning::this fork's token may not comment"))).toBe(
      true,
    );
    expect(r.summary).toContain("No comment: a pull request from a fork gets a read-only token.");
    expect(r.summary).toContain("- **Changes:** Plan: 12 to create");
  });

  it("passes with a notice in the summary when a same-repository run's token may not comment (Dependabot)", async () => {
    github.setReadOnly(true);
    const r = await pr(7);
    expect(r.failed, r.stdout).toBe(false);
    expect(github.comments).toHaveLength(0);
    expect(r.annotations.some((a) => a.startsWith("::notice::this run's token may not comment"))).toBe(true);
    expect(r.annotations.some((a) => a.startsWith("::error"))).toBe(false);
    expect(r.summary).toContain(
      "> [!NOTE]\n> No comment: this run's token may not comment on the pull request (HTTP 403",
    );
    expect(r.summary).toContain("Pull requests opened by Dependabot");
    expect(r.summary).toContain("- **Changes:** Plan: 12 to create");
  });

  it.each([
    [500, "Server Error"],
    [403, "You have exceeded a secondary rate limit"],
  ])(
    "fails, with the summary written, when posting the comment fails with %i %s",
    async (status, message) => {
      github.failWrites(status, message);
      const r = await pr(7);
      expect(r.failed).toBe(true);
      expect(r.annotations.join("\n")).toContain("could not post the plan comment");
      expect(r.summary).toContain("- **Changes:** Plan: 12 to create");
    },
  );
});

describe("a plan that cannot be made", () => {
  it("replaces the last plan in the comment with the error, and fails the step", async () => {
    await pr(7);
    const r = await pr(7, {
      targetFactory: async () => {
        throw new TargetError(
          "could not read SES: AccessDenied",
          "check the plan role's permissions (docs/iam.md)",
        );
      },
    });
    expect(r.failed).toBe(true);
    expect(r.annotations.at(-1)).toBe(
      "::error::could not read SES: AccessDenied%0Ahint: check the plan role's permissions (docs/iam.md)",
    );
    expect(botComments(7)).toHaveLength(1);
    const body = botComments(7)[0]?.body ?? "";
    expect(parseMarker(body)?.checksum).toBe("none");
    expect(body).toContain("mailops plan failed");
    expect(body).toContain("could not read SES: AccessDenied");
    expect(body).not.toContain("- **Changes:**");
    expect(r.summary).toContain("could not read SES: AccessDenied");
  });
});

describe("validation errors", () => {
  function invalidWorkspace(): void {
    // The project sits in a subfolder, so annotation paths must be made relative to the workspace.
    mkdirSync(path.join(repo.dir, "config"));
    cpSync(
      path.join(import.meta.dirname, "../fixtures/invalid/many-problems"),
      path.join(repo.dir, "config"),
      {
        recursive: true,
      },
    );
    rmSync(path.join(repo.dir, "config/expected.txt"));
  }

  it("become annotations (at most 10 per kind) and fail the step; the summary lists them all", async () => {
    invalidWorkspace();
    const r = await pr(7, { workingDirectory: "config" });
    expect(r.failed).toBe(true);
    const errors = r.annotations.filter((a) => a.startsWith("::error"));
    // 9 findings, one "N more" note, and setFailed's own message.
    expect(errors).toHaveLength(11);
    expect(errors[9]).toContain("2 more errors not shown as annotations");
    expect(errors.slice(0, 9).every((a) => a.includes("file=config/"))).toBe(true);
    expect(r.annotations).toMatchSnapshot();
    expect((r.summary.match(/\| ❌ error \|/g) ?? []).length).toBe(11);
    await expect(r.summary).toMatchFileSnapshot("__snapshots__/pr-invalid.summary.md");
    const body = botComments(7)[0]?.body ?? "";
    expect(parseMarker(body)?.checksum).toBe("none");
    expect(body).toContain("validation failed");
    expect(existsSync(path.join(temp, "mailops-pr-7", "plan.json"))).toBe(false);
  });
});

describe("snapshots", () => {
  it("pin the job summary and the comment of a template update", async () => {
    await applyExample();
    editWelcomeText();
    const r = await pr(7);
    expect(r.annotations).toMatchSnapshot();
    await expect(r.summary).toMatchFileSnapshot("__snapshots__/pr-update.summary.md");
    await expect(botComments(7)[0]?.body).toMatchFileSnapshot("__snapshots__/pr-update.comment.md");
  });
});
