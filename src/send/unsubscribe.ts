/**
 * `link` unsubscribe mode: a per-recipient URL carrying an HMAC-signed token, so the endpoint can
 * trust the address and campaign it receives without a database lookup. See docs/unsubscribe.md.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SECRET_ENV = "MAILOPS_UNSUBSCRIBE_SECRET";

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

/** `<base>?t=<payload>.<signature>`: payload is base64url JSON of the claim. */
export function unsubscribeUrl(base: string, secret: string, claim: UnsubscribeClaim): string {
  const payload = Buffer.from(
    JSON.stringify({ e: claim.email, c: claim.campaign, ...(claim.topic ? { t: claim.topic } : {}) }),
  ).toString("base64url");
  const sep = base.includes("?") ? "&" : "?";
  return `${base}${sep}t=${payload}.${sign(secret, payload)}`;
}

/** Verify a token from an unsubscribe request; undefined when it was not signed with `secret`. */
export function verifyUnsubscribeToken(token: string, secret: string): UnsubscribeClaim | undefined {
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
