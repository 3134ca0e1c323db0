import { describe, expect, it } from "vitest";
import { firstInvalidUtf8 } from "../../src/config/read.js";

describe("firstInvalidUtf8", () => {
  const bytes = (...b: number[]) => Uint8Array.from(b);
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const cases: [string, Uint8Array, number][] = [
    ["empty", bytes(), 0],
    ["ASCII", utf8("key: value\n"), 11],
    ["two-, three- and four-byte characters", utf8("é € 😀"), utf8("é € 😀").length],
    ["a Latin-1 é", bytes(0x63, 0x61, 0x66, 0xe9), 3],
    ["a lone continuation byte", bytes(0x61, 0x80), 1],
    ["a sequence cut short", bytes(0x61, 0xe2, 0x82), 1],
    ["a sequence cut by ASCII", bytes(0xe2, 0x41, 0x41), 0],
    ["an overlong `/`", bytes(0xc0, 0xaf), 0],
    ["an overlong three-byte form", bytes(0xe0, 0x80, 0xaf), 0],
    ["a UTF-16 surrogate", bytes(0xed, 0xa0, 0x80), 0],
    ["beyond U+10FFFF", bytes(0xf4, 0x90, 0x80, 0x80), 0],
    ["0xFF", bytes(0x41, 0x42, 0xff), 2],
  ];
  it.each(cases)("%s", (_, input, index) => {
    expect(firstInvalidUtf8(input)).toBe(index);
    // It agrees with the platform's decoder on whether the bytes are valid at all.
    let valid = true;
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(input);
    } catch {
      valid = false;
    }
    expect(index === input.length).toBe(valid);
  });
});
