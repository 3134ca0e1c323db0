import { describe, expect, it } from "vitest";
import { KeySet } from "../../src/util/key-set.js";

describe("KeySet", () => {
  it("adds once, finds what it holds, counts distinct keys", () => {
    const set = new KeySet();
    expect(set.add("a@example.com")).toBe(true);
    expect(set.add("a@example.com")).toBe(false);
    expect(set.add("A@example.com")).toBe(true);
    expect(set.has("a@example.com")).toBe(true);
    expect(set.has("b@example.com")).toBe(false);
    // Same length, same characters in another order: not the same key.
    expect(set.has("a@examlpe.com")).toBe(false);
    expect(set.size).toBe(2);
  });

  it("keeps keys it cannot store as bytes (non-ASCII, very long) exactly too", () => {
    const set = new KeySet();
    const long = `${"x".repeat(300)}@example.com`;
    for (const key of ["jörg@example.com", "😀@example.com", long, ""]) {
      expect(set.add(key)).toBe(true);
      expect(set.add(key)).toBe(false);
      expect(set.has(key)).toBe(true);
    }
    expect(set.has("jorg@example.com")).toBe(false);
    expect(set.size).toBe(4);
  });

  it("agrees with a Set<string> over 100,000 keys and many growths", () => {
    const set = new KeySet(4);
    const reference = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      // Every third key repeats an earlier one.
      const key = i % 3 === 2 ? `user${i >> 1}@example${i % 7}.com` : `user${i}@example${i % 7}.com`;
      if (set.add(key) !== !reference.has(key)) expect.fail(`add disagrees on ${key}`);
      reference.add(key);
    }
    expect(set.size).toBe(reference.size);
    for (let i = 0; i < 200_000; i += 7) {
      const key = `user${i}@example${i % 7}.com`;
      if (set.has(key) !== reference.has(key)) expect.fail(`disagree on ${key}`);
    }
  });
});

describe("KeySet.hasSame", () => {
  it("finds the key another set just added, by that set's hash", () => {
    const seen = new KeySet();
    const suppressed = new KeySet();
    suppressed.add("b@example.com");
    suppressed.add("jörg@example.com");
    for (const [key, expected] of [
      ["a@example.com", false],
      ["b@example.com", true],
      ["jörg@example.com", true],
      ["jorg@example.com", false],
    ] as const) {
      seen.add(key);
      expect(suppressed.hasSame(key, seen), key).toBe(expected);
    }
  });
});
