/**
 * util/crypto.ts: node:crypto loaded on first use. digest() names every ledger entry
 * (send/ledger.ts recipientId), so it must give createHash's answer whichever way it takes: the
 * one-shot `hash` (Node >= 20.12) or createHash (older Node 20), or a run on one machine would not
 * know the recipients another recorded.
 */
import * as nodeCrypto from "node:crypto";
import { createRequire } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import { createHash, digest } from "../../src/util/crypto.js";

const INPUTS: [string, string][] = [
  ["empty", ""],
  ["a recipient's key", "acme\nann@example.com"],
  ["not ASCII, 300 characters", "é\u0000x".repeat(100)],
];
const expected = (algorithm: string, data: string, encoding: "base64url" | "hex") =>
  nodeCrypto.createHash(algorithm).update(data).digest(encoding);

/** The module object util/crypto.ts loads: the one whose `hash` it looks for. */
const loaded = createRequire(import.meta.url)("node:crypto") as { hash?: unknown };
const oneShot = loaded.hash;

describe("digest", () => {
  afterEach(() => {
    loaded.hash = oneShot;
  });

  it.each(INPUTS)("is createHash's digest (%s), in hex and base64url", (_, data) => {
    for (const algorithm of ["sha256", "sha1"])
      for (const encoding of ["hex", "base64url"] as const)
        expect(digest(algorithm, data, encoding)).toBe(expected(algorithm, data, encoding));
  });

  it.each(INPUTS)("is the same where Node has no one-shot hash (%s)", (_, data) => {
    loaded.hash = undefined;
    for (const encoding of ["hex", "base64url"] as const)
      expect(digest("sha256", data, encoding)).toBe(expected("sha256", data, encoding));
  });

  it("createHash is node:crypto's", () => {
    expect(createHash("sha256").update("x").digest("hex")).toBe(expected("sha256", "x", "hex"));
  });
});
