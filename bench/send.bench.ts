/**
 * Sending (docs/performance.md): the paced rate against aws-ses-v2-local, within 2% of the account's
 * MaxSendRate with no throttling, and mailops' own CPU at 1,000 recipients/s (a sender that does
 * nothing, so only mailops' work is counted: audience, data, ledger, pacing), with the state in a
 * local directory and in S3.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateEmailTemplateCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import { deploy } from "../src/commands/deploy.js";
import { openSession } from "../src/commands/session.js";
import { LocalStore, type Store } from "../src/store/index.js";
import { AwsSender } from "../src/targets/aws/sender.js";
import { LocalTarget } from "../src/targets/local/resources.js";
import type { EntryResult, Sender, SendRequest, Target } from "../src/targets/port.js";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, emulatorEnv } from "../test/support/emulators.js";
import { copyExampleRepo } from "../test/support/repo.js";
import { benchRun } from "./campaign-run.js";
import { setEnv, startEmulatorHost } from "./emulator-host.js";
import type { Figure } from "./measure.js";

const OWN_N = 10_000;

/** A run of `bench`, with the share of one core mailops used while it ran. */
async function run(
  sender: Sender,
  rate: number,
  n: number,
  store: Store,
  listManagement?: SendRequest["listManagement"],
) {
  const r = await benchRun(sender, rate, n, store, listManagement ? { listManagement } : {});
  return { report: r.report, seconds: r.seconds, cpuShare: r.cpuMs / 1000 / r.seconds };
}

const nothing: Sender = {
  async send(request) {
    return request.messages.map((m) => ({ status: "sent", messageId: `m-${m.id}` }) as EntryResult);
  },
};

/**
 * mailops' own CPU on the real `send` path: the example repository with OWN_N generated new
 * customers, the welcome campaign through lock, audience (segment, suppression), render check,
 * ledger and pacing at 1,000/s on the local target, whose sender is swapped for one that does
 * nothing (sending itself is SES's work, or the local outbox's).
 */
async function realSendCpu(
  state?: string,
): Promise<{ cpuShare: number; sent: number; startupMs: number; wholeShare: number; rate: number }> {
  const repo = copyExampleRepo();
  try {
    const rows = Array.from({ length: OWN_N }, (_, i) =>
      JSON.stringify({
        email: `user${i}@example.com`,
        name: `User ${i}`,
        segment: "new_customers",
        preferences: [],
      }),
    );
    writeFileSync(path.join(repo.dir, "subscribers", "customers.jsonl"), `${rows.join("\n")}\n`);
    const settings = path.join(repo.dir, "mailops.yaml");
    let yaml = `${readFileSync(settings, "utf8")}\nsending:\n  local_rate: 1000\n`;
    if (state) yaml = yaml.replace(/^state: .*$/m, `state: ${state}`);
    writeFileSync(settings, yaml);
    const local = new LocalTarget(repo.dir);
    const target: Target = Object.create(local);
    // The first send call ends the start-up (lock, audience count pass, ledger load, JIT warm-up).
    let first: { cpu: NodeJS.CpuUsage; at: number } | undefined;
    target.sender = () => ({
      send(request) {
        first ??= { cpu: process.cpuUsage(), at: performance.now() };
        return nothing.send(request);
      },
    });
    const session = openSession({ dir: repo.dir, observe: () => {}, factory: async () => target });
    let start = 0;
    let cpu = process.cpuUsage();
    const result = await deploy(session, {
      onStep: (step) => {
        if (step.step !== "apply") return;
        start = performance.now();
        cpu = process.cpuUsage();
      },
    });
    const end = performance.now();
    const used = process.cpuUsage(cpu);
    if (!first) throw new Error("the benchmark campaign sent nothing");
    const sending = process.cpuUsage(first.cpu);
    const sent = result.results.reduce((n, r) => n + (r.report?.sent ?? 0), 0);
    const ms = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
    return {
      sent,
      cpuShare: ms(sending) / (end - first.at),
      rate: (sent / (end - first.at)) * 1000,
      startupMs: ms(used) - ms(sending),
      wholeShare: ms(used) / (end - start),
    };
  } finally {
    repo.cleanup();
  }
}

function ownFigures(
  label: string,
  r: { cpuShare: number; sent: number; startupMs: number; wholeShare: number; rate: number },
): Figure[] {
  const pct = (x: number) => `${(x * 100).toFixed(1)}% of a core`;
  return [
    {
      name: `mailops' own CPU sending at 1,000/s, ${label}`,
      value: `${pct(r.cpuShare)} at ${r.rate.toFixed(0)}/s`,
      // The share counts only if the rate was really held.
      ok: r.cpuShare < 0.05 && r.sent === OWN_N && r.rate >= 980,
      budget: "< 5%",
    },
    {
      name: "  start-up before the first message (once a campaign)",
      value: `${r.startupMs.toFixed(0)} ms CPU`,
    },
    { name: `  whole run, start-up included (${OWN_N.toLocaleString("en")})`, value: pct(r.wholeShare) },
  ];
}

export async function benchSend(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(path.join(tmpdir(), "mailops-bench-send-"));
    dirs.push(d);
    return d;
  };
  const host = await startEmulatorHost();
  const ses = { endpoint: host.endpoints.sesLocal };
  const s3 = { endpoint: host.endpoints.moto };
  try {
    // Measured first, in a process that has done nothing else yet, as a `mailops send` process
    // would be; ten seconds at 1,000/s (a real campaign at that rate runs for minutes).
    const own = await realSendCpu();
    figures.push(...ownFigures("local state", own));
    const credentials = EMULATOR_CREDENTIALS;
    const region = EMULATOR_REGION;
    const s3Client = new S3Client({ region, endpoint: s3.endpoint, forcePathStyle: true, credentials });
    await s3Client.send(new CreateBucketCommand({ Bucket: "bench-state" }));
    const restoreEnv = setEnv(emulatorEnv({ s3: s3.endpoint }));
    try {
      figures.push(...ownFigures("state in S3 (moto)", await realSendCpu("s3://bench-state/acme")));
    } finally {
      restoreEnv();
    }
    const bare = await run(nothing, 1000, OWN_N, new LocalStore(tmp()));
    figures.push({
      name: "send loop alone, synthetic audience (whole run)",
      value: `${(bare.cpuShare * 100).toFixed(1)}% of a core`,
    });

    const client = new SESv2Client({
      region,
      endpoint: ses.endpoint,
      credentials,
      maxAttempts: 1,
    });
    await client.send(
      new CreateEmailTemplateCommand({
        TemplateName: "bench",
        TemplateContent: { Subject: "Hi {{name}}", Text: "Hello {{name}} {{postal_address}}" },
      }),
    );
    // Count 429s and every call, wrapping the real sender.
    let throttled = 0;
    const aws = new AwsSender(client, new CloudWatchClient({ region, credentials }));
    const counting: Sender = {
      async send(request: SendRequest): Promise<EntryResult[]> {
        try {
          const results = await aws.send(request);
          // A 429 comes back as its call's entries unsent (why: throttled): one per SendEmail in
          // ses-list mode, one per call in link mode.
          const unsent = results.filter((r) => r.status === "unsent" && r.why === "throttled").length;
          throttled += request.listManagement ? unsent : Math.min(1, unsent);
          return results;
        } catch (e) {
          if ((e as Error).name === "ThrottledError" || /throttled/i.test((e as Error).message)) throttled++;
          throw e;
        }
      },
    };
    const rate = 100;
    // Twenty seconds: the last call's latency after the pace ends weighs under 1%.
    const n = 2000;
    for (const [mode, listManagement] of [
      ["link mode, SendBulkEmail", undefined],
      ["ses-list mode, SendEmail", { contactList: "bench" }],
    ] as const) {
      const paced = await run(counting, rate, n, new LocalStore(tmp()), listManagement);
      const achieved = paced.report.sent / paced.seconds;
      const deviation = Math.abs(achieved - rate) / rate;
      figures.push({
        name: `paced send at MaxSendRate ${rate}/s, ${n} recipients, ${mode}`,
        value: `${achieved.toFixed(1)}/s`,
        ok: deviation <= 0.02 && paced.report.sent === n,
        budget: `${rate}/s ± 2%`,
      });
    }
    figures.push({
      name: "throttling errors during the paced sends",
      value: String(throttled),
      ok: throttled === 0,
      budget: "0",
    });

    const unpaced = await run(nothing, Number.POSITIVE_INFINITY, 20_000, new LocalStore(tmp()));
    figures.push({
      name: "baseline: unpaced, same work (20,000 recipients)",
      value: `${(unpaced.report.sent / unpaced.seconds).toFixed(0)}/s`,
    });
  } finally {
    await host.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  return figures;
}
