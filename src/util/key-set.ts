/**
 * The dedupe set: every distinct address of the audience, up to one per subscriber.
 *
 * A Set<string> would keep a million strings alive, and with them a good part of the audience's
 * time: each key string is young when added, so scavenges copy and promote it, and the keys
 * themselves (slices of the read buffer) would pin the buffers. Here keys are copied as bytes into
 * an arena of byte blocks, with an open-addressing table of hashes and offsets in a typed array: the
 * garbage collector sees a few arrays, whatever the size, and at a million keys it is a third of
 * the memory (bench/audience.bench.ts). Keys are address keys of valid addresses, so ASCII (an
 * internationalized domain is in punycode); any other key goes to a plain Set, so the class stays
 * correct for every string.
 *
 * Campaigns counted in one pass over a source (audience/shared-pass.ts) share a MarkedKeySet: one
 * table of their distinct keys with a bit per campaign, each campaign's view answering exactly as
 * a KeySet of its own would.
 */
/**
 * What the audience needs of a dedupe set: a batch of keys added at once (the rows of a read
 * chunk), each one's answer and hash (the suppression and exclusion sets are probed with it).
 */
export interface Dedupe {
  /**
   * Adds keys[0..n) in order: fresh[k] is 1 where keys[k] was not there before (nor earlier in the
   * batch), 0 where it was; hashes[k] is its hash, for KeySet.hasHashed().
   */
  addAll(keys: readonly string[], n: number, fresh: Uint8Array, hashes: Int32Array): void;
  /**
   * Room for about `keys` keys in all, made now in one step where the table would otherwise double
   * its way there (AudienceSink's estimate from a file's size). Changes no answer.
   */
  reserve(keys: number): void;
}

/**
 * The most a reservation asks for: a table of 2^21 slots (16 MB). A wrong estimate (a file whose
 * first rows are much shorter than the rest) costs at most that; past it, the table grows as it fills.
 */
export const MAX_RESERVE = 1 << 20;

/**
 * The table and arena both sets below are made of. Per arena entry: a length byte, the
 * characters, then `tail` bytes of the entry's own (MarkedKeySet's marks; none in a KeySet).
 */
abstract class KeyTable {
  /**
   * The arena in blocks of BLOCK bytes (the first one grows to that size by doubling): a full
   * arena gets a new block rather than a copy twice its size, so a large set holds what it
   * stores and one block more, never a copy and its slack. An entry's offset is its block's
   * index times BLOCK plus its place in the block; no entry straddles two blocks.
   */
  protected blocks: Uint8Array[];
  /** Bytes used of the last block. */
  private used = 0;
  /**
   * Two ints per slot, side by side so a probe reads one cache line: the key's hash, and its
   * arena offset + 1 (0 marks an empty slot).
   */
  private table: Int32Array;
  /** Slots - 1. */
  private mask: number;
  protected count = 0;

  constructor(
    capacity: number,
    protected readonly tail: number,
  ) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.table = new Int32Array(cap * 2);
    this.mask = cap - 1;
    this.blocks = [new Uint8Array(Math.min(cap * 16, BLOCK))];
  }

  /**
   * The keys of the batch being added as bytes, each one's characters read once (hashAll) and
   * its comparisons and copy made from here: reading a string sliced from the read text char by
   * char costs twice what reading a flat one does, and bytes cost less still.
   */
  private scratch = new Uint8Array(1 << 14);
  private starts = new Int32Array(0);
  /** What the touch loop read: kept, so that the loop is not optimized away. */
  protected touched = 0;

  /**
   * Sets hashes[k] to the hash of keys[k] (hash(): 0 for a key the arena cannot hold), writing
   * its characters to the scratch on the way, then reads each one's first slot: a key's first
   * probe is a cache miss at a million keys, and misses that follow one another in a loop of their
   * own overlap, where one per key amid a row's other work did not (a third of the dedupe's time).
   */
  protected hashAll(keys: readonly string[], n: number, hashes: Int32Array): void {
    if (this.starts.length < n) this.starts = new Int32Array(n);
    const starts = this.starts;
    let scratch = this.scratch;
    let pos = 0;
    for (let k = 0; k < n; k++) {
      const key = keys[k] as string;
      const len = key.length;
      starts[k] = pos;
      if (len > 255) {
        hashes[k] = 0;
        continue;
      }
      if (pos + len > scratch.length) {
        const bigger = new Uint8Array(2 * scratch.length);
        bigger.set(scratch.subarray(0, pos));
        scratch = bigger;
        this.scratch = bigger;
      }
      hashes[k] = hashInto(key, len, scratch, pos);
      pos += len;
    }
    const table = this.table;
    const mask = this.mask;
    let x = 0;
    for (let k = 0; k < n; k++) x |= table[2 * ((hashes[k] as number) & mask) + 1] as number;
    this.touched = x;
  }

  /**
   * The arena offset of the batch's key k, of length len and hash h (not 0), as hashAll left it;
   * when absent, it is stored (its tail zeroed) and -1 - offset returned.
   */
  protected findOrStoreAt(k: number, len: number, h: number): number {
    const src = this.scratch;
    const from = this.starts[k] as number;
    const table = this.table;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const at = table[2 * i + 1] as number;
      if (at === 0) break;
      if (table[2 * i] === h && this.equalsAt(at - 1, src, from, len)) return at - 1;
      i = (i + 1) & mask;
    }
    const offset = this.place(len + 1 + this.tail);
    const arena = this.blocks[offset >>> BLOCK_BITS] as Uint8Array;
    const to = (offset & BLOCK_MASK) + 1;
    arena[to - 1] = len;
    for (let j = 0; j < len; j++) arena[to + j] = src[from + j] as number;
    table[2 * i] = h;
    table[2 * i + 1] = offset + 1;
    // Kept at most half full, so probe runs stay short.
    if (++this.count * 2 > mask) this.grow();
    return -1 - offset;
  }

  protected lookup(key: string, h: number): boolean {
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
    const arena = this.blocks[offset >>> BLOCK_BITS] as Uint8Array;
    const at = offset & BLOCK_MASK;
    const n = key.length;
    if (arena[at] !== n) return false;
    for (let j = 0; j < n; j++) if (arena[at + 1 + j] !== key.charCodeAt(j)) return false;
    return true;
  }

  private equalsAt(offset: number, src: Uint8Array, from: number, n: number): boolean {
    const arena = this.blocks[offset >>> BLOCK_BITS] as Uint8Array;
    const at = offset & BLOCK_MASK;
    if (arena[at] !== n) return false;
    for (let j = 0; j < n; j++) if (arena[at + 1 + j] !== src[from + j]) return false;
    return true;
  }

  /** Room for an entry of `size` bytes, zeroed: its arena offset. */
  private place(size: number): number {
    const blocks = this.blocks;
    let last = blocks.length - 1;
    let arena = blocks[last] as Uint8Array;
    if (this.used + size > arena.length) {
      // New arrays are zeroed: so is every entry's tail.
      if (this.used + size <= BLOCK && arena.length < BLOCK) {
        let length = arena.length * 2;
        while (length < this.used + size) length *= 2;
        const bigger = new Uint8Array(Math.min(length, BLOCK));
        bigger.set(arena.subarray(0, this.used));
        arena = bigger;
        blocks[last] = arena;
      } else {
        arena = new Uint8Array(BLOCK);
        blocks.push(arena);
        last++;
        this.used = 0;
      }
    }
    const at = this.used;
    this.used += size;
    return last * BLOCK + at;
  }

  /** Makes the table large enough for `keys` keys (at most MAX_RESERVE) at once. */
  protected reserveSlots(keys: number): void {
    const want = Math.min(keys, MAX_RESERVE);
    let slots = this.mask + 1;
    while (want * 2 > slots - 1) slots *= 2;
    if (slots > this.mask + 1) this.rehash(slots);
  }

  private grow(): void {
    this.rehash((this.mask + 1) * 2);
  }

  /** Moves every entry into a table of `slots` slots. */
  private rehash(slots: number): void {
    const old = this.table;
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

export class KeySet extends KeyTable implements Dedupe {
  private readonly other = new Set<string>();
  /** add() is a batch of one. */
  private readonly one: string[] = [""];
  private readonly oneFresh = new Uint8Array(1);
  private readonly oneHash = new Int32Array(1);

  constructor(capacity = 1024) {
    super(capacity, 0);
  }

  get size(): number {
    return this.count + this.other.size;
  }

  /** Adds the key; false when it was already there. */
  add(key: string): boolean {
    this.one[0] = key;
    this.addAll(this.one, 1, this.oneFresh, this.oneHash);
    return this.oneFresh[0] === 1;
  }

  addAll(keys: readonly string[], n: number, fresh: Uint8Array, hashes: Int32Array): void {
    this.hashAll(keys, n, hashes);
    for (let k = 0; k < n; k++) {
      const key = keys[k] as string;
      const h = hashes[k] as number;
      if (h === 0) {
        const had = this.other.has(key);
        this.other.add(key);
        fresh[k] = had ? 0 : 1;
      } else fresh[k] = this.findOrStoreAt(k, key.length, h) < 0 ? 1 : 0;
    }
  }

  /**
   * has(key) for a key whose hash is known: the audience adds each key to its dedupe set, then
   * checks it against the suppression and exclusion sets, and the hash need not be made thrice.
   */
  hasHashed(key: string, h: number): boolean {
    return h === 0 ? this.other.has(key) : this.lookup(key, h);
  }

  has(key: string): boolean {
    return this.hasHashed(key, hash(key));
  }

  reserve(keys: number): void {
    this.reserveSlots(keys);
  }
}

/**
 * The dedupe sets of several campaigns reading one source, in the memory of one: each distinct
 * key is stored once, with a bit per campaign (`member`) telling whether that campaign has added
 * it. view(k) is campaign k's dedupe set: it answers that a key is fresh exactly when campaign k
 * has not added it before, as its own KeySet would, whatever the others added.
 */
export class MarkedKeySet extends KeyTable {
  private readonly other = new Map<string, Uint8Array>();
  /** Each member's reservation: the table is made for their sum (the union of their keys is at most that). */
  private readonly reserved: number[];

  constructor(
    private readonly members: number,
    capacity = 1024,
  ) {
    // An entry (at most 256 bytes and its marks) must fit in one arena block.
    if (!(Number.isInteger(members) && members >= 1 && members <= MAX_MEMBERS))
      throw new RangeError(`a MarkedKeySet has 1 to ${MAX_MEMBERS} members, not ${members}`);
    super(capacity, Math.ceil(members / 8));
    this.reserved = new Array<number>(members).fill(0);
  }

  /** Distinct keys added by any member. */
  get size(): number {
    return this.count + this.other.size;
  }

  /** Campaign `member`'s dedupe set. */
  view(member: number): Dedupe {
    if (!(member >= 0 && member < this.members && Number.isInteger(member)))
      throw new RangeError(`no member ${member} of ${this.members}`);
    return {
      addAll: (ks, n, fresh, hashes) => this.markAll(ks, n, member, fresh, hashes),
      reserve: (keys) => {
        this.reserved[member] = keys;
        this.reserveSlots(this.reserved.reduce((a, b) => a + b, 0));
      },
    };
  }

  /** Marks keys[0..n) as added by `member`, in order; fresh and hashes as Dedupe.addAll. */
  markAll(keys: readonly string[], n: number, member: number, fresh: Uint8Array, hashes: Int32Array): void {
    const byte = member >> 3;
    const bit = 1 << (member & 7);
    this.hashAll(keys, n, hashes);
    for (let k = 0; k < n; k++) {
      const key = keys[k] as string;
      const h = hashes[k] as number;
      if (h === 0) {
        fresh[k] = this.markOther(key, byte, bit) ? 1 : 0;
        continue;
      }
      const found = this.findOrStoreAt(k, key.length, h);
      const offset = found < 0 ? -1 - found : found;
      const arena = this.blocks[offset >>> BLOCK_BITS] as Uint8Array;
      const at = (offset & BLOCK_MASK) + 1 + key.length + byte;
      const had = (arena[at] as number) & bit;
      arena[at] = (arena[at] as number) | bit;
      fresh[k] = had === 0 ? 1 : 0;
    }
  }

  private markOther(key: string, byte: number, bit: number): boolean {
    let marks = this.other.get(key);
    if (marks === undefined) {
      marks = new Uint8Array(this.tail);
      this.other.set(key, marks);
    }
    const had = (marks[byte] as number) & bit;
    marks[byte] = (marks[byte] as number) | bit;
    return had === 0;
  }
}

/** Arena blocks of 1 MB: an entry is at most 256 bytes and its tail. */
const BLOCK_BITS = 20;
const BLOCK = 1 << BLOCK_BITS;
const BLOCK_MASK = BLOCK - 1;
const MAX_MEMBERS = 8 * 1024;

/**
 * FNV-1a, two characters a step (ASCII, so a pair fits in 16 bits), then a final mix so the low
 * bits (the slot) depend on every character. 0 for a key the arena cannot hold (a non-ASCII
 * character, or longer than a length byte): it goes to the Set.
 */
function hash(s: string): number {
  return s.length > 255 ? 0 : hashInto(s, s.length, UNREAD, 0);
}

/** Where hash() writes the characters hashInto() copies, never read. */
const UNREAD = new Uint8Array(255);

/**
 * hash() of a key of len (at most 255) characters, which are written to bytes[at..at+len) on
 * the way (of no use when the hash is 0).
 */
function hashInto(key: string, len: number, bytes: Uint8Array, at: number): number {
  let h = 0x811c9dc5 ^ len;
  let i = 0;
  for (; i + 1 < len; i += 2) {
    const a = key.charCodeAt(i);
    const b = key.charCodeAt(i + 1);
    if ((a | b) > 127) return 0;
    bytes[at + i] = a;
    bytes[at + i + 1] = b;
    h = Math.imul(h ^ (a | (b << 8)), 0x01000193);
  }
  if (i < len) {
    const a = key.charCodeAt(i);
    if (a > 127) return 0;
    bytes[at + i] = a;
    h = Math.imul(h ^ a, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h === 0 ? 1 : h;
}
