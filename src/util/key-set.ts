/**
 * The dedupe set: every distinct address of the audience, up to one per subscriber.
 *
 * A Set<string> would keep a million strings alive, and with them a good part of the audience's
 * time: each key string is young when added, so scavenges copy and promote it, and the keys
 * themselves (slices of the read buffer) would pin the buffers. Here keys are copied as bytes into
 * one growing arena, with an open-addressing table of hashes and offsets in a typed array: the
 * garbage collector sees two arrays, whatever the size, and at a million keys it is a third of
 * the memory (bench/audience.bench.ts). Keys are address keys of valid addresses, so ASCII (an
 * internationalized domain is in punycode); any other key goes to a plain Set, so the class stays
 * correct for every string.
 */
export class KeySet {
  /** Per entry: length byte, then the characters. */
  private arena: Uint8Array;
  private used = 0;
  /**
   * Two ints per slot, side by side so a probe reads one cache line: the key's hash, and its
   * arena offset + 1 (0 marks an empty slot).
   */
  private table: Int32Array;
  /** Slots - 1. */
  private mask: number;
  private count = 0;
  private readonly other = new Set<string>();

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.table = new Int32Array(cap * 2);
    this.mask = cap - 1;
    this.arena = new Uint8Array(cap * 16);
  }

  get size(): number {
    return this.count + this.other.size;
  }

  /** The hash of the key last added, for hasSame(). */
  private last = 0;

  /** Adds the key; false when it was already there. */
  add(key: string): boolean {
    const h = hash(key);
    this.last = h;
    if (h === 0) {
      const had = this.other.has(key);
      this.other.add(key);
      return !had;
    }
    const table = this.table;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const at = table[2 * i + 1] as number;
      if (at === 0) break;
      if (table[2 * i] === h && this.equals(at - 1, key)) return false;
      i = (i + 1) & mask;
    }
    table[2 * i] = h;
    table[2 * i + 1] = this.store(key) + 1;
    // Kept at most half full, so probe runs stay short.
    if (++this.count * 2 > mask) this.grow();
    return true;
  }

  has(key: string): boolean {
    return this.lookup(key, hash(key));
  }

  /**
   * has(key) for the key `other` last added: the audience adds each key to its dedupe set, then
   * checks it against the suppression and exclusion sets, and the hash need not be made thrice.
   */
  hasSame(key: string, other: KeySet): boolean {
    return this.lookup(key, other.last);
  }

  private lookup(key: string, h: number): boolean {
    if (h === 0) return this.other.has(key);
    const table = this.table;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const at = table[2 * i + 1] as number;
      if (at === 0) return false;
      if (table[2 * i] === h && this.equals(at - 1, key)) return true;
      i = (i + 1) & mask;
    }
  }

  private equals(offset: number, key: string): boolean {
    const arena = this.arena;
    const n = key.length;
    if (arena[offset] !== n) return false;
    for (let j = 0; j < n; j++) if (arena[offset + 1 + j] !== key.charCodeAt(j)) return false;
    return true;
  }

  private store(key: string): number {
    const n = key.length;
    if (this.used + n + 1 > this.arena.length) {
      const bigger = new Uint8Array(Math.max(this.arena.length * 2, this.used + n + 1));
      bigger.set(this.arena.subarray(0, this.used));
      this.arena = bigger;
    }
    const arena = this.arena;
    const offset = this.used;
    arena[offset] = n;
    for (let j = 0; j < n; j++) arena[offset + 1 + j] = key.charCodeAt(j);
    this.used += n + 1;
    return offset;
  }

  private grow(): void {
    const old = this.table;
    const slots = old.length; // twice the old slot count
    const table = new Int32Array(slots * 2);
    const mask = slots - 1;
    for (let j = 0; j < old.length; j += 2) {
      const at = old[j + 1] as number;
      if (at === 0) continue;
      const h = old[j] as number;
      let i = h & mask;
      while (table[2 * i + 1] !== 0) i = (i + 1) & mask;
      table[2 * i] = h;
      table[2 * i + 1] = at;
    }
    this.table = table;
    this.mask = mask;
  }
}

/**
 * FNV-1a, two characters a step (ASCII, so a pair fits in 16 bits), then a final mix so the low
 * bits (the slot) depend on every character. 0 for a key the arena cannot hold (a non-ASCII
 * character, or longer than a length byte): it goes to the Set.
 */
function hash(s: string): number {
  const n = s.length;
  if (n > 255) return 0;
  let h = 0x811c9dc5 ^ n;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const a = s.charCodeAt(i);
    const b = s.charCodeAt(i + 1);
    if ((a | b) > 127) return 0;
    h = Math.imul(h ^ (a | (b << 8)), 0x01000193);
  }
  if (i < n) {
    const a = s.charCodeAt(i);
    if (a > 127) return 0;
    h = Math.imul(h ^ a, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h === 0 ? 1 : h;
}
