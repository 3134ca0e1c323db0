/**
 * Local delivery: each message rendered with the applied template (as SES would use the stored
 * one) and written as an RFC 5322 .eml under `.mailops/outbox/<campaign>/`. SES mailbox-simulator
 * addresses behave as in SES: bounce@ and complaint@ produce events (and suppression, when the
 * configuration set suppresses them). The outbox and the events are the delivery records, kept in
 * agreement across a crash by records.ts.
 */
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { buildMessage } from "../../render/eml.js";
import { compileTemplate, type RenderFn } from "../../render/ses-render.js";
import { normalizeAddress } from "../../util/email.js";
import type { CampaignMetrics, EntryResult, Sender, SendRequest } from "../port.js";
import { type LocalEvent, type LocalEventType, LocalRecords } from "./records.js";

const SIMULATOR = "@simulator.amazonses.com";

/** A bug guard: the ledger must make this impossible. */
export class DuplicateDeliveryError extends Error {}

/** One message of a send call, built and not yet published. */
interface Outgoing {
  messageId: string;
  eml: Buffer;
  file: string;
  events: LocalEvent[];
  /** The address to add to the suppression list once delivered. */
  suppress: string | undefined;
}

export class LocalSender implements Sender {
  private readonly base: string;
  private readonly templates = new Map<string, RenderFn>();
  private readonly records: LocalRecords;
  /** Outbox folders this sender has settled a crashed process's leftovers in. */
  private readonly started = new Set<string>();
  private counter = 0;

  constructor(
    root: string,
    /** Configuration sets that suppress bounces/complaints, from the applied local state. */
    private readonly suppressing: (set: string | undefined) => ("BOUNCE" | "COMPLAINT")[] = () => [],
  ) {
    this.base = path.join(root, ".mailops");
    this.records = new LocalRecords(this.base, this);
  }

  outboxDir(campaign: string): string {
    return path.join(this.base, "outbox", campaign);
  }

  private template(name: string): RenderFn {
    let fn = this.templates.get(name);
    if (!fn) {
      const file = path.join(this.base, "local", "template", `${name}.json`);
      if (!existsSync(file))
        throw new Error(`template ${name} does not exist on the local target; run \`mailops apply\` first`);
      const { spec } = JSON.parse(readFileSync(file, "utf8")) as {
        spec: { subject: string; html: string; text: string };
      };
      fn = compileTemplate(spec);
      this.templates.set(name, fn);
    }
    return fn;
  }

  async send(request: SendRequest): Promise<EntryResult[]> {
    const render = this.template(request.template);
    const dir = this.outboxDir(request.campaign);
    if (!this.started.has(dir)) {
      // Before this process delivers anything: settle what a killed one left (records.ts).
      this.records.recover();
      LocalRecords.cleanTemps(dir);
      this.started.add(dir);
    }
    mkdirSync(dir, { recursive: true });
    const now = new Date();
    const at = now.toISOString();
    const suppressing = this.suppressing(request.configurationSet);
    const messages: Outgoing[] = [];
    for (const m of request.messages) {
      const messageId = `${now.getTime().toString(36)}-${(this.counter++).toString(36)}-${m.id}@mailops.local`;
      const { eml } = await buildMessage(request, m, render, { messageId, date: now });
      const event = (type: LocalEventType): LocalEvent => ({
        at,
        campaign: request.campaign,
        type,
        configurationSet: request.configurationSet,
        run: request.run,
        id: m.id,
      });
      // The simulator takes labels too: bounce+anything@simulator.amazonses.com.
      const to = normalizeAddress(m.to);
      const plain = to.replace(/\+[^@]*@/, "@");
      const outcome: LocalEventType =
        plain === `bounce${SIMULATOR}`
          ? "bounce"
          : plain === `complaint${SIMULATOR}`
            ? "complaint"
            : "delivery";
      const suppress =
        outcome !== "delivery" && suppressing.includes(outcome === "bounce" ? "BOUNCE" : "COMPLAINT");
      messages.push({
        messageId,
        eml,
        file: this.emlPath(request.campaign, request.run, m.id),
        events: [event("send"), { ...event(outcome), ...(suppress ? { suppress: true as const } : {}) }],
        suppress: suppress ? to : undefined,
      });
    }
    const journal = this.records.open(messages.flatMap((m) => m.events));
    const published: Outgoing[] = [];
    try {
      for (const m of messages) {
        publish(m.file, m.eml, request);
        published.push(m);
      }
    } finally {
      journal.commit({
        events: published.flatMap((m) => m.events),
        suppress: published.flatMap((m) => (m.suppress ? [m.suppress] : [])),
      });
    }
    return published.map((m) => ({ status: "sent", messageId: m.messageId }));
  }

  emlPath(campaign: string, run: string, id: string): string {
    return path.join(this.outboxDir(campaign), `${run}.${id}.eml`);
  }

  async wasDelivered(campaign: string, run: string, id: string): Promise<boolean> {
    return existsSync(this.emlPath(campaign, run, id));
  }

  async rates(configurationSet: string | undefined, since: Date) {
    let sent = 0;
    let bounces = 0;
    let complaints = 0;
    for (const e of this.events(since)) {
      if (configurationSet && e.configurationSet !== configurationSet) continue;
      if (e.type === "send") sent++;
      else if (e.type === "bounce") bounces++;
      else if (e.type === "complaint") complaints++;
    }
    return { bounceRate: sent ? bounces / sent : 0, complaintRate: sent ? complaints / sent : 0, sent };
  }

  async campaignMetrics(campaign: { name: string }, since: Date, until?: Date): Promise<CampaignMetrics> {
    const m: CampaignMetrics = { delivered: 0, bounced: 0, complained: 0, opened: 0, clicked: 0 };
    for (const e of this.events(since, until)) {
      if (e.campaign !== campaign.name) continue;
      if (e.type === "delivery") m.delivered++;
      else if (e.type === "bounce") m.bounced++;
      else if (e.type === "complaint") m.complained++;
    }
    return m;
  }

  /** The simulator's events in [since, until). */
  private events(since: Date, until?: Date): LocalEvent[] {
    const from = since.getTime();
    const to = until?.getTime() ?? Number.POSITIVE_INFINITY;
    return this.records.events().filter((e) => {
      const at = Date.parse(e.at);
      return at >= from && at < to;
    });
  }

  finish(campaign: string): string {
    return this.writeIndex(campaign);
  }

  /** index.html listing a campaign's outbox, newest first. */
  writeIndex(campaign: string): string {
    const dir = this.outboxDir(campaign);
    mkdirSync(dir, { recursive: true });
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".eml"))
      .map((f) => ({ f, t: statSync(path.join(dir, f)).mtimeMs, head: headerLines(path.join(dir, f)) }))
      .sort((a, b) => b.t - a.t);
    const rows = files
      .map(
        ({ f, head }) =>
          `<tr><td><a href="${encodeURI(f)}">${esc(head.to ?? "")}</a></td><td>${esc(head.subject ?? "")}</td><td>${esc(head.date ?? "")}</td></tr>`,
      )
      .join("\n");
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mailops outbox: ${esc(campaign)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}</style>
</head><body><h1>Outbox: ${esc(campaign)}</h1><p>${files.length} message${files.length === 1 ? "" : "s"} (open a .eml with your mail client)</p>
<table><tr><th>To</th><th>Subject</th><th>Date</th></tr>
${rows}
</table></body></html>
`;
    const index = path.join(dir, "index.html");
    writeFileSync(index, html);
    return index;
  }
}

/**
 * Create-only: the outbox is the local delivery record, and a second delivery of the same
 * recipient in the same run must fail loudly rather than overwrite the first. Written to a temp
 * file and linked, so the .eml exists whole or not at all.
 */
function publish(file: string, eml: Buffer, request: SendRequest): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, eml);
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") {
      const id = path.basename(file, ".eml").slice(request.run.length + 1);
      throw new DuplicateDeliveryError(
        `recipient ${id} of ${request.campaign} (run ${request.run}) was already delivered`,
      );
    }
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

function headerLines(file: string): { to?: string; subject?: string; date?: string } {
  const head = readFileSync(file, "utf8").split(/\r?\n\r?\n/, 1)[0] ?? "";
  const get = (name: string) => new RegExp(`^${name}: (.*)$`, "mi").exec(head)?.[1];
  return { to: get("To"), subject: get("Subject"), date: get("Date") };
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c);
}
