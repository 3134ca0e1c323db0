import { describe, expect, it } from "vitest";
import { KeySet, MarkedKeySet } from "../../src/util/key-set.js";

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

describe("MarkedKeySet", () => {
  /** A deterministic stream of keys: repeats, runs of one key, non-ASCII and over-long keys. */
  function* keys(n: number): Generator<string> {
    let x = 12345;
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const r = x >>> 8;
      const id = r % (n >> 2);
      if (r % 97 === 0) yield `jörg${id % 50}@example.com`;
      else if (r % 89 === 0) yield `${"x".repeat(256 + (id % 3))}@example.com`;
      else yield `user${id}@example${id % 7}.com`;
    }
  }

  for (const members of [1, 3, 8, 11]) {
    it(`gives each of ${members} members the answers of a set of its own`, () => {
      const set = new MarkedKeySet(members, 4);
      const views = Array.from({ length: members }, (_, k) => set.view(k));
      const own = views.map(() => new Set<string>());
      const union = new Set<string>();
      let x = 7;
      let step = 0;
      for (const key of keys(60_000)) {
        // Each key to a varying subset of members, in turn, as the shared pass hands a row on;
        // sometimes twice in a row to one member.
        for (let k = 0; k < members; k++) {
          x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
          if ((x >>> 28) % 3 === 0) continue;
          const times = (x >>> 24) % 5 === 0 ? 2 : 1;
          for (let t = 0; t < times; t++) {
            const expected = !(own[k] as Set<string>).has(key);
            if ((views[k] as ReturnType<typeof set.view>).add(key) !== expected)
              expect.fail(`member ${k} disagrees on ${key.slice(0, 30)} at step ${step}`);
            (own[k] as Set<string>).add(key);
            union.add(key);
          }
        }
        step++;
      }
      expect(set.size).toBe(union.size);
      // Every member saw some keys, and some keys were shared.
      for (const o of own) expect(o.size).toBeGreaterThan(1000);
    });
  }

  it("a view's last hash finds the key in another set (hasSame), as a KeySet's does", () => {
    const set = new MarkedKeySet(2);
    const [a, b] = [set.view(0), set.view(1)];
    const suppressed = new KeySet();
    for (const key of ["b@example.com", "jörg@example.com"]) suppressed.add(key);
    for (const [key, expected] of [
      ["a@example.com", false],
      ["b@example.com", true],
      ["jörg@example.com", true],
      ["jorg@example.com", false],
    ] as const) {
      a.add(key);
      expect(suppressed.hasSame(key, a), key).toBe(expected);
      b.add(key);
      expect(suppressed.hasSame(key, b), key).toBe(expected);
    }
  });

  it("keeps its marks with their keys across the arena's blocks (over 2 MB of keys)", () => {
    const set = new MarkedKeySet(2, 4);
    const [a, b] = [set.view(0), set.view(1)];
    const key = (i: number) => `subscriber${i}@example${i % 97}.com`;
    for (let i = 0; i < 120_000; i++) if (!a.add(key(i))) expect.fail(`a: ${key(i)} new`);
    for (let i = 0; i < 120_000; i += 2) if (!b.add(key(i))) expect.fail(`b: ${key(i)} new`);
    for (let i = 0; i < 120_000; i++) {
      if (a.add(key(i))) expect.fail(`a: ${key(i)} seen`);
      if (b.add(key(i)) !== (i % 2 === 1)) expect.fail(`b disagrees on ${key(i)}`);
    }
    expect(set.size).toBe(120_000);
  });

  it("keeps the marks of a long key stored where the first block must grow past twice its size", () => {
    // A small first block, nearly full, then an entry of 255 characters and its marks.
    const set = new MarkedKeySet(16, 1);
    const a = set.view(15);
    // Eleven entries of 23 bytes and an empty key's 3: the 256-byte first block is full.
    for (let i = 0; i < 11; i++) a.add(`k${i}@example.com`.padEnd(20, "x"));
    a.add("");
    const long = "y".repeat(255);
    expect(a.add(long)).toBe(true);
    expect(set.view(0).add("z@example.com")).toBe(true);
    expect(a.add(long)).toBe(false);
    expect(set.view(14).add(long)).toBe(true);
  });

  it("refuses a member it has no bit for", () => {
    const set = new MarkedKeySet(3);
    expect(() => set.view(3)).toThrow(RangeError);
    expect(() => set.view(-1)).toThrow(RangeError);
    expect(() => new MarkedKeySet(0)).toThrow(RangeError);
  });
});
