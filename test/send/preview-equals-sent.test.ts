/**
 * A preview is the message that is sent: `mailops preview --subscriber` writes the same .eml as
 * the one `mailops send` writes to the local outbox for that subscriber, but for Date and
 * Message-ID: every other header (unsubscribe, SES configuration set and tags) and the body.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { runPreview } from "../../src/cli/preview.js";
import { runSend } from "../../src/cli/send.js";
import { switchToLinkMode } from "../support/link-mode.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

const CAMPAIGN = "welcome-new-customers";
const SUBSCRIBER = "zoe+news@example.com";

let repo: ReturnType<typeof copyExampleRepo>;
beforeEach(() => {
  repo = copyExampleRepo();
  const file = (rel: string) => path.join(repo.dir, rel);
  // A name that needs an encoded subject, a reply-to and a second tag: more for the two to differ on.
  writeFileSync(
    file("subscribers/customers.jsonl"),
    `${readFileSync(file("subscribers/customers.jsonl"), "utf8")}${JSON.stringify({
      email: SUBSCRIBER,
      name: "Zoë Ünal",
      segment: "new_customers",
      preferences: [],
    })}\n`,
  );
  const campaign = file(`campaigns/${CAMPAIGN}.yaml`);
  writeFileSync(
    campaign,
    readFileSync(campaign, "utf8")
      .replace(/^tags: .*$/m, "tags: { campaign: welcome-new-customers, cohort: q4 }")
      .concat("reply_to: [help@example.com]\n"),
  );
});
afterEach(() => {
  repo.cleanup();
  vi.unstubAllEnvs();
});

/** Header lines (unfolded) and body of an .eml, with the per-delivery headers left out. */
function comparable(eml: string): { headers: string[]; body: string } {
  const at = eml.indexOf("\r\n\r\n");
  const headers = eml
    .slice(0, at)
    .replace(/\r\n[ \t]/g, " ")
    .split("\r\n")
    .filter((h) => !/^(Date|Message-ID):/i.test(h));
  return { headers, body: eml.slice(at + 4) };
}

async function sentAndPreviewed(): Promise<{ sent: string; preview: string }> {
  expect(await runApply({ dir: repo.dir, target: "local" }, captureIo())).toBe(0);
  const io = captureIo();
  expect(await runSend({ dir: repo.dir, target: "local", campaign: CAMPAIGN }, io), io.errText).toBe(0);
  const outbox = path.join(repo.dir, ".mailops/outbox", CAMPAIGN);
  const sent = readdirSync(outbox)
    .filter((f) => f.endsWith(".eml"))
    .map((f) => readFileSync(path.join(outbox, f), "utf8"))
    .filter((eml) => /^To: zoe\+news@example\.com$/m.test(eml));
  expect(sent).toHaveLength(1);
  const out = path.join(repo.dir, "pv");
  const p = captureIo();
  expect(await runPreview({ dir: repo.dir, name: CAMPAIGN, subscriber: SUBSCRIBER, out }, p), p.errText).toBe(
    0,
  );
  return { sent: sent[0] as string, preview: readFileSync(path.join(out, `${CAMPAIGN}.eml`), "utf8") };
}

describe("the preview .eml of a campaign for a subscriber is the sent .eml", () => {
  it("ses-list mode: SES's unsubscribe URL and headers, configuration set and tags", async () => {
    const { sent, preview } = await sentAndPreviewed();
    expect(comparable(preview)).toEqual(comparable(sent));
    const { headers, body } = comparable(preview);
    expect(headers).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^List-Unsubscribe: <https:\/\/unsubscribe\.local\.invalid\/acme\/onboarding\/[\w-]+>$/,
        ),
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "X-Ses-Configuration-Set: marketing",
        "X-Ses-Message-Tag-Campaign: welcome-new-customers",
        "X-Ses-Message-Tag-Cohort: q4",
        "Reply-To: help@example.com",
      ]),
    );
    expect(body).toContain("https://unsubscribe.local.invalid/acme/onboarding/");
    // Only the two per-delivery headers differ.
    expect(preview).not.toBe(sent);
  });

  it("link mode: the signed unsubscribe link in the body and the one-click headers", async () => {
    vi.stubEnv("MAILOPS_UNSUBSCRIBE_SECRET", "a-signing-secret-of-at-least-32-bytes");
    switchToLinkMode(repo.dir);
    const { sent, preview } = await sentAndPreviewed();
    expect(comparable(preview)).toEqual(comparable(sent));
    const { headers } = comparable(preview);
    expect(headers).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^List-Unsubscribe: <https:\/\/example\.com\/unsubscribe\?t=[\w-]+\.[\w-]+>$/),
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "X-Ses-Configuration-Set: marketing",
      ]),
    );
  });
});
