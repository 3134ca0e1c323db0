/**
 * `command: pr` on the aws target, against the emulators behind the SES router (templates,
 * configuration sets, contact lists, CloudWatch) and aws-sdk-client-mock for what neither emulates
 * (suppression list, topic opt-outs, event destinations, account): the comment's plan and send
 * forecast come from SES-like answers, and match what `mailops send --dry-run` says.
 */

import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import {
  CreateEmailIdentityCommand,
  ListContactsCommand,
  ListSuppressedDestinationsCommand,
  SESv2Client,
} from "@aws-sdk/client-sesv2";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseMarker } from "../../src/action/marker.js";
import { runApply } from "../../src/cli/apply.js";
import { runSend } from "../../src/cli/send.js";
import { PRODUCTION_ACCOUNT, useAwsWorld } from "../support/aws-world.js";
import { simulatedClock } from "../support/clock.js";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, motoS3, useEmulators } from "../support/emulators.js";
import { captureIo } from "../support/repo.js";
import type { GitHubStandIn } from "./support/github-stand-in.js";
import {
  closeActionWorld,
  openActionWorld,
  pullRequestEvent,
  RecordingUploader,
  runAction,
} from "./support/harness.js";

const emulators = useEmulators({ sesRouter: true });
// A healthy production account with a verified identity (made outside mailops, verified by SES:
// the stand-in's verdict over moto's): the plan carries no account warning.
const unemulated = useAwsWorld(emulators, { account: PRODUCTION_ACCOUNT });
const NOW = new Date("2026-06-01T12:00:00Z");
const SHA = "0123456789abcdef0123456789abcdef01234567";
const BOT = "github-actions[bot]";

let github: GitHubStandIn;
let repo: { dir: string; cleanup: () => void };
let temp: string;

beforeEach(async () => {
  await new SESv2Client({
    region: EMULATOR_REGION,
    endpoint: emulators.sesRouter.endpoint,
    credentials: EMULATOR_CREDENTIALS,
  }).send(new CreateEmailIdentityCommand({ EmailIdentity: "example.com" }));
  emulators.sesRouter.calls.length = 0;
  unemulated.identity = { VerifiedForSendingStatus: true };
  ({ github, repo, temp } = await openActionWorld());
  // A pull request's plan on aws reads the inventory from S3, as in GitHub (it refuses local state).
  const s3 = motoS3(emulators.moto.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: "mailops-pr-state" }));
  s3.destroy();
  const settings = path.join(repo.dir, "mailops.yaml");
  writeFileSync(
    settings,
    readFileSync(settings, "utf8")
      .replace(/^state: .*$/m, "state: s3://mailops-pr-state/acme")
      // The identity is the one made outside mailops above: the copy declares none.
      .replace(/\nidentities:\n(?: {2}.*\n)+/, "\n"),
  );
});
afterEach(async () => {
  await closeActionWorld({ github, repo, temp });
});

const pr = (number: number) =>
  runAction({
    workspace: repo.dir,
    inputs: { command: "pr", target: "aws" },
    eventName: "pull_request",
    event: pullRequestEvent(number, SHA),
    apiUrl: github.url,
    sha: SHA,
    runnerTemp: temp,
    deps: { clock: simulatedClock(NOW), artifacts: new RecordingUploader() },
  });

const comment = (issue: number) =>
  github.comments.find((c) => c.issue === issue && c.login === BOT)?.body ?? "";
const write = (rel: string, text: string) => writeFileSync(path.join(repo.dir, rel), text);
const read = (rel: string) => readFileSync(path.join(repo.dir, rel), "utf8");
/** SES operations that change something: a pull request's run must make none. */
const WRITES = /^(Create|Update|Delete|Put|Send|Tag|Untag)/;

describe("the pull-request comment on the aws target", () => {
  it("plans against SES and counts the audience without SES's suppressed and opted-out addresses", async () => {
    unemulated.suppressed = ["subscriber3@EXAMPLE.com"];
    unemulated.optedOut.set("promotions", ["subscriber2@example.com"]);
    const r = await pr(7);
    expect(r.failed, r.stdout + r.stderr).toBe(false);
    const body = comment(7);
    expect(parseMarker(body)?.mode).toBe("live");
    const lines = body.split("\n");
    expect(lines[1]).toBe("### 📬 mailops plan · `acme-marketing` on `aws`");
    expect(lines[3]).toBe("- **Changes:** Plan: 11 to create, 0 to update, 0 to delete.");
    expect(lines[4]).toBe(
      "- **Sends:** on merge `welcome-new-customers` → 1 recipient; scheduled `holiday-promo` at 2026-12-01 09:00 UTC → 0 recipients, `weekly-newsletter` at 2027-01-04 08:00 UTC → 0 recipients",
    );
    expect(body).toContain("| `welcome-new-customers` | on merge | `new-customers` | 1 | 1 suppressed |");
    expect(body).toContain("| 0 | 1 suppressed |");
    // Nothing is on SES yet: counted with the repository's templates, and the comment says so.
    expect(body).toContain(
      "- `welcome-new-customers`: recipients checked against template `welcome-campaign` from this repository (not on the target yet",
    );
    expect(body).not.toContain("> ⚠️");
    // The forecast asked SES: the account suppression list, and the opt-outs of each campaign's topic.
    expect(unemulated.calls(ListSuppressedDestinationsCommand).length).toBeGreaterThan(0);
    const optOut = (topic: string) => ({
      ContactListName: "acme",
      Filter: {
        FilteredStatus: "OPT_OUT",
        TopicFilter: { TopicName: topic, UseDefaultIfPreferenceUnavailable: true },
      },
    });
    // Each topic's opt-outs once, in the order its first campaign comes by name: holiday-promo and
    // weekly-newsletter (promotions), then welcome-new-customers (onboarding).
    expect(unemulated.calls(ListContactsCommand)).toEqual([
      expect.objectContaining(optOut("promotions")),
      expect.objectContaining(optOut("onboarding")),
    ]);
    const reads = emulators.sesRouter.calls.map((c) => c.operation);
    expect(reads).toContain("GetEmailTemplate");
    expect(reads.filter((o) => WRITES.test(o))).toEqual([]);
    for (const a of ["subscriber1@", "subscriber2@", "subscriber3@"]) {
      expect(body).not.toContain(a);
      expect(r.summary).not.toContain(a);
    }
  });

  it("diffs a changed template against SES's copy and counts with the pull request's version, as `send --dry-run` does", async () => {
    expect(await runApply({ dir: repo.dir, target: "aws" }, captureIo())).toBe(0);
    // A subscriber whose preferences hold markup: only a template that writes them into HTML skips
    // the address (the text part takes any value).
    write(
      "subscribers/customers.jsonl",
      `${read("subscribers/customers.jsonl").trimEnd()}\n${JSON.stringify({ email: "subscriber4@example.com", name: "Ann Lee", segment: "new_customers", preferences: ["<b>vip</b>"] })}\n`,
    );
    write(
      "templates/welcome-campaign.txt",
      read("templates/welcome-campaign.txt").replace(
        "Best regards,",
        "Your interests: {{#each preferences}}{{this}} {{/each}}\n\nBest regards,",
      ),
    );
    write(
      "templates/welcome-campaign.html",
      read("templates/welcome-campaign.html").replace(
        "<p>Best regards,",
        "<p>Your interests: {{#each preferences}}{{this}} {{/each}}</p>\n    <p>Best regards,",
      ),
    );
    write(
      "templates/welcome-campaign.yaml",
      `${read("templates/welcome-campaign.yaml")}  preferences: [books]\n`,
    );
    emulators.sesRouter.calls.length = 0;

    const r = await pr(7);
    expect(r.failed, r.stdout + r.stderr).toBe(false);
    const body = comment(7);
    expect(body).toContain("- **Changes:** Plan: 0 to create, 1 to update, 0 to delete.");
    expect(body).toContain("| ✏️ update | template | `welcome-campaign` | html, text |");
    expect(body).toContain("+Your interests: {{#each preferences}}{{this}} {{/each}}");
    expect(body).toContain(
      "| `welcome-new-customers` | on merge | `new-customers` | 2 | 1 skipped (unsafe value in field preferences (html text)) |",
    );
    expect(body).toContain(
      "- `welcome-new-customers`: recipients checked against template `welcome-campaign` as changed here (deploy applies it before sending)",
    );
    expect(emulators.sesRouter.calls.map((c) => c.operation).filter((o) => WRITES.test(o))).toEqual([]);
    expect(body).not.toContain("subscriber4@");

    // The command line's dry run is the same forecast: same counts, and the same template note.
    const dry = captureIo();
    expect(
      await runSend({ dir: repo.dir, target: "aws", due: true, dryRun: true, now: NOW.toISOString() }, dry),
    ).toBe(0);
    expect(dry.outText).toContain(
      "welcome-new-customers: on-merge\n  audience 3, excluded 0, suppressed 0, duplicates 0, invalid rows 0\n  skipped: 1 unsafe value in field preferences (html text)\n  would send 2\n",
    );
    expect(dry.outText).toContain(
      "render check: the repository's template welcome-campaign, differs from the aws target's",
    );
    expect(dry.outText).not.toContain("@example.com");

    // Sending itself still refuses a template SES does not have yet, and sends nothing.
    const real = captureIo();
    expect(await runSend({ dir: repo.dir, target: "aws", campaign: "welcome-new-customers" }, real)).toBe(1);
    expect(real.outText).toContain(
      "template welcome-campaign on the aws target differs from the repository; run `mailops apply` first",
    );
    expect(emulators.sesRouter.calls.filter((c) => c.operation.startsWith("Send"))).toEqual([]);
  });
});
