/**
 * The dedupe set: every distinct address of the audience, so it holds up to one string per
 * subscriber. An open-addressing table with the hashes kept in an Int32Array: at a million keys
 * it adds keys about twice as fast as a Set<string> (whose growth and rehashing dominate) in
 * about the same memory (bench/audience.bench.ts measures both).
 */
export class KeySet {
  private keys: (string | undefined)[];
  /** 0 marks an empty slot; a stored hash is never 0. */
  private hashes: Int32Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Array<string | undefined>(cap).fill(undefined);
    this.hashes = new Int32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Adds the key; false when it was already there. */
  add(key: string): boolean {
    const h = hash(key);
    const hashes = this.hashes;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const e = hashes[i] as number;
      if (e === 0) break;
      if (e === h && this.keys[i] === key) return false;
      i = (i + 1) & mask;
    }
    hashes[i] = h;
    this.keys[i] = key;
    // Kept at most half full, so probe runs stay short.
    if (++this.count * 2 > mask) this.grow();
    return true;
  }

  has(key: string): boolean {
    const h = hash(key);
    const hashes = this.hashes;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const e = hashes[i] as number;
      if (e === 0) return false;
      if (e === h && this.keys[i] === key) return true;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldHashes = this.hashes;
    const cap = oldHashes.length * 2;
    const keys = new Array<string | undefined>(cap).fill(undefined);
    const hashes = new Int32Array(cap);
    const mask = cap - 1;
    for (let j = 0; j < oldHashes.length; j++) {
      const h = oldHashes[j] as number;
      if (h === 0) continue;
      let i = h & mask;
      while (hashes[i] !== 0) i = (i + 1) & mask;
      hashes[i] = h;
      keys[i] = oldKeys[j];
    }
    this.keys = keys;
    this.hashes = hashes;
    this.mask = mask;
  }
}

/** FNV-1a over UTF-16 code units, then a final mix so the low bits (the slot) depend on all of them. */
function hash(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h === 0 ? 1 : h;
}
