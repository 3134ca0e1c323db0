/**
 * Local delivery: each message rendered with the applied template (as SES would use the stored
 * one) and written as an RFC 5322 .eml under `.mailops/outbox/<campaign>/`. SES mailbox-simulator
 * addresses behave as in SES (util/simulator.ts): bounce@ and suppressionlist@ bounce, complaint@
 * complains, each an event (and, for a campaign, suppression when the configuration set
 * suppresses it). Proofs (`sendProof`) go to the same outbox, their events marked `proof`. The
 * outbox and the events are the delivery records, kept in agreement across a crash by records.ts.
 * Beside each `.eml`, its page (`<run>.<id>.html`, as a browser shows the message:
 * render/message-page.ts), and after a campaign the index of its outbox (outbox-index.ts).
 */
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type BuiltMessage, buildMessage } from "../../render/eml.js";
import { messagePage } from "../../render/message-page.js";
import { compileTemplate, type RenderFn } from "../../render/ses-render.js";
import { normalizeAddress } from "../../util/email.js";
import { simulatorOutcome } from "../../util/simulator.js";
import type {
  CampaignMetrics,
  EntryResult,
  ProofMessage,
  ProofResult,
  Sender,
  SendRequest,
} from "../port.js";
import { EventCount, eventsOf } from "./events-file.js";
import { countMessagePages, MESSAGE_PAGES, writeOutboxIndex } from "./outbox-index.js";
import { type LocalEvent, type LocalEventType, LocalRecords } from "./records.js";

/** A bug guard: the ledger must make this impossible. */
export class DuplicateDeliveryError extends Error {}

/** One message of a send call, built and not yet published. */
interface Outgoing {
  messageId: string;
  eml: Buffer;
  file: string;
  /** The message as a web page, written beside the .eml (the first MESSAGE_PAGES of a campaign). */
  page: string | undefined;
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
  /** Pages each campaign's outbox may still get (MESSAGE_PAGES), counted when this process starts it. */
  private readonly pagesLeft = new Map<string, number>();
  private counter = 0;
  /** The guardrail rates' running counts, by configuration set and start (rates). */
  private readonly rateCounts = new Map<
    string,
    EventCount<{ sent: number; bounces: number; complaints: number }>
  >();

  constructor(
    root: string,
    /** Configuration sets that suppress bounces/complaints, from the applied local state. */
    private readonly suppressing: (set: string | undefined) => ("BOUNCE" | "COMPLAINT")[] = () => [],
    /** How many messages of a campaign's outbox get a page (MESSAGE_PAGES). */
    private readonly messagePages = MESSAGE_PAGES,
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

  /** A campaign's outbox folder, ready: what a killed process left settled first (records.ts). */
  private openOutbox(campaign: string): string {
    const dir = this.outboxDir(campaign);
    if (!this.started.has(dir)) {
      this.records.recover();
      LocalRecords.cleanTemps(dir);
      this.pagesLeft.set(dir, Math.max(0, this.messagePages - countMessagePages(dir)));
      this.started.add(dir);
    }
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  async send(request: SendRequest): Promise<EntryResult[]> {
    const render = this.template(request.template);
    const dir = this.openOutbox(request.campaign);
    const now = new Date();
    const at = now.toISOString();
    const suppressing = this.suppressing(request.configurationSet);
    const messages: Outgoing[] = [];
    let pages = this.pagesLeft.get(dir) ?? 0;
    for (const m of request.messages) {
      const messageId = `${now.getTime().toString(36)}-${(this.counter++).toString(36)}-${m.id}@mailops.local`;
      const built = await buildMessage(request, m, render, { messageId, date: now });
      const event = (type: LocalEventType): LocalEvent => ({
        at,
        campaign: request.campaign,
        type,
        configurationSet: request.configurationSet,
        run: request.run,
        id: m.id,
        ...(request.tags.variant !== undefined ? { variant: request.tags.variant } : {}),
      });
      const to = normalizeAddress(m.to);
      const outcome: LocalEventType = simulatorOutcome(to);
      const suppress =
        outcome !== "delivery" && suppressing.includes(outcome === "bounce" ? "BOUNCE" : "COMPLAINT");
      const file = this.emlPath(request.campaign, request.run, m.id);
      messages.push({
        messageId,
        eml: built.eml,
        file,
        page: pages-- > 0 ? pageOf(request, m.to, built, file, now) : undefined,
        events: [event("send"), { ...event(outcome), ...(suppress ? { suppress: true as const } : {}) }],
        suppress: suppress ? to : undefined,
      });
    }
    this.pagesLeft.set(dir, Math.max(0, pages));
    const published = this.deliver(messages, request);
    return published.map((m) => ({ status: "sent", messageId: m.messageId }));
  }

  /** Journal, publish each .eml, record the published ones' events (records.ts): what was delivered. */
  private deliver(messages: Outgoing[], what: { campaign: string; run: string }): Outgoing[] {
    const journal = this.records.open(messages.flatMap((m) => m.events));
    const published: Outgoing[] = [];
    try {
      for (const m of messages) {
        // The page first: every published .eml has its page (a page without an .eml is not
        // listed, and is written again when its message is).
        if (m.page) writeFileSync(`${m.file.slice(0, -4)}.html`, m.page);
        publish(m.file, m.eml, what);
        published.push(m);
      }
    } finally {
      journal.commit({
        events: published.flatMap((m) => m.events),
        suppress: published.flatMap((m) => (m.suppress ? [m.suppress] : [])),
      });
    }
    return published;
  }

  /**
   * A proof: written to the campaign's outbox as `proof-<time>-<n>.<i>.eml`, with the events the
   * simulator's address ends in (util/simulator.ts) marked `proof`, which metrics and guardrails
   * leave out. Unlike a campaign's bounce, a proof's never adds to the suppression list.
   */
  async sendProof(proof: ProofMessage): Promise<ProofResult[]> {
    this.openOutbox(proof.campaign);
    const now = new Date();
    const stamp = now
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z");
    // Another proof of the same second (another process, or an A/B campaign's next variant) has
    // taken its number: the first number free in the outbox.
    let run = "";
    do run = `proof-${stamp}-${(this.counter++).toString(36)}`;
    while (existsSync(this.emlPath(proof.campaign, run, "1")));
    const envelope = {
      from: proof.from,
      replyTo: proof.replyTo,
      tags: proof.tags,
      configurationSet: proof.configurationSet,
    };
    const rendered = { subject: proof.subject, html: proof.html, text: proof.text };
    const messages: Outgoing[] = [];
    for (const [i, to] of proof.to.entries()) {
      const id = String(i + 1);
      const messageId = `${now.getTime().toString(36)}-${run}-${id}@mailops.local`;
      const recipient = { id, to, data: {}, headers: proof.headers };
      const built = await buildMessage(envelope, recipient, () => rendered, { messageId, date: now });
      const event = (type: LocalEventType): LocalEvent => ({
        at: now.toISOString(),
        campaign: proof.campaign,
        type,
        configurationSet: proof.configurationSet,
        run,
        id,
        proof: true,
      });
      const file = this.emlPath(proof.campaign, run, id);
      messages.push({
        messageId,
        eml: built.eml,
        file,
        page: pageOf(proof, to, built, file, now),
        events: [event("send"), event(simulatorOutcome(to))],
        suppress: undefined,
      });
    }
    const published = this.deliver(messages, { campaign: proof.campaign, run });
    return published.map((m, i) => ({
      to: proof.to[i] as string,
      status: "sent",
      messageId: m.messageId,
      file: m.file,
    }));
  }

  emlPath(campaign: string, run: string, id: string): string {
    return path.join(this.outboxDir(campaign), `${run}.${id}.eml`);
  }

  async wasDelivered(campaign: string, run: string, id: string): Promise<boolean> {
    return existsSync(this.emlPath(campaign, run, id));
  }

  /**
   * The guardrail rates since `since`: read every 1,000 recipients, so each call reads only the
   * events appended since the last one (events-file.ts), never the whole file again.
   */
  async rates(configurationSet: string | undefined, since: Date) {
    const key = `${configurationSet ?? ""}\n${since.getTime()}`;
    let count = this.rateCounts.get(key);
    if (!count) {
      const from = since.getTime();
      count = new EventCount(
        this.records.eventsFile,
        () => ({ sent: 0, bounces: 0, complaints: 0 }),
        (c, e) => {
          if (!counted(e, from) || (configurationSet && e.configurationSet !== configurationSet)) return;
          if (e.type === "send") c.sent++;
          else if (e.type === "bounce") c.bounces++;
          else if (e.type === "complaint") c.complaints++;
        },
      );
      this.rateCounts.set(key, count);
    }
    this.records.recover();
    const { sent, bounces, complaints } = count.update();
    return { bounceRate: sent ? bounces / sent : 0, complaintRate: sent ? complaints / sent : 0, sent };
  }

  async campaignMetrics(
    campaign: { name: string; variant?: string; run?: string },
    since: Date,
    until?: Date,
  ): Promise<CampaignMetrics> {
    const m: CampaignMetrics = { delivered: 0, bounced: 0, complained: 0, opened: 0, clicked: 0 };
    // Events carry the local machine's time, a run the session's (which --now may set): a run's
    // own events are found by the run they name instead.
    const byRun = campaign.run !== undefined;
    const from = byRun ? 0 : since.getTime();
    const to = byRun ? Number.POSITIVE_INFINITY : (until?.getTime() ?? Number.POSITIVE_INFINITY);
    this.records.recover();
    for (const e of eventsOf(this.records.eventsFile)) {
      if (e.campaign !== campaign.name || !counted(e, from, to)) continue;
      if (byRun && e.run !== campaign.run) continue;
      if (campaign.variant !== undefined && e.variant !== campaign.variant) continue;
      if (e.type === "delivery") m.delivered++;
      else if (e.type === "bounce") m.bounced++;
      else if (e.type === "complaint") m.complained++;
      else if (e.type === "open") m.opened++;
      else if (e.type === "click") m.clicked++;
    }
    return m;
  }

  /** The campaign's outbox index (outbox-index.ts), after recovering what a dead process left. */
  finish(campaign: string): string {
    const dir = this.outboxDir(campaign);
    mkdirSync(dir, { recursive: true });
    this.records.recover();
    return writeOutboxIndex(dir, campaign, this.records.eventsFile, { messagePages: this.messagePages });
  }
}

/** A campaign's event in [from, to): proofs are no campaign's sends, so neither metrics nor guardrail rates count them. */
function counted(e: LocalEvent, from: number, to = Number.POSITIVE_INFINITY): boolean {
  if (e.proof) return false;
  const at = Date.parse(e.at);
  return at >= from && at < to;
}

/** The message as a browser shows it, linking its .eml and the outbox index beside it. */
function pageOf(
  request: { from: string },
  to: string,
  built: BuiltMessage,
  file: string,
  date: Date,
): string {
  const { subject, html, text } = built;
  return messagePage(
    { subject, html, text, from: request.from, to, date: date.toUTCString() },
    { eml: `./${encodeURIComponent(path.basename(file))}`, index: "./index.html" },
  );
}

/**
 * Create-only: the outbox is the local delivery record, and a second delivery of the same
 * recipient in the same run must fail loudly rather than overwrite the first. Written to a temp
 * file and linked, so the .eml exists whole or not at all.
 */
function publish(file: string, eml: Buffer, request: { campaign: string; run: string }): void {
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
