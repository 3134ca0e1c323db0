import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "vitest";

export interface ExampleRepo {
  dir: string;
  cleanup: () => void;
  /** Writes a file of the copy, by repository-relative path. */
  write(rel: string, text: string): void;
  read(rel: string): string;
  /** Replaces the example's subscriber file with these rows (JSON Lines). */
  subscribers(rows: object[]): void;
  /** The `.eml` files of a campaign's outbox on the local target (none before its first send). */
  emls(campaign: string): string[];
}

/** A scratch copy of the example repository (config files only), removed by the returned cleanup. */
export function copyExampleRepo(): ExampleRepo {
  const dir = mkdtempSync(path.join(tmpdir(), "mailops-repo-"));
  for (const entry of ["mailops.yaml", "templates", "subscribers", "campaigns"]) {
    cpSync(path.join(process.cwd(), entry), path.join(dir, entry), { recursive: true });
  }
  const write = (rel: string, text: string) => writeFileSync(path.join(dir, rel), text);
  return {
    dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
    write,
    read: (rel) => readFileSync(path.join(dir, rel), "utf8"),
    subscribers: (rows) =>
      write("subscribers/customers.jsonl", `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`),
    emls: (campaign) => {
      const outbox = path.join(dir, ".mailops/outbox", campaign);
      return existsSync(outbox) ? readdirSync(outbox).filter((f) => f.endsWith(".eml")) : [];
    },
  };
}

export function captureIo() {
  const io = {
    outText: "",
    errText: "",
    out(s: string) {
      io.outText += s;
    },
    err(s: string) {
      io.errText += s;
    },
  };
  return io;
}

/** Every subscriber address of the example repository (`root`, the checkout's own by default). */
export function exampleAddresses(root = process.cwd()): string[] {
  return readFileSync(path.join(root, "subscribers/customers.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => (JSON.parse(l) as { email: string }).email);
}

/** No subscriber address of the example in `text` (a report, a comment, a log), nor any like them. */
export function expectNoAddress(text: string | undefined, addresses = exampleAddresses()): void {
  expect(addresses.length).toBeGreaterThan(0);
  for (const a of addresses) expect(text).not.toContain(a);
  expect(text).not.toMatch(/subscriber\d+@/);
}

/** The example's on-merge campaign after its first send on the local target: its run as status reports it. */
export const SENT_ON_MERGE = {
  campaign: "welcome-new-customers",
  sendAt: "on-merge",
  status: "complete",
  sent: 2,
  failed: 0,
  unknown: 0,
} as const;
