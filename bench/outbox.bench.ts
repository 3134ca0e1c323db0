/**
 * The local target's outbox (docs/performance.md): how fast a send writes its messages there,
 * unpaced, through the real local sender (render, compose the .eml, its journal and events, and the
 * message's HTML page), and how long the campaign's index takes once the send is over.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalStore } from "../src/store/index.js";
import { LocalSender } from "../src/targets/local/sender.js";
import { benchRun } from "./campaign-run.js";
import type { Figure } from "./measure.js";

/** Twice the messages that get a page (MESSAGE_PAGES): both kinds are in the figure. */
const SIZE = 20_000;

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
    const state = new LocalStore(path.join(root, "state"));
    const {
      report,
      seconds,
      cpuMs: sendCpu,
    } = await benchRun(sender, Number.POSITIVE_INFINITY, size, state, {
      from: "Acme <a@example.com>",
      listManagement: { contactList: "bench" },
    });
    const indexCpu = process.cpuUsage();
    const indexStart = performance.now();
    sender.finish("bench");
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
