/**
 * The WebAssembly checks of a read chunk (audience/chunk-bytes.ts) answer as the JavaScript checks
 * they stand in for, and a JSON Lines source reads the same with them as without them.
 */
import { isAscii } from "node:buffer";
import { describe, expect, it, vi } from "vitest";
import { ASCII, CLEAN, chunkBytes, DIRTY } from "../../src/audience/chunk-bytes.js";
import { isEmailFast } from "../../src/audience/email-fast.js";
import { isCleanBytes } from "../../src/audience/fast-json.js";
import { ADDRESS_CASES, nearAddress, random } from "../support/addresses.js";
import { accounted, campaign, chunkedOpen, project, run, source, tempRepo } from "./helpers.js";

// The readers' switch: off, chunkBytes() answers as where the module does not compile.
const wasm = vi.hoisted(() => ({ off: false }));
vi.mock("../../src/audience/chunk-bytes.js", async (original) => {
  const real = await original<typeof import("../../src/audience/chunk-bytes.js")>();
  return { ...real, chunkBytes: () => (wasm.off ? undefined : real.chunkBytes()) };
});

function checker() {
  const bytes = chunkBytes();
  // Node 20 and later compile it on every machine mailops supports: never a silent fallback here.
  if (!bytes) throw new Error("the chunk module does not compile on this runtime");
  return bytes;
}

describe("load: a chunk clean and ASCII, clean, or dirty", () => {
  const bytes = checker();
  const expected = (b: Uint8Array) => (isCleanBytes(b) ? (isAscii(b) ? ASCII : CLEAN) : DIRTY);
  const agrees = (b: Uint8Array) => expect(bytes.load(b), JSON.stringify([...b])).toBe(expected(b));

  it("as isCleanBytes and isAscii say, on chunks of 0 to 300 bytes with a few odd ones anywhere", () => {
    const next = random(11);
    const alphabet = [0, 9, 10, 13, 31, 32, 34, 92, 0x5c ^ 0x80, 127, 0x80, 0xc3, 0xa9, 0xff];
    const seen = new Set<number>();
    for (let round = 0; round < 20_000; round++) {
      const n = Math.floor(next() * (round % 2 ? 40 : 300));
      const b = Buffer.alloc(n, "a");
      for (let k = Math.floor(next() * 3); k >= 0 && n > 0; k--)
        b[Math.floor(next() * n)] = alphabet[Math.floor(next() * alphabet.length)] as number;
      seen.add(expected(b));
      agrees(b);
    }
    expect([...seen].sort()).toEqual([ASCII, CLEAN, DIRTY]);
  });

  it("at the edges of its steps of sixty-four and sixteen bytes", () => {
    for (const at of [0, 14, 15, 16, 17, 31, 32, 47, 48, 63, 64, 79, 95, 127, 128, 143, 150]) {
      for (const [odd, len] of [
        [[13, 10], 160], // CRLF, across two steps at 15, 63, 127...
        [[13, 97], 160], // a lone CR
        [[13], at + 1], // a CR that ends the chunk: its LF is in the next one
        [[92], 160],
        [[9], 160],
        [[0xc3, 0xa9], 160],
        [[0x80], at + 1], // a high byte past the last whole step
        [[0x80], at + 17],
      ] as [number[], number][]) {
        const b = Buffer.alloc(len, "a");
        b.set(odd.slice(0, len - at), at);
        agrees(b);
      }
    }
  });

  it("forgets the chunk before: a short clean one after a long dirty one, and grows for a large one", () => {
    agrees(Buffer.from(`${"a".repeat(200)}\\\t${"é".repeat(50)}`));
    agrees(Buffer.from("abc\n"));
    expect(bytes.load(Buffer.from("abc\n"))).toBe(ASCII);
    const large = Buffer.alloc(300_000, "x");
    expect(bytes.load(large)).toBe(ASCII);
    large[299_999] = 0x1f;
    expect(bytes.load(large)).toBe(DIRTY);
  });
});

describe("email: the usual address, in the chunk's bytes", () => {
  const bytes = checker();
  /** The check of `address` where it sits in a row of the chunk, as the parser asks it. */
  function email(address: string): boolean {
    const row = `{"email":"${address}","name":"x"}\n`;
    if (bytes.load(Buffer.from(row, "latin1")) === DIRTY) throw new Error(`${row} is dirty`);
    return bytes.email(10, 10 + address.length);
  }

  // The shared edge cases a byte each a character (the module reads bytes), and more of its own.
  const CASES = [
    ...ADDRESS_CASES.filter((a) => isAscii(Buffer.from(a))),
    "Ann.Lee@Example.COM",
    "a@b.co-",
    " a@b.co",
    'a"b@c.co',
    "a(b@c.co",
    "a@b.c:o",
    ".",
    `${"a".repeat(59)}@b.co`,
    `${"a".repeat(60)}@b.co`,
  ];

  it.each(CASES)("%j as isEmailFast says, when the address is up to 64 characters", (address) => {
    expect(email(address)).toBe(address.length <= 64 && isEmailFast(address));
  });

  it("as isEmailFast says on 100,000 near-addresses; never over 64 characters (emailFast decides those)", () => {
    const next = random(5);
    const alphabet = ["a", "Z", "0", "@", ".", "-", "_", "+", " ", "#", "'", ",", "~", ":"];
    const bases = CASES.filter((c) => isEmailFast(c));
    let valid = 0;
    const wrong: string[] = [];
    for (let k = 0; k < 100_000; k++) {
      const s = nearAddress(bases[Math.floor(next() * bases.length)] as string, next, alphabet);
      const expected = s.length <= 64 && isEmailFast(s);
      if (expected) valid++;
      if (email(s) !== expected) wrong.push(s);
    }
    expect(wrong).toEqual([]);
    // Enough of both answers to mean something.
    expect(valid).toBeGreaterThan(10_000);
    expect(valid).toBeLessThan(90_000);
  });

  it("reads only its own bytes", () => {
    const row = Buffer.from('{"email":"xa@b.co.","name":"x"}');
    bytes.load(row);
    expect(bytes.email(11, 17)).toBe(true); // a@b.co
    expect(bytes.email(10, 17)).toBe(true); // xa@b.co
    expect(bytes.email(11, 18)).toBe(false); // a@b.co.
    expect(bytes.email(11, 15)).toBe(false); // a@b.
  });
});

describe("a JSON Lines source reads the same with the module as without it", () => {
  const repo = tempRepo();
  const FIELDS = `fields:
  email: { type: email, required: true }
  name: { type: string }
  tags: { type: list, default: [] }
`;

  async function both(content: string, sizes: number[]) {
    repo.write("subscribers/people.jsonl", content);
    const p = project(repo.root, { sources: [source("people", `source: people.jsonl\n${FIELDS}`)] });
    const c = campaign("to: people");
    const out = [];
    for (const off of [false, true]) {
      for (const size of sizes) {
        wasm.off = off;
        try {
          const r = await run(p, c, { open: chunkedOpen(repo.root, size) });
          expect(accounted(r.stats)).toBe(r.stats.read);
          out.push(r);
        } finally {
          wasm.off = false;
        }
      }
    }
    const [first, ...rest] = out;
    for (const r of rest) expect(r).toStrictEqual(first);
    return first as NonNullable<typeof first>;
  }

  it("ASCII, UTF-8, escapes, a tab, CRLF and bad addresses, in chunks that cut rows and characters", async () => {
    const rows = [
      '{"email":"ann@example.com","name":"Ann","tags":["a"]}',
      '{"email":"Bob@Example.COM","name":"Bob"}',
      '{"email":" cy@example.com ","name":"Cy"}',
      '{"email":"dé@example.com","name":"Dé"}',
      '{"email":"eve@bücher.example","name":"Eve"}',
      '{"email":"fay@example..com","name":"Fay"}',
      '{"email":"gus\\u0040example.com","name":"Gus"}',
      '{"email":"hal@example.com",\t"name":"Hal"}',
      `{"email":"${"i".repeat(70)}@example.com","name":"Ian"}`,
      '{"email":"jo@example.com","name":"Jo"}\r',
      '{"email":"ann@EXAMPLE.com","name":"Ann again"}',
    ];
    const r = await both(`${rows.join("\n")}\n`, [7, 64, 1 << 16]);
    expect(r.recipients.map((x) => x.key)).toEqual([
      "ann@example.com",
      "bob@example.com",
      "cy@example.com",
      "eve@xn--bcher-kva.example",
      "gus@example.com",
      "hal@example.com",
      "jo@example.com",
    ]);
    // dé@ (SES takes no UTF-8 local part), the double dot, a local part of 70.
    expect(r.stats.invalid).toBe(3);
    expect(r.stats.duplicates).toBe(1);
  });

  it("an address in a chunk that is not ASCII is checked in its text, whose offsets are not its bytes'", async () => {
    // Seventeen two-byte characters before the second row shift its bytes by 17: the bytes at the
    // text's offsets of its (bad) address are the valid one in its name.
    const r = await both(
      `{"email":"pad@example.com","name":"${"é".repeat(17)}"}\n{"name":"a@b.co","email":"a@b.c@"}\n`,
      [1 << 16],
    );
    expect(r.recipients.map((x) => x.key)).toEqual(["pad@example.com"]);
    expect(r.stats.invalid).toBe(1);
  });
});
