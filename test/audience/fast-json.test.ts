/**
 * The JSONL fast path may only agree with JSON.parse + the typer, or decline (undefined). These
 * tests hold it to that on a corpus of tricky lines and on random mutations of good ones, and
 * check that ordinary lines do take it.
 */
import { describe, expect, it } from "vitest";
import { compileFastRow, isClean, isCleanBytes } from "../../src/audience/fast-json.js";
import { compileTyper } from "../../src/audience/fields.js";
import { nearAddress } from "../support/addresses.js";
import { source } from "./helpers.js";

const typer = compileTyper(
  source(
    "people",
    `source: people.jsonl
fields:
  email: { type: email, required: true }
  name: { type: string, required: true }
  score: { type: number, default: 0 }
  vip: { type: boolean }
  joined: { type: date }
  tags: { type: list, default: [] }
  constructor: { type: string }
`,
  ),
);
const fast = compileFastRow(typer.specs);

/** What the slow path makes of a line: the typed row, or "skipped". */
function slow(line: string): Record<string, unknown> | "skipped" {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return "skipped";
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return "skipped";
  const r = typer.fromJson(obj as Record<string, unknown>);
  return typeof r === "string" ? "skipped" : r;
}

/** Checks the fast path on `line`, embedded in other text as it is in a read buffer. */
function check(line: string): "fast" | "declined" {
  const buffer = `{"x":1}\n${line}\n{"y":2}`;
  const start = 8;
  const end = start + line.length;
  const results = [fast?.parse(buffer, start, end, false)];
  if (isClean(buffer)) results.push(fast?.parse(buffer, start, end, true));
  const expected = slow(line);
  let taken = false;
  for (const got of results) {
    if (got === undefined) continue;
    taken = true;
    if (expected === "skipped")
      expect.fail(`the fast path accepted ${JSON.stringify(line)}, which the slow path skips`);
    expect(got).toStrictEqual(expected);
    // Same keys in the same order: one object shape per source.
    expect(Object.keys(got)).toEqual(Object.keys(expected));
  }
  return taken ? "fast" : "declined";
}

const TAKEN = [
  '{"email":"ann@example.com","name":"Ann","score":3,"vip":true,"joined":"2026-01-31","tags":["a","b"]}',
  '{ "email" : "ann@example.com" , "name" : "Ann" }',
  '\t{"name":"Ann","email":" ann@Example.com "}  \r',
  '{"email":"ann@example.com","name":"Ann","score":-0}',
  '{"email":"ann@example.com","name":"Ann","score":1.5e-3}',
  '{"email":"ann@example.com","name":"Ann","score":12345678901234567890}',
  '{"email":"ann@example.com","name":"Ann","score":-12.25E+2}',
  '{"email":"ann@example.com","name":"Ann","score":null,"tags":null}',
  '{"email":"ann@example.com","name":"Ann","tags":[1,true,null,"x",-2.5]}',
  '{"email":"ann@example.com","name":"Ann","tags":[ ]}',
  '{"email":"ann@example.com","name":"Ann","extra":"x","more":12,"flag":false,"none":null}',
  '{"email":"ann@example.com","name":"Ann","constructor":"c"}',
  '{"email":"ann@example.com","name":"Jörg 😀 Ünïcode"}',
  '{"email":"ann@example.com","name":"","joined":"2026-01-31T09:00:00.5+01:00"}',
];

const CORPUS = [
  ...TAKEN,
  "",
  "   ",
  "{}",
  "[]",
  "null",
  '"ann@example.com"',
  "{",
  '{"email":"ann@example.com","name":"Ann"',
  '{"email":"ann@example.com","name":"Ann"}}',
  '{"email":"ann@example.com","name":"Ann"} x',
  '{"email":"ann@example.com","name":"Ann",}',
  '{"email":"ann@example.com",,"name":"Ann"}',
  '{"email":"ann@example.com" "name":"Ann"}',
  '{"email":"ann@example.com","name":"A\\"nn"}',
  '{"email":"ann@example.com","name":"A\\u00e9"}',
  '{"email":"ann@example.com","name":"A\tnn"}',
  '{"email":"ann@example.com","na\\u006de":"Ann"}',
  '{"email":"ann@example.com","name":"Ann","name":"Bob"}',
  '{"email":"ann@example.com","name":"Ann","email":"bob@example.com"}',
  '{"email":"ann@example.com","name":"Ann","nested":{"a":[1,{"b":2}]}}',
  '{"email":"ann@example.com","name":"Ann","tags":[["x"]]}',
  '{"email":"ann@example.com","name":"Ann","tags":[{"x":1}]}',
  '{"email":"ann@example.com","name":"Ann","tags":["x",]}',
  '{"email":"ann@example.com","name":"Ann","tags":"a;b"}',
  '{"email":"ann@example.com","name":"Ann","score":"3"}',
  '{"email":"ann@example.com","name":"Ann","score":01}',
  '{"email":"ann@example.com","name":"Ann","score":1.}',
  '{"email":"ann@example.com","name":"Ann","score":.5}',
  '{"email":"ann@example.com","name":"Ann","score":-}',
  '{"email":"ann@example.com","name":"Ann","score":1e}',
  '{"email":"ann@example.com","name":"Ann","score":+1}',
  '{"email":"ann@example.com","name":"Ann","score":NaN}',
  '{"email":"ann@example.com","name":"Ann","vip":"true"}',
  '{"email":"ann@example.com","name":"Ann","vip":tru}',
  '{"email":"ann@example.com","name":"Ann","vip":truex}',
  '{"email":"ann@example.com","name":"Ann","joined":"2026-02-30"}',
  '{"email":"ann@example.com","name":"Ann","joined":20260131}',
  '{"email":"not-an-address","name":"Ann"}',
  '{"email":42,"name":"Ann"}',
  '{"email":null,"name":"Ann"}',
  '{"name":"Ann"}',
  '{"email":"ann@example.com"}',
  '{"email":"ann@example.com","name":null}',
  '{"email":"ann@example.com","name":7}',
  '{"email":"ann@example.com","name":"Ann","__proto__":{"x":1}}',
  '{"email":"ann@example.com","name":"Ann","extra":nul}',
  '{"email":"ann@example.com","name":"Ann","extra":"unterminated}',
  "{'email':'ann@example.com','name':'Ann'}",
  '{email:"ann@example.com",name:"Ann"}',
];

describe("the JSONL fast path", () => {
  it.each(CORPUS)("agrees with JSON.parse + typer or declines: %j", (line) => {
    check(line);
  });

  it.each(TAKEN)("takes ordinary lines: %j", (line) => {
    expect(check(line)).toBe("fast");
  });

  it("agrees or declines on 50,000 random mutations of good lines", () => {
    let s = 7;
    const next = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
    const alphabet = [
      '"',
      "\\",
      ",",
      ":",
      "{",
      "}",
      "[",
      "]",
      " ",
      "\t",
      "1",
      "-",
      ".",
      "e",
      "n",
      "t",
      "@",
      "x",
    ];
    let taken = 0;
    for (let k = 0; k < 50_000; k++) {
      const line = nearAddress(TAKEN[Math.floor(next() * TAKEN.length)] as string, next, alphabet, 2);
      if (check(line) === "fast") taken++;
    }
    // Mutations that keep a line valid are still read by the fast path.
    expect(taken).toBeGreaterThan(5_000);
  });
});

describe("a chunk's cleanliness from its bytes", () => {
  // Bytes that matter, and bytes that do not: each control byte, backslash, CR, LF, a quote,
  // and the pieces of multi-byte UTF-8 (a continuation byte, a lead byte).
  const alphabet = [
    0,
    1,
    9,
    10,
    11,
    13,
    31,
    32,
    34,
    65,
    92,
    0x5c ^ 0x80,
    127,
    0x80,
    0x9c,
    0xc3,
    0xa9,
    0xe2,
    0xff,
  ];
  const agrees = (bytes: Uint8Array) =>
    expect(isCleanBytes(bytes), JSON.stringify([...bytes])).toBe(isClean(new TextDecoder().decode(bytes)));

  it("says what isClean says of the decoded text, at any alignment", () => {
    const next = (() => {
      let s = 7;
      return () => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        return s / 2 ** 32;
      };
    })();
    const plain = (n: number) => Buffer.from("a".repeat(n));
    for (let round = 0; round < 20_000; round++) {
      const n = Math.floor(next() * (round % 2 ? 24 : 300));
      const bytes = Buffer.from(plain(n + 8));
      // Mostly plain text with one to three bytes of the alphabet, as a chunk of a file is.
      for (let k = Math.floor(next() * 3); k >= 0; k--)
        bytes[Math.floor(next() * bytes.length)] = alphabet[Math.floor(next() * alphabet.length)] as number;
      const from = Math.floor(next() * 4);
      const chunk = bytes.subarray(from, from + n);
      // A Buffer (a file's chunk) or a plain Uint8Array over the same memory.
      agrees(round % 3 ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    // A CR at a chunk's end: its LF is in the next chunk, so this one is not clean.
    agrees(Buffer.from('{"a":1}\r'));
    agrees(Buffer.from('{"a":1}\r\n{"b":2}\r\n'));
    agrees(Buffer.from('{"a":"\\u0041"}\n'));
    agrees(Buffer.from('{"a":"x\ty"}\n'));
    agrees(Buffer.from('{"a":"é"}\n'));
  });
});
