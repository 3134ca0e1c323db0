/**
 * `link` unsubscribe mode: a per-recipient URL carrying an HMAC-signed token, so the endpoint can
 * trust the address and campaign it receives without a database lookup. See docs/unsubscribe.md.
 */
import { MailopsError } from "../errors.js";
import { createHmac, timingSafeEqual } from "../util/crypto.js";

export const SECRET_ENV = "MAILOPS_UNSUBSCRIBE_SECRET";

/**
 * Shortest signing secret, in bytes of its UTF-8 form: HMAC-SHA256's own output size. A short or
 * empty secret (an endpoint deployed without the variable) lets anyone mint tokens for any address.
 */
export const MIN_SECRET_BYTES = 32;

/** Stands in for the secret where a URL is built but never sent (previews, forecasts): long enough to sign. */
export const STAND_IN_SECRET = "mailops-preview-only-secret-never-used-to-send";

/** The unsubscribe signing secret is missing or too short: refused for signing and verifying alike. */
export class UnsubscribeSecretError extends MailopsError {}

/** Throws UnsubscribeSecretError unless `secret` has at least MIN_SECRET_BYTES bytes. */
export function assertUnsubscribeSecret(secret: string | undefined): asserts secret is string {
  const hint = `generate one with \`openssl rand -base64 48\` and set it as ${SECRET_ENV} (a GitHub secret in CI), the same value where your endpoint verifies tokens`;
  if (secret === undefined || secret === "")
    throw new UnsubscribeSecretError(`the unsubscribe signing secret (${SECRET_ENV}) is not set`, hint);
  const bytes = Buffer.byteLength(secret, "utf8");
  if (bytes < MIN_SECRET_BYTES) {
    throw new UnsubscribeSecretError(
      `the unsubscribe signing secret is ${bytes} bytes; at least ${MIN_SECRET_BYTES} are needed`,
      hint,
    );
  }
}

export interface UnsubscribeClaim {
  /**
   * The recipient's address key (util/email.ts normalizeAddress: lowercase, ASCII domain); links
   * sent before it folded the local part carry that part as written. Record it as it comes: every
   * suppression or opt-out mailops reads is folded into the key, so any spelling matches the row.
   */
  email: string;
  campaign: string;
  topic?: string;
}

function sign(secret: string, payload: string): string {
  return createHmac("sha256", secret).update(payload).digest("base64url");
}

/** `<base>?t=<payload>.<signature>`: payload is base64url JSON of the claim. Throws on a short secret. */
export function unsubscribeUrl(base: string, secret: string, claim: UnsubscribeClaim): string {
  assertUnsubscribeSecret(secret);
  const payload = Buffer.from(
    JSON.stringify({ e: claim.email, c: claim.campaign, ...(claim.topic ? { t: claim.topic } : {}) }),
  ).toString("base64url");
  const sep = base.includes("?") ? "&" : "?";
  return `${base}${sep}t=${payload}.${sign(secret, payload)}`;
}

/**
 * Verify a token from an unsubscribe request; undefined when it was not signed with `secret`.
 * Throws UnsubscribeSecretError when `secret` is missing or short: an endpoint without its secret
 * must fail, never accept tokens anyone could have signed.
 */
export function verifyUnsubscribeToken(
  token: string,
  secret: string | undefined,
): UnsubscribeClaim | undefined {
  assertUnsubscribeSecret(secret);
  const [payload, signature] = token.split(".");
  if (!payload || !signature) return undefined;
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const claim = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
      e?: unknown;
      c?: unknown;
      t?: unknown;
    };
    if (typeof claim.e !== "string" || typeof claim.c !== "string") return undefined;
    return { email: claim.e, campaign: claim.c, ...(typeof claim.t === "string" ? { topic: claim.t } : {}) };
  } catch {
    return undefined;
  }
}
