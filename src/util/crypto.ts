/**
 * node:crypto's functions that mailops uses, loaded on first call: loading the module costs every
 * start a few milliseconds (it brings some twenty modules of Node's own), and a dry run over files
 * calls none of them. Same signatures as node:crypto's.
 */
import type * as Crypto from "node:crypto";
import { createRequire } from "node:module";

let loaded: typeof Crypto | undefined;
const crypto = (): typeof Crypto => {
  loaded ??= createRequire(import.meta.url)("node:crypto") as typeof Crypto;
  return loaded;
};

export const createHash: typeof Crypto.createHash = (...args) => crypto().createHash(...args);
export const createHmac: typeof Crypto.createHmac = (...args) => crypto().createHmac(...args);
export const timingSafeEqual: typeof Crypto.timingSafeEqual = (...args) => crypto().timingSafeEqual(...args);
export const randomUUID: typeof Crypto.randomUUID = (...args) => crypto().randomUUID(...args);

export function randomBytes(size: number): Buffer {
  return crypto().randomBytes(size);
}

type OneShot = (algorithm: string, data: string, encoding: "base64url" | "hex") => string;

/**
 * The digest of `data` in one call: node:crypto's one-shot `hash` where there is one (Node >= 20.12,
 * about twice as fast as createHash for short inputs), else createHash.
 */
export function digest(algorithm: string, data: string, encoding: "base64url" | "hex"): string {
  const oneShot = (crypto() as { hash?: OneShot }).hash;
  return oneShot
    ? oneShot(algorithm, data, encoding)
    : crypto().createHash(algorithm).update(data).digest(encoding);
}
