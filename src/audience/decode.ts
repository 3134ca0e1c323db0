/** Bytes of a subscriber file to text. */
import { isAscii } from "node:buffer";

/**
 * UTF-8 chunks to text. TextDecoder keeps a character split across chunks whole; a chunk of plain
 * ASCII after a chunk that ended cleanly is copied as Latin-1 instead, the same text for a
 * fraction of the work (subscriber files are mostly ASCII). A leading BOM is kept: readers drop it.
 * `ascii`: whether the chunk is all ASCII, when the caller has already found out (chunk-bytes.ts).
 */
export function decoder(): (chunk?: Uint8Array, ascii?: boolean) => string {
  const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
  // Whether the last chunk left the decoder with no partial character: true after any ASCII chunk.
  let clean = true;
  return (chunk, known) => {
    if (chunk === undefined) return utf8.decode();
    const ascii = known ?? isAscii(chunk);
    const text =
      ascii && clean
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1")
        : utf8.decode(chunk, { stream: true });
    clean = ascii;
    return text;
  };
}
