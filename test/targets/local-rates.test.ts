/**
 * The local target's guardrail rates, read every 1,000 recipients of a send: each call reads only
 * what events.jsonl gained since the last (src/targets/local/events-file.ts), and answers what a
 * read of the whole file would.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalSender } from "../../src/targets/local/sender.js";

let root: string;
let file: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "mailops-rates-"));
  mkdirSync(path.join(root, ".mailops", "local"), { recursive: true });
  file = path.join(root, ".mailops", "local", "events.jsonl");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const since = new Date("2026-12-01T00:00:00Z");
const ev = (type: string, at = "2026-12-01T09:00:00Z", extra: object = {}) =>
  JSON.stringify({ at, campaign: "promo", type, configurationSet: "m", ...extra });
const lines = (...l: string[]) => l.map((x) => `${x}\n`).join("");
/** What a sender that never read the file answers: the whole file's rates. */
const whole = () => new LocalSender(root).rates("m", since);

describe("local guardrail rates", () => {
  it("answer as a whole read would, call after call, as the file grows", async () => {
    const sender = new LocalSender(root);
    expect(await sender.rates("m", since)).toEqual({ sent: 0, bounceRate: 0, complaintRate: 0 });
    writeFileSync(file, lines(ev("send"), ev("delivery"), ev("send"), ev("bounce")));
    expect(await sender.rates("m", since)).toEqual({ sent: 2, bounceRate: 0.5, complaintRate: 0 });
    // Before `since`, another configuration set, a proof: not counted.
    appendFileSync(
      file,
      lines(
        ev("send", "2026-11-30T09:00:00Z"),
        ev("send", undefined, { configurationSet: "other" }),
        ev("send", undefined, { proof: true }),
        ev("send"),
        ev("complaint"),
      ),
    );
    const third = await sender.rates("m", since);
    expect(third).toEqual({ sent: 3, bounceRate: 1 / 3, complaintRate: 1 / 3 });
    expect(third).toEqual(await whole());
  });

  it("count a last line without its newline for that answer only, as a whole read does", async () => {
    const sender = new LocalSender(root);
    writeFileSync(file, `${lines(ev("send"))}${ev("send")}`);
    expect((await sender.rates("m", since)).sent).toBe(2);
    // The unended line was a torn one after all: ended by recovery, and more appended.
    appendFileSync(file, `\n${lines(ev("send"), ev("bounce"))}`);
    const after = await sender.rates("m", since);
    expect(after).toEqual({ sent: 3, bounceRate: 1 / 3, complaintRate: 0 });
    expect(after).toEqual(await whole());
    // Cut short: a line joined with the next is no event, for either.
    appendFileSync(file, `${ev("send").slice(0, 20)}`);
    expect((await sender.rates("m", since)).sent).toBe(3);
    appendFileSync(file, lines(ev("send")));
    expect(await sender.rates("m", since)).toEqual(await whole());
  });

  it("read each event once: what was read is not read again", async () => {
    const sender = new LocalSender(root);
    const first = lines(ev("send"), ev("send"));
    writeFileSync(file, first);
    expect((await sender.rates("m", since)).sent).toBe(2);
    // The lines already read, overwritten in place (same file, same length): a sender that read
    // the whole file again would see no sends there.
    writeFileSync(file, `${" ".repeat(first.length - 1)}\n${lines(ev("send"))}`);
    expect((await sender.rates("m", since)).sent).toBe(3);
    expect((await whole()).sent).toBe(1);
  });

  it("start over on a file put in place of the one read (deleted, or cut shorter)", async () => {
    const sender = new LocalSender(root);
    writeFileSync(file, lines(ev("send"), ev("send"), ev("bounce")));
    expect((await sender.rates("m", since)).sent).toBe(2);
    unlinkSync(file);
    expect((await sender.rates("m", since)).sent).toBe(0);
    writeFileSync(file, lines(ev("send"), ev("send"), ev("send"), ev("send")));
    expect(await sender.rates("m", since)).toEqual({ sent: 4, bounceRate: 0, complaintRate: 0 });
    writeFileSync(file, lines(ev("send")));
    expect(await sender.rates("m", since)).toEqual({ sent: 1, bounceRate: 0, complaintRate: 0 });
  });

  it("keep a count per configuration set and start", async () => {
    const sender = new LocalSender(root);
    writeFileSync(
      file,
      lines(ev("send"), ev("send", undefined, { configurationSet: "other" }), ev("bounce")),
    );
    expect((await sender.rates("m", since)).sent).toBe(1);
    expect((await sender.rates(undefined, since)).sent).toBe(2);
    expect((await sender.rates("m", new Date("2026-12-02T00:00:00Z"))).sent).toBe(0);
    appendFileSync(file, lines(ev("send", "2026-12-02T01:00:00Z")));
    expect((await sender.rates("m", new Date("2026-12-02T00:00:00Z"))).sent).toBe(1);
    expect((await sender.rates("m", since)).sent).toBe(2);
  });
});

describe("events.jsonl read a chunk at a time", () => {
  it("keeps a character split between two chunks whole, and each line's end", async () => {
    const { linesFrom } = await import("../../src/targets/local/events-file.js");
    // A first line of two-byte characters whose middle straddles the 1 MiB chunk boundary.
    const long = "é".repeat((1 << 20) / 2 + 3);
    writeFileSync(file, `x${long}\nnext\nunended`);
    const read = [...linesFrom(file)];
    expect(read.map((l) => l.text)).toEqual([`x${long}`, "next", "unended"]);
    const firstEnd = Buffer.byteLength(`x${long}\n`);
    expect(read.map((l) => l.end)).toEqual([firstEnd, firstEnd + 5, undefined]);
    expect([...linesFrom(file, firstEnd)].map((l) => l.text)).toEqual(["next", "unended"]);
  });
});
