import { describe, expect, it } from "vitest";
import { type Dedupe, KeySet, MAX_RESERVE, MarkedKeySet } from "../../src/util/key-set.js";

/** Adds a batch; each key's answer (fresh) and hash. */
function addAll(set: Dedupe, keys: string[]): { fresh: boolean[]; hashes: number[] } {
  const fresh = new Uint8Array(keys.length);
  const hashes = new Int32Array(keys.length);
  set.addAll(keys, keys.length, fresh, hashes);
  return { fresh: [...fresh].map((f) => f === 1), hashes: [...hashes] };
}

const addOne = (set: Dedupe, key: string): boolean => addAll(set, [key]).fresh[0] as boolean;

/** The hashes `set` gives a batch find those keys in a KeySet that holds them, and only those. */
function expectHashesFind(set: Dedupe): void {
  const suppressed = new KeySet();
  for (const key of ["b@example.com", "jörg@example.com"]) suppressed.add(key);
  const keys = ["a@example.com", "b@example.com", "jörg@example.com", "jorg@example.com"];
  const { hashes } = addAll(set, keys);
  expect(keys.map((k, j) => suppressed.hasHashed(k, hashes[j] as number))).toEqual([
    false,
    true,
    true,
    false,
  ]);
}

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

/** Two keys of one length with one hash (found by search): only their characters tell them apart. */
const TWINS = ["user0042778@example.com", "user1954706@example.com"] as const;

describe("reserve: room made at once changes no answer", () => {
  const many = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => `user${from + i}@example${i % 7}.com`);

  it("a KeySet keeps every key it held and adds the rest as before", () => {
    const set = new KeySet();
    const first = many(5_000);
    expect(addAll(set, first).fresh.every((f) => f)).toBe(true);
    set.reserve(200_000);
    set.reserve(10); // smaller than it is: nothing to do
    const again = addAll(set, [...first, ...many(5_000, 5_000)]).fresh;
    expect(again.slice(0, 5_000).some((f) => f)).toBe(false);
    expect(again.slice(5_000).every((f) => f)).toBe(true);
    expect(first.every((k) => set.has(k))).toBe(true);
    expect(set.has("user10000@example0.com")).toBe(false);
    expect(set.size).toBe(10_000);
  });

  it("a MarkedKeySet keeps each member's marks when one member reserves", () => {
    const set = new MarkedKeySet(2);
    const [a, b] = [set.view(0), set.view(1)];
    const keys = many(3_000);
    addAll(a, keys);
    b.reserve(100_000);
    a.reserve(50_000);
    expect(addAll(a, keys).fresh.some((f) => f)).toBe(false);
    expect(addAll(b, keys).fresh.every((f) => f)).toBe(true);
    expect(addAll(b, keys).fresh.some((f) => f)).toBe(false);
    expect(set.size).toBe(3_000);
  });

  it(`asks for no more than ${MAX_RESERVE.toLocaleString("en-US")} keys' room, whatever the estimate`, () => {
    // An estimate from a file whose first rows are far shorter than the rest: no table of
    // gigabytes, and the set works on.
    const set = new KeySet();
    set.reserve(Number.MAX_SAFE_INTEGER);
    new MarkedKeySet(3).view(1).reserve(2 ** 40);
    expect(addAll(set, ["a@example.com", "a@example.com"]).fresh).toEqual([true, false]);
  });
});

describe("KeySet.addAll", () => {
  it("tells apart two keys of one length and one hash, in a batch and one by one", () => {
    const batched = new KeySet();
    const { fresh, hashes } = addAll(batched, [TWINS[0], TWINS[1], TWINS[0]]);
    expect(hashes[0]).toBe(hashes[1]);
    expect(fresh).toEqual([true, true, false]);
    const single = new KeySet();
    expect(single.add(TWINS[0])).toBe(true);
    expect(single.has(TWINS[1])).toBe(false);
    expect(single.hasHashed(TWINS[1], hashes[1] as number)).toBe(false);
    expect(addAll(single, [TWINS[1]]).fresh).toEqual([true]);
    expect(single.add(TWINS[1])).toBe(false);
  });

  it("answers as add() one key at a time, a repeat within the batch included", () => {
    const batched = new KeySet(4);
    const single = new KeySet(4);
    const key = (i: number) =>
      i % 11 === 0 ? `jörg${i % 5}@example.com` : `user${i % 700}@example${i % 7}.com`;
    // Batches of 1 to 600 keys, over many growths of the table.
    for (let i = 0, size = 1; i < 20_000; i += size, size = (size * 7 + 3) % 600 || 1) {
      const keys = Array.from({ length: size }, (_, j) => key(i + j));
      const { fresh } = addAll(batched, keys);
      keys.forEach((k, j) => {
        if (fresh[j] !== single.add(k)) expect.fail(`${k} at ${i + j}`);
      });
    }
    expect(batched.size).toBe(single.size);
  });

  it("gives each key's hash, which finds it in another set (hasHashed)", () => {
    expectHashesFind(new KeySet());
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
      const all = [...keys(60_000)];
      // Batches of the stream, as the shared pass hands on a read chunk's rows: each member gets
      // a varying part of each, sometimes a key twice in a row.
      for (let i = 0, size = 1; i < all.length; i += size, size = (size * 5 + 1) % 700 || 1) {
        const batch = all.slice(i, i + size);
        for (let k = 0; k < members; k++) {
          const mine: string[] = [];
          for (const key of batch) {
            x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
            if ((x >>> 28) % 3 === 0) continue;
            mine.push(key);
            if ((x >>> 24) % 5 === 0) mine.push(key);
          }
          const { fresh } = addAll(views[k] as Dedupe, mine);
          mine.forEach((key, j) => {
            if (fresh[j] === (own[k] as Set<string>).has(key))
              expect.fail(`member ${k} disagrees on ${key.slice(0, 30)} in the batch at ${i}`);
            (own[k] as Set<string>).add(key);
            union.add(key);
          });
        }
      }
      expect(set.size).toBe(union.size);
      // Every member saw some keys, and some keys were shared.
      for (const o of own) expect(o.size).toBeGreaterThan(1000);
    });
  }

  it("gives a view's keys' hashes, which find them in another set (hasHashed), as a KeySet's do", () => {
    const set = new MarkedKeySet(2);
    for (const view of [set.view(0), set.view(1)]) expectHashesFind(view);
  });

  it("keeps its marks with their keys across the arena's blocks (over 2 MB of keys)", () => {
    const set = new MarkedKeySet(2, 4);
    const [a, b] = [set.view(0), set.view(1)];
    const key = (i: number) => `subscriber${i}@example${i % 97}.com`;
    for (let i = 0; i < 120_000; i++) if (!addOne(a, key(i))) expect.fail(`a: ${key(i)} new`);
    for (let i = 0; i < 120_000; i += 2) if (!addOne(b, key(i))) expect.fail(`b: ${key(i)} new`);
    for (let i = 0; i < 120_000; i++) {
      if (addOne(a, key(i))) expect.fail(`a: ${key(i)} seen`);
      if (addOne(b, key(i)) !== (i % 2 === 1)) expect.fail(`b disagrees on ${key(i)}`);
    }
    expect(set.size).toBe(120_000);
  });

  it("keeps the marks of a long key stored where the first block must grow past twice its size", () => {
    // A small first block, nearly full, then an entry of 255 characters and its marks.
    const set = new MarkedKeySet(16, 1);
    const a = set.view(15);
    // Eleven entries of 23 bytes and an empty key's 3: the 256-byte first block is full.
    for (let i = 0; i < 11; i++) addOne(a, `k${i}@example.com`.padEnd(20, "x"));
    addOne(a, "");
    const long = "y".repeat(255);
    expect(addOne(a, long)).toBe(true);
    expect(addOne(set.view(0), "z@example.com")).toBe(true);
    expect(addOne(a, long)).toBe(false);
    expect(addOne(set.view(14), long)).toBe(true);
  });

  it("tells apart two keys of one length and one hash", () => {
    const set = new MarkedKeySet(2);
    expect(addAll(set.view(0), [TWINS[0], TWINS[1], TWINS[1]]).fresh).toEqual([true, true, false]);
    expect(addAll(set.view(1), [TWINS[1], TWINS[0]]).fresh).toEqual([true, true]);
    expect(set.size).toBe(2);
  });

  it("refuses a member it has no bit for", () => {
    const set = new MarkedKeySet(3);
    expect(() => set.view(3)).toThrow(RangeError);
    expect(() => set.view(-1)).toThrow(RangeError);
    expect(() => new MarkedKeySet(0)).toThrow(RangeError);
  });
});
