/**
 * Sending (DESIGN §8): the paced rate against aws-ses-v2-local, within 2% of the account's
 * MaxSendRate with no throttling, and mailops' own CPU at 1,000 recipients/s (a sender that does
 * nothing, so only mailops' work is counted: audience, data, ledger, pacing).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { Ledger } from "../src/send/ledger.js";
import type { MessagePlan, MessageRecipient } from "../src/send/message.js";
import { TokenBucket } from "../src/send/pacing.js";
import { runCampaign } from "../src/send/run.js";
import { LocalStore } from "../src/store/index.js";
import { AwsSender } from "../src/targets/aws/sender.js";
import type { EntryResult, Sender, SendRequest } from "../src/targets/port.js";
import type { Figure } from "./measure.js";

const plan: MessagePlan = {
  prepare: (r) => ({ ok: true, data: { ...r.fields, postal_address: "x" }, headers: [] }),
};

function people(n: number): () => AsyncIterable<MessageRecipient> {
  return async function* () {
    for (let i = 0; i < n; i++)
      yield { address: `user${i}@example.com`, key: `user${i}@example.com`, fields: { name: `User ${i}` } };
  };
}

async function run(sender: Sender, rate: number, n: number, dir: string) {
  const id = { campaign: "bench", sendAt: "on-merge" };
  const start = performance.now();
  const cpu = process.cpuUsage();
  const report = await runCampaign({
    project: "bench",
    id,
    contentDigest: "A",
    recipients: people(n),
    plan,
    request: {
      campaign: "bench",
      run: "on-merge",
      template: "bench",
      from: "a@example.com",
      replyTo: [],
      tags: {},
    },
    sender,
    ledger: new Ledger(new LocalStore(dir), id),
    bucket: new TokenBucket(rate, 50),
    options: {
      resendUnknown: false,
      allowContentChange: false,
      stopOn: {},
      now: () => new Date(),
      progress: () => {},
    },
  });
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - start) / 1000;
  return { report, seconds, cpuShare: (used.user + used.system) / 1e6 / seconds };
}

async function startSesLocal(): Promise<{ endpoint: string; child: ChildProcess }> {
  const pkg = createRequire(import.meta.url).resolve("aws-ses-v2-local/package.json");
  const child = spawn(
    process.execPath,
    [path.join(path.dirname(pkg), "dist", "cli.js"), "--host", "127.0.0.1", "--port", "0"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
      const m = /server running at http:\/\/[^:\s]+:(\d+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.on("exit", () => reject(new Error(`aws-ses-v2-local exited: ${out}`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, child };
}

export async function benchSend(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const ses = await startSesLocal();
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(path.join(tmpdir(), "mailops-bench-send-"));
    dirs.push(d);
    return d;
  };
  try {
    // Measured first, in a process that has done nothing else yet, as a `mailops send` process would be.
    const nothing: Sender = {
      async send(request) {
        return request.messages.map((m) => ({ status: "sent", messageId: `m-${m.id}` }) as EntryResult);
      },
    };
    const own = await run(nothing, 1000, 5000, tmp());
    figures.push({
      name: "mailops' own CPU at 1,000 recipients/s (5,000 recipients)",
      value: `${(own.cpuShare * 100).toFixed(1)}% of a core`,
      ok: own.cpuShare < 0.05,
      budget: "< 5%",
    });
    const credentials = { accessKeyId: "bench", secretAccessKey: "bench" };
    const client = new SESv2Client({
      region: "us-east-1",
      endpoint: ses.endpoint,
      credentials,
      maxAttempts: 1,
    });
    await client.send(
      new (await import("@aws-sdk/client-sesv2")).CreateEmailTemplateCommand({
        TemplateName: "bench",
        TemplateContent: { Subject: "Hi {{name}}", Text: "Hello {{name}} {{postal_address}}" },
      }),
    );
    // Count 429s and every call, wrapping the real sender.
    let throttled = 0;
    const aws = new AwsSender(client, new CloudWatchClient({ region: "us-east-1", credentials }));
    const counting: Sender = {
      async send(request: SendRequest): Promise<EntryResult[]> {
        try {
          return await aws.send(request);
        } catch (e) {
          if ((e as Error).name === "ThrottledError" || /throttled/i.test((e as Error).message)) throttled++;
          throw e;
        }
      },
    };
    const rate = 100;
    const n = 1000;
    const paced = await run(counting, rate, n, tmp());
    const achieved = paced.report.sent / paced.seconds;
    const deviation = Math.abs(achieved - rate) / rate;
    figures.push({
      name: `paced send, MaxSendRate ${rate}/s, ${n} recipients (aws-ses-v2-local)`,
      value: `${achieved.toFixed(1)}/s`,
      ok: deviation <= 0.02 && paced.report.sent === n,
      budget: `${rate}/s ± 2%`,
    });
    figures.push({
      name: "throttling errors during the paced send",
      value: String(throttled),
      ok: throttled === 0,
      budget: "0",
    });

    const unpaced = await run(nothing, Number.POSITIVE_INFINITY, 20_000, tmp());
    figures.push({
      name: "baseline: unpaced, same work (20,000 recipients)",
      value: `${(unpaced.report.sent / unpaced.seconds).toFixed(0)}/s`,
    });
  } finally {
    ses.child.kill("SIGKILL");
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  return figures;
}
