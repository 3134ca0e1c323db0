/** The campaign audience: subscriber sources streamed through segments, excludes and suppression. */
export { maskAddress } from "./address.js";
export {
  type AudienceDeps,
  type AudienceOptions,
  type AudienceStats,
  audience,
  emptyStats,
  type InvalidSample,
  MAX_INVALID_SAMPLES,
  type Recipient,
  type SentCheck,
  SourceChangedError,
  type SourceRows,
  type SuppressionCheck,
  sourcePasses,
} from "./audience.js";
export { compileCondition, type Predicate } from "./condition.js";
export { parseInstant } from "./instant.js";
export {
  describeTooManyInvalid,
  formatMaxInvalidRows,
  type InvalidRows,
  invalidRowLimit,
  judgeInvalidRows,
  sourceTotals,
} from "./invalid-rows.js";
export {
  type OpenSource,
  openLocal,
  openS3,
  openSource,
  type S3OpenOptions,
  type SourceVersion,
  sourceVersion,
} from "./open.js";
export { DamagedSourceError } from "./rows.js";
export { type SharedMember, type SharedResult, sharedCounts } from "./shared-pass.js";
