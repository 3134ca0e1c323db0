/**
 * Sending on the aws target through a flaky network: a fault proxy (test/support/fault-proxy.ts)
 * in front of the SES router and of moto's S3 (where the state is) resets connections before and
 * after SES processed a call, answers 5xx and throttles, per operation, with fixed seeds. What
 * SES received is read back from aws-ses-v2-local's store and held against the ledger:
 * - a recipient is unknown only when its own call's outcome is unknown, and delivered at most
 *   once before --resend-unknown; after it, the duplicates are at most the inherent ones;
 * - scattered failures do not stop a run; a sustained outage does, saying what the next run
 *   does, and the next run finishes it;
 * - throttled calls are slowed down and sent again, nobody twice.
 * Time is simulated (backoff and pacing sleeps move a clock), so the file stays quick.
 */

import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { formatSendResults } from "../../src/cli/send.js";
import { runStatus } from "../../src/cli/status.js";
import { projectStore } from "../../src/commands/context.js";
import { type CampaignResult, type SendOptions, sendCampaigns, sendFailed } from "../../src/commands/send.js";
import { openSession } from "../../src/commands/session.js";
import { validateProject } from "../../src/commands/validate.js";
import { FAILED_CALLS_TO_STOP } from "../../src/send/calls.js";
import { Ledger, recipientId } from "../../src/send/ledger.js";
import { PRODUCTION_ACCOUNT, useAwsWorld, VERIFIED_IDENTITY } from "../support/aws-world.js";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, useEmulators } from "../support/emulators.js";
import {
  type FaultEvent,
  type FaultKind,
  type FaultProxy,
  type FaultRule,
  startFaultProxy,
} from "../support/fault-proxy.js";
import { recordedOutcomes } from "../support/ledger-outcomes.js";
import { switchToLinkMode } from "../support/link-mode.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

const emulators = useEmulators({ sesRouter: true });
useAwsWorld(emulators, { account: PRODUCTION_ACCOUNT, identity: VERIFIED_IDENTITY });
const CAMPAIGN = "welcome-new-customers";
const BUCKET = "mailops-faults";
/** Faults after which SES may or may not have sent: the call's recipients are unknown. */
const AMBIGUOUS: FaultKind[] = ["reset-before", "reset-after", "error-after", "truncate"];

let ses: FaultProxy;
let s3: FaultProxy;
let repo: ReturnType<typeof copyExampleRepo>;

beforeAll(async () => {
  ses = await startFaultProxy(emulators.sesRouter.endpoint, "ses");
  s3 = await startFaultProxy(emulators.moto.endpoint, "s3");
});
afterAll(async () => {
  await ses?.stop();
  await s3?.stop();
});
beforeEach(async () => {
  for (const proxy of [ses, s3]) {
    proxy.clear();
    proxy.events.length = 0;
  }
  vi.stubEnv("AWS_ENDPOINT_URL_SESV2", ses.endpoint);
  vi.stubEnv("AWS_ENDPOINT_URL_S3", s3.endpoint);
  vi.stubEnv("MAILOPS_UNSUBSCRIBE_SECRET", "test-secret-long-enough-for-hmac-sha256");
  const client = new S3Client({
    region: EMULATOR_REGION,
    endpoint: emulators.moto.endpoint,
    forcePathStyle: true,
    credentials: EMULATOR_CREDENTIALS,
  });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  client.destroy();
  repo = copyExampleRepo();
  repo.write(
    "mailops.yaml",
    repo.read("mailops.yaml").replace(/^state: .*$/m, `state: s3://${BUCKET}/state`),
  );
});
afterEach(() => repo.cleanup());

const address = (i: number) => `user${i}@example.com`;

async function setUp(n: number, mode: "ses-list" | "link") {
  if (mode === "link") switchToLinkMode(repo.dir);
  repo.subscribers(
    Array.from({ length: n }, (_, i) => ({ email: address(i), name: `User ${i}`, segment: "new_customers" })),
  );
  expect(await runApply({ dir: repo.dir, target: "aws" }, captureIo())).toBe(0);
}

/** `mailops send --campaign …` as runSend does it, on simulated time: exit code, report text, result. */
async function send(options: Partial<SendOptions> = {}) {
  let t = Date.parse("2026-06-01T12:00:00Z");
  const clock = {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
  const results: CampaignResult[] = await sendCampaigns(
    openSession({ project: validateProject(repo.dir).project, target: "aws", observe: () => {}, clock }),
    { campaign: CAMPAIGN, ...options },
  );
  return { code: sendFailed(results) ? 1 : 0, out: formatSendResults(results), result: results[0] };
}

/** Mail aws-ses-v2-local stored, per recipient: how many, and their MessageIds. */
async function delivered(): Promise<Map<string, string[]>> {
  const r = await fetch(`${emulators.sesLocal.endpoint}/store`);
  const mail = ((await r.json()) as { emails: { messageId: string; destination: { to: string[] } }[] })
    .emails;
  const out = new Map<string, string[]>();
  for (const m of mail) {
    const to = m.destination.to[0] as string;
    out.set(to, [...(out.get(to) ?? []), m.messageId]);
  }
  return out;
}

function ledgerOf(): Ledger {
  ses.clear();
  s3.clear();
  const project = validateProject(repo.dir).project;
  return new Ledger(projectStore(project), { campaign: CAMPAIGN, sendAt: "on-merge" });
}

async function ledger() {
  return ledgerOf().load();
}

const idOf = (a: string) => recipientId("acme-marketing", a);

/** The recipients of a send request the proxy saw (SendEmail: one; SendBulkEmail: its entries). */
function recipientsOf(e: FaultEvent): string[] {
  const body = JSON.parse(e.body || "{}") as {
    Destination?: { ToAddresses?: string[] };
    BulkEmailEntries?: { Destination: { ToAddresses: string[] } }[];
  };
  if (body.BulkEmailEntries) return body.BulkEmailEntries.map((x) => x.Destination.ToAddresses[0] as string);
  return body.Destination?.ToAddresses ?? [];
}

/** The recipients of calls with an ambiguous fault: all of them, and those whose call SES processed. */
function ambiguous(): { calls: number; all: Set<string>; processed: Set<string> } {
  const hit = ses.events.filter((e) => e.fault && AMBIGUOUS.includes(e.fault) && /^Send/.test(e.operation));
  return {
    calls: hit.length,
    all: new Set(hit.flatMap(recipientsOf)),
    processed: new Set(hit.filter((e) => e.forwarded).flatMap(recipientsOf)),
  };
}

const faultCount = (kind: FaultKind) => ses.events.filter((e) => e.fault === kind).length;

/**
 * Scattered faults, then --resend-unknown: per recipient, exactly what the faults allow.
 * Returns the ambiguous calls' recipients, for the caller's own checks.
 */
async function faultyRunThenResend(n: number, rules: FaultRule[], seed: number) {
  ses.set(rules, seed);
  // The state store is slowed down too (S3 503 SlowDown), which the store's client retries.
  s3.set([{ operation: "*", faults: { throttle: 0.05 } }], seed);
  const run = await send();
  const lost = ambiguous();
  // The run completes in one go; the ambiguous recipients are reported, not resent.
  expect(run.code, run.out).toBe(0);
  expect(run.result?.state).toBe("sent");
  expect(run.out).not.toContain("is the server running");
  expect(lost.calls, "the seed gives at least one ambiguous call").toBeGreaterThan(0);
  expect(run.result?.report?.unknown).toBe(lost.all.size);
  expect(run.out).toContain(`${lost.all.size} recipient`);
  expect(run.out).toContain("pass --resend-unknown to send them again");

  // Unknown in the ledger: exactly the recipients of ambiguous calls, never one never attempted.
  const state = await ledger();
  const recorded = await recordedOutcomes(ledgerOf());
  expect(new Set(state.unknown)).toEqual(new Set([...lost.all].map(idOf)));
  // Delivered: once each, but an ambiguous call's recipients once if SES processed it, else not.
  const mail = await delivered();
  for (let i = 0; i < n; i++) {
    const a = address(i);
    const expected = lost.all.has(a) ? (lost.processed.has(a) ? 1 : 0) : 1;
    expect(mail.get(a)?.length ?? 0, a).toBe(expected);
    // A sent recipient's MessageId in the ledger is the one SES gave: none dropped or mixed up.
    if (!lost.all.has(a)) expect(recorded.sent.get(idOf(a)), a).toBe(mail.get(a)?.[0]);
  }

  // --resend-unknown (faults off): everyone has the mail; duplicates only where SES processed a lost call.
  const resent = await send({ resendUnknown: true });
  expect(resent.code, resent.out).toBe(0);
  expect(resent.result?.report).toMatchObject({ sent: lost.all.size, unknown: 0 });
  const after = await delivered();
  let duplicates = 0;
  for (let i = 0; i < n; i++) {
    const count = after.get(address(i))?.length ?? 0;
    expect(count, address(i)).toBeGreaterThanOrEqual(1);
    duplicates += count - 1;
  }
  expect(duplicates).toBe(lost.processed.size);
  return { lost, duplicates };
}

describe("scattered faults: the run completes, and nobody gets an avoidable duplicate", () => {
  it("ses-list mode (SendEmail): 2% of calls fail, mixed resets and 5xx; at most one duplicate per lost call", async () => {
    await setUp(300, "ses-list");
    const { lost, duplicates } = await faultyRunThenResend(
      300,
      [
        {
          operation: "SendEmail",
          faults: {
            "reset-before": 0.005,
            "reset-after": 0.005,
            "error-after": 0.005,
            "error-before": 0.005,
          },
          status: 503,
        },
      ],
      11,
    );
    // One recipient per ambiguous call in ses-list mode.
    expect(lost.all.size).toBe(lost.calls);
    expect(duplicates).toBeLessThanOrEqual(lost.calls);
    expect(
      faultCount("error-before"),
      "the seed gives a 503 too (not processed: sent again)",
    ).toBeGreaterThan(0);
  });

  it("link mode (SendBulkEmail): a lost call's entries are unknown, and only they", async () => {
    await setUp(300, "link");
    const { lost, duplicates } = await faultyRunThenResend(
      300,
      [
        {
          operation: "SendBulkEmail",
          faults: { "reset-after": 0.1, "error-after": 0.05, "reset-before": 0.05, "error-before": 0.1 },
          status: 503,
        },
      ],
      4,
    );
    expect(duplicates).toBeLessThanOrEqual(lost.processed.size);
    expect(lost.all.size).toBeLessThan(300);
    // The seed covers both resets (before SES saw the call, and after it processed it) and a 503.
    expect(faultCount("reset-before")).toBeGreaterThan(0);
    expect(faultCount("reset-after")).toBeGreaterThan(0);
    expect(faultCount("error-before")).toBeGreaterThan(0);
  });
});

describe("a sustained outage", () => {
  it.each(["ses-list", "link"] as const)(
    "%s mode: stops the run saying what the next run does; the next run finishes it",
    async (mode) => {
      await setUp(200, mode);
      const operation = mode === "link" ? "SendBulkEmail" : "SendEmail";
      // Every call fails from the third on: resets (SES may or may not have it) and 503s.
      ses.set([{ operation, faults: { "reset-before": 0.5, "error-before": 0.5 }, from: 2 }], 3);
      const first = await send();
      expect(first.code).toBe(1);
      expect(first.result?.state).toBe("stopped");
      expect(first.out).toContain(`SES send calls failed ${FAILED_CALLS_TO_STOP} times in a row (last: `);
      expect(first.out).not.toContain("is the server running");
      const report = first.result?.report;
      const unknown = report?.unknown ?? 0;
      const notYet = 200 - (report?.sent ?? 0) - unknown;
      expect(notYet).toBeGreaterThan(0);
      expect(first.out).toContain(
        `next run: sends the ${notYet} not yet sent${unknown ? `; --resend-unknown also sends the ${unknown} unknown` : ""}`,
      );
      if (unknown)
        expect(first.out).toContain(`${unknown} recipients are unknown (their calls may have reached SES)`);
      // Unknown: only the recipients of calls that were reset.
      expect(unknown).toBe(ambiguous().all.size);

      ses.clear();
      const second = await send();
      expect(second.code, second.out).toBe(0);
      expect(second.result?.report).toMatchObject({ sent: notYet, unknown });
      const mail = await delivered();
      // Nobody twice; everyone but the unknown once (a reset before forwarding reached nobody).
      expect([...mail.values()].every((ids) => ids.length === 1)).toBe(true);
      expect(mail.size).toBe(200 - unknown);
    },
  );
});

describe("throttling on 10% of calls", () => {
  it.each(["ses-list", "link"] as const)(
    "%s mode: slows down, sends everyone exactly once, and status shows the time lost",
    async (mode) => {
      await setUp(200, mode);
      const operation = mode === "link" ? "SendBulkEmail" : "SendEmail";
      ses.set([{ operation, faults: { throttle: 0.1 } }], 8);
      const run = await send();
      expect(run.code, run.out).toBe(0);
      expect(run.result?.report).toMatchObject({ sent: 200, unknown: 0 });
      expect(faultCount("throttle")).toBeGreaterThan(0);
      expect(run.out).toMatch(/throttled: \d+ calls?, \d+\.\d s of sending lost to the lower rate/);
      const mail = await delivered();
      expect(mail.size).toBe(200);
      expect([...mail.values()].every((ids) => ids.length === 1)).toBe(true);
      const io = captureIo();
      await runStatus({ dir: repo.dir, target: "aws" }, io);
      expect(io.outText).toMatch(/throttled: \d+ send calls?, \d+\.\d s of sending lost/);
    },
  );
});
