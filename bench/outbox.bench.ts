/**
 * The local target's outbox (docs/performance.md): how fast a send writes its messages there,
 * unpaced, through the real local sender (render, compose the .eml, its journal and events, and the
 * message's HTML page), and how long the campaign's index takes once the send is over.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Ledger } from "../src/send/ledger.js";
import type { MessageBuilder, MessageRecipient } from "../src/send/message.js";
import { pacingFor } from "../src/send/pacing.js";
import { runCampaign } from "../src/send/run.js";
import { LocalStore } from "../src/store/index.js";
import { LocalSender } from "../src/targets/local/sender.js";
import type { Figure } from "./measure.js";

/** Twice the messages that get a page (MESSAGE_PAGES): both kinds are in the figure. */
const SIZE = 20_000;

const messages: MessageBuilder = {
  prepare: (r) => ({
    ok: true,
    data: Object.assign({ postal_address: "Acme Inc, 1 Main St" }, r.fields),
    headers: [],
  }),
};

async function* people(n: number): AsyncIterable<MessageRecipient> {
  for (let i = 0; i < n; i++)
    yield { address: `user${i}@example.com`, key: `user${i}@example.com`, fields: { name: `User ${i}` } };
}

/** The example repository's welcome template, applied to a fresh local target in `root`. */
function applyTemplate(root: string): void {
  const dir = path.join(root, ".mailops", "local", "template");
  mkdirSync(dir, { recursive: true });
  const templates = path.resolve("templates");
  const spec = {
    subject: "Welcome {{name}}!",
    html: readFileSync(path.join(templates, "welcome-campaign.html"), "utf8"),
    text: readFileSync(path.join(templates, "welcome-campaign.txt"), "utf8"),
  };
  writeFileSync(path.join(dir, "bench.json"), JSON.stringify({ spec }));
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

export async function benchOutbox(size = SIZE): Promise<Figure[]> {
  const root = mkdtempSync(path.join(tmpdir(), "mailops-bench-outbox-"));
  try {
    applyTemplate(root);
    const sender = new LocalSender(root);
    const id = { campaign: "bench", sendAt: "on-merge" };
    const start = performance.now();
    const cpu = process.cpuUsage();
    const report = await runCampaign({
      project: "bench",
      id,
      contentDigest: "A",
      recipients: () => people(size),
      messages,
      request: {
        campaign: "bench",
        run: "on-merge",
        template: "bench",
        from: "Acme <a@example.com>",
        replyTo: [],
        tags: {},
        listManagement: { contactList: "bench" },
      },
      sender,
      ledger: new Ledger(new LocalStore(path.join(root, "state")), id),
      ...pacingFor(Number.POSITIVE_INFINITY),
      options: {
        resendUnknown: false,
        allowContentChange: false,
        stopOn: {},
        now: () => new Date(),
        progress: () => {},
      },
    });
    const seconds = (performance.now() - start) / 1000;
    const sendCpu = cpuMs(process.cpuUsage(cpu));
    const indexCpu = process.cpuUsage();
    const indexStart = performance.now();
    sender.finish(id.campaign);
    const indexMs = performance.now() - indexStart;
    if (report.sent !== size) throw new Error(`the outbox benchmark sent ${report.sent} of ${size}`);
    return [
      {
        name: `local target: unpaced send into the outbox (${size.toLocaleString("en")})`,
        value: `${(size / seconds).toFixed(0)}/s`,
      },
      { name: "  CPU per 1,000 messages", value: `${((sendCpu / size) * 1000).toFixed(0)} ms` },
      {
        name: "  the campaign's outbox index after it",
        value: `${indexMs.toFixed(0)} ms (${cpuMs(process.cpuUsage(indexCpu)).toFixed(0)} ms CPU)`,
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
