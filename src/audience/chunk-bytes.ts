/**
 * A read chunk's bytes, checked by WebAssembly (chunk.wat) where JavaScript reads a byte at a time
 * and SIMD reads sixteen: whether the chunk is clean (fast-json.ts isCleanBytes) and ASCII, and
 * whether an address in it is of the usual kind (email-fast.ts, its COMMON pattern). Each answer
 * is the JavaScript check's, which test/audience/chunk-bytes.test.ts holds it to; where the runtime
 * cannot compile the module (no WebAssembly SIMD), chunkBytes() is undefined and the readers use
 * those checks.
 */
import { CHUNK_WASM } from "./chunk-wasm.generated.js";

interface Exports {
  memory: WebAssembly.Memory;
  check(length: number): number;
  email(from: number, to: number): number;
}

/** Where the chunk starts in the module's memory: the bytes before it are its character classes. */
const CHUNK = 256;
const PAGE = 65536;

/** What load() says of a chunk. */
export const ASCII = 0;
export const CLEAN = 1;
export const DIRTY = 2;

let compiled: WebAssembly.Module | null | undefined;

export class ChunkBytes {
  private view: Uint8Array;

  constructor(private readonly x: Exports) {
    this.view = new Uint8Array(x.memory.buffer);
  }

  /**
   * Takes the chunk in place of the last one: ASCII when it is clean and every byte is ASCII (so
   * its Latin-1 or UTF-8 text has its bytes' offsets), CLEAN when it is clean, else DIRTY.
   */
  load(bytes: Uint8Array): number {
    const need = CHUNK + bytes.length;
    if (need > this.view.length) {
      this.x.memory.grow(Math.ceil((need - this.view.length) / PAGE));
      this.view = new Uint8Array(this.x.memory.buffer);
    }
    this.view.set(bytes, CHUNK);
    return this.x.check(bytes.length);
  }

  /**
   * Whether the loaded chunk's bytes from `from` to `to` are an address COMMON matches, as
   * emailFast takes it as written; false says nothing (emailFast decides).
   */
  email(from: number, to: number): boolean {
    return this.x.email(from, to) === 1;
  }
}

/** Checks of a reader's own, or undefined where the module does not compile here. */
export function chunkBytes(): ChunkBytes | undefined {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(CHUNK_WASM, "base64"));
    } catch {
      compiled = null;
    }
  }
  return compiled
    ? new ChunkBytes(new WebAssembly.Instance(compiled).exports as unknown as Exports)
    : undefined;
}
