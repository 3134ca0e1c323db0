/**
 * The local target's delivery records, and how they survive a crash.
 *
 * A delivery is an `.eml` in `.mailops/outbox/<campaign>/<run>.<id>.eml` (published with a
 * create-only `link`, so it exists whole or not at all) plus its events in
 * `.mailops/local/events.jsonl`: `send`, then `delivery`, or `bounce`/`complaint` for the mailbox
 * simulator, each line naming its run and recipient id. Bounces and complaints of a configuration
 * set that suppresses them also add the address to `.mailops/local/suppressed`.
 *
 * The outbox decides what was delivered. Each send call first writes a journal,
 * `.mailops/local/pending/<pid>-<time>-<n>.jsonl` (create-only), holding the events of every
 * message of the call; then publishes the `.eml` files; then appends the events of those it
 * published to events.jsonl and removes the journal. A journal left by a dead process is recovered
 * by the next sender or reader of the project before anything else: it claims the journal (a
 * rename only one process wins), appends the events of each journalled message whose `.eml` exists
 * and that events.jsonl does not hold yet, re-adds their suppressions, and removes the journal.
 * Temp files a dead process left in a campaign's outbox (`*.eml.<pid>.tmp`) are removed when that
 * campaign is next sent.
 *
 * Promise: after a process is killed at any point, and that recovery, events.jsonl and the outbox
 * agree exactly: every `.eml` has its events once (one `send` and one outcome), and no event names
 * a recipient whose `.eml` does not exist (a message not published was not delivered: its events
 * are dropped). Guardrail rates and `status` count what the outbox holds.
 * Known window: a machine crash or power cut. Neither the `.eml` files nor the records are
 * flushed to disk (a flush per message would cost more than the rest of a local send), so
 * write-back may lose either; this is a local simulator, not a mail server. Lines written before
 * events carried a run and id (older versions) are counted but cannot be matched to an `.eml`.
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { normalizeAddress } from "../../util/email.js";
import { eventsOf, parseEvent } from "./events-file.js";

export type LocalEventType = "send" | "delivery" | "bounce" | "complaint";
/** What the local target records of a campaign's mail; opens and clicks come only from outside (nothing opens local mail). */
export type LocalRecordedType = LocalEventType | "open" | "click";

export interface LocalEvent {
  at: string;
  campaign: string;
  type: LocalRecordedType;
  /** The message's `variant` tag (an A/B variant's message). */
  variant?: string;
  configurationSet?: string;
  /** The run key and the recipient's ledger id: the `.eml` this event belongs to. */
  run?: string;
  id?: string;
  /** A bounce or complaint whose address the configuration set suppresses. */
  suppress?: true;
  /** A proof's (`send --proof-to`): no campaign's send, so metrics and guardrails leave it out. */
  proof?: true;
}

/** Where a recipient's `.eml` is. */
export interface Outbox {
  emlPath(campaign: string, run: string, id: string): string;
}

/** One send call's journal: `commit` what was published, always, even after an error. */
export interface Journal {
  commit(published: { events: LocalEvent[]; suppress: string[] }): void;
}

const CLAIM = ".claim";

export class LocalRecords {
  private readonly dir: string;
  private readonly pendingDir: string;
  readonly eventsFile: string;
  readonly suppressedFile: string;
  private counter = 0;

  constructor(
    base: string,
    private readonly outbox: Outbox,
  ) {
    this.dir = path.join(base, "local");
    this.pendingDir = path.join(this.dir, "pending");
    this.eventsFile = path.join(this.dir, "events.jsonl");
    this.suppressedFile = path.join(this.dir, "suppressed");
  }

  /** Write the call's journal before any of its `.eml` files is published. */
  open(events: LocalEvent[]): Journal {
    const name = `${process.pid}-${Date.now().toString(36)}-${(this.counter++).toString(36)}.jsonl`;
    const file = path.join(this.pendingDir, name);
    const body = lines(events);
    try {
      writeFileSync(file, body, { flag: "wx" });
    } catch (e) {
      if (code(e) !== "ENOENT") throw e;
      mkdirSync(this.pendingDir, { recursive: true });
      writeFileSync(file, body, { flag: "wx" });
    }
    return {
      commit: (published) => {
        // Suppression first: re-adding an address is harmless, so a crash here is recovered whole.
        if (published.suppress.length) appendFileSync(this.suppressedFile, lines(published.suppress));
        if (published.events.length) appendFileSync(this.eventsFile, lines(published.events));
        unlinkSync(file);
      },
    };
  }

  /** Recover the journals of dead processes (see the file header). */
  recover(): void {
    let names: string[];
    try {
      names = readdirSync(this.pendingDir);
    } catch (e) {
      if (code(e) === "ENOENT") return;
      throw e;
    }
    for (const name of names) {
      const owner = ownerPid(name);
      if (owner === undefined || owner === process.pid || alive(owner)) continue;
      // Claim it: of several recovering processes, one renames it; the others see ENOENT.
      const claimed = path.join(
        this.pendingDir,
        `${name.replace(/\.\d+\.claim$/, "")}.${process.pid}${CLAIM}`,
      );
      try {
        renameSync(path.join(this.pendingDir, name), claimed);
      } catch (e) {
        if (code(e) === "ENOENT") continue;
        throw e;
      }
      this.replay(claimed);
      unlinkSync(claimed);
    }
  }

  private replay(journal: string): void {
    // Written whole before any .eml: a torn journal (killed while writing it) has no .eml to match.
    const journalled = parse(readFileSync(journal, "utf8"));
    const published = journalled.filter(
      (e) =>
        e.run !== undefined && e.id !== undefined && existsSync(this.outbox.emlPath(e.campaign, e.run, e.id)),
    );
    if (published.length === 0) return;
    const suppress: string[] = [];
    for (const e of published) {
      if (!e.suppress) continue;
      const to = recipientOf(this.outbox.emlPath(e.campaign, e.run as string, e.id as string));
      if (to) suppress.push(normalizeAddress(to));
    }
    if (suppress.length) appendFileSync(this.suppressedFile, lines(suppress));
    // Read a chunk at a time: only the journal's events are held, never the file's.
    const wanted = new Set(published.map(eventKey));
    for (const e of eventsOf(this.eventsFile)) wanted.delete(eventKey(e));
    const missing = published.filter((e) => wanted.has(eventKey(e)));
    if (missing.length === 0) return;
    // A line cut short by the crash stays a line of its own (readers skip it); its event is re-added.
    const torn = !endsWithNewline(this.eventsFile);
    appendFileSync(this.eventsFile, (torn ? "\n" : "") + lines(missing));
  }

  /** Every event in events.jsonl, after recovering dead processes' journals (readers that count stream eventsOf). */
  events(): LocalEvent[] {
    this.recover();
    return [...eventsOf(this.eventsFile)];
  }

  /** Remove temp files that dead processes left in an outbox folder. */
  static cleanTemps(dir: string): void {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      if (code(e) === "ENOENT") return;
      throw e;
    }
    for (const name of names) {
      const m = /\.(\d+)\.tmp$/.exec(name);
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid !== process.pid && !alive(pid)) rmSync(path.join(dir, name), { force: true });
    }
  }
}

/** Whether the file is empty, missing, or ends with a newline. */
function endsWithNewline(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    if (code(e) === "ENOENT") return true;
    throw e;
  }
  try {
    const { size } = fstatSync(fd);
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 10;
  } finally {
    closeSync(fd);
  }
}

/** `<pid>-…jsonl`, or `<pid>-…jsonl.<claimer>.claim` once claimed: whose it is now. */
function ownerPid(name: string): number | undefined {
  const m = name.endsWith(CLAIM) ? /\.(\d+)\.claim$/.exec(name) : /^(\d+)-[^.]*\.jsonl$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

function eventKey(e: LocalEvent): string {
  return `${e.campaign}\n${e.run ?? ""}\n${e.id ?? ""}\n${e.type}`;
}

function lines(items: (LocalEvent | string)[]): string {
  let out = "";
  for (const item of items) out += `${typeof item === "string" ? item : JSON.stringify(item)}\n`;
  return out;
}

/** Lines that are not whole JSON objects (cut short by a crash) are skipped. */
function parse(text: string): LocalEvent[] {
  const out: LocalEvent[] = [];
  for (const line of text.split("\n")) {
    const e = parseEvent(line);
    if (e) out.push(e);
  }
  return out;
}

/** The `To` of an .eml (the simulator's addresses are plain ASCII). */
function recipientOf(file: string): string | undefined {
  const head = readFileSync(file, "utf8").split(/\r?\n\r?\n/, 1)[0] ?? "";
  return /^To: (.*)$/im.exec(head)?.[1]?.trim();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return code(e) === "EPERM";
  }
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}
