/**
 * `mailops/unsubscribe` (package.json `exports`): what an unsubscribe endpoint imports to check
 * the signed links of `unsubscribe.mode: link` (docs/unsubscribe.md). scripts/build.mjs builds it
 * to dist/unsubscribe.js with its declarations; what this file exports is the entry's whole surface.
 */
export {
  MIN_SECRET_BYTES,
  SECRET_ENV,
  type UnsubscribeClaim,
  UnsubscribeSecretError,
  unsubscribeUrl,
  verifyUnsubscribeToken,
} from "../send/unsubscribe.js";
