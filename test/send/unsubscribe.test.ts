import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MailopsError } from "../../src/errors.js";
import {
  UnsubscribeSecretError,
  unsubscribeUrl,
  verifyUnsubscribeToken,
} from "../../src/send/unsubscribe.js";

const token = (url: string) => new URL(url).searchParams.get("t") ?? "";

/** Secrets of at least 32 bytes, as signing and verifying require. */
const S3CRET = "s3cret-s3cret-s3cret-s3cret-s3cret";
const K = "k".repeat(32);

describe("link-mode unsubscribe tokens", () => {
  it("round-trips the address, campaign and topic", () => {
    const url = unsubscribeUrl("https://example.com/unsubscribe", S3CRET, {
      email: "Jane@example.com",
      campaign: "promo",
      topic: "offers",
    });
    expect(url).toMatch(/^https:\/\/example\.com\/unsubscribe\?t=[\w-]+\.[\w-]+$/);
    expect(verifyUnsubscribeToken(token(url), S3CRET)).toEqual({
      email: "Jane@example.com",
      campaign: "promo",
      topic: "offers",
    });
  });

  it("keeps an existing query string", () => {
    const url = unsubscribeUrl("https://example.com/u?list=a", K, {
      email: "a@example.com",
      campaign: "c",
    });
    expect(new URL(url).searchParams.get("list")).toBe("a");
    expect(verifyUnsubscribeToken(token(url), K)).toEqual({ email: "a@example.com", campaign: "c" });
  });

  it("refuses a token signed with another secret, a tampered payload, or garbage", () => {
    const right = `right-${K}`;
    const t = token(
      unsubscribeUrl("https://example.com/u", right, { email: "a@example.com", campaign: "c" }),
    );
    expect(verifyUnsubscribeToken(t, `wrong-${K}`)).toBeUndefined();
    const [payload, sig] = t.split(".");
    const forged = Buffer.from(JSON.stringify({ e: "victim@example.com", c: "c" })).toString("base64url");
    expect(verifyUnsubscribeToken(`${forged}.${sig}`, right)).toBeUndefined();
    expect(verifyUnsubscribeToken(`${payload}`, right)).toBeUndefined();
    expect(verifyUnsubscribeToken("", right)).toBeUndefined();
    expect(verifyUnsubscribeToken("not.base64!", right)).toBeUndefined();
  });
});

describe("the signing secret is at least 32 bytes of UTF-8", () => {
  const claim = { email: "victim@example.com", campaign: "c" };
  /** A token anyone can make for a secret they can guess, such as the empty one. */
  const minted = (secret: string) => {
    const payload = Buffer.from(JSON.stringify({ e: claim.email, c: claim.campaign })).toString("base64url");
    return `${payload}.${createHmac("sha256", secret).update(payload).digest("base64url")}`;
  };
  // "é" is two bytes: 15 of them and one ASCII byte are 16 characters but 31 bytes, 16 are 32.
  const cases: [string, string, boolean][] = [
    ["empty", "", false],
    ["31 ASCII bytes", "a".repeat(31), false],
    ["31 bytes in 16 characters", `${"é".repeat(15)}a`, false],
    ["32 ASCII bytes", "a".repeat(32), true],
    ["32 bytes in 16 characters", "é".repeat(16), true],
  ];

  it.each(cases)("%s: signing", (_, secret, ok) => {
    const sign = () => unsubscribeUrl("https://example.com/u", secret, claim);
    if (ok) expect(verifyUnsubscribeToken(token(sign()), secret)).toEqual(claim);
    else expect(sign).toThrow(UnsubscribeSecretError);
  });

  it.each(cases)("%s: verifying", (_, secret, ok) => {
    const verify = () => verifyUnsubscribeToken(minted(secret), secret);
    if (ok) expect(verify()).toEqual(claim);
    else expect(verify).toThrow(UnsubscribeSecretError);
  });

  it("an unset secret (the endpoint's variable missing) throws instead of accepting a token minted without one", () => {
    let error: unknown;
    try {
      verifyUnsubscribeToken(minted(""), undefined);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsubscribeSecretError);
    expect(error).toBeInstanceOf(MailopsError);
    expect((error as MailopsError).message).toContain("MAILOPS_UNSUBSCRIBE_SECRET");
    expect((error as MailopsError).hint).toContain("openssl rand -base64 48");
  });

  it("a short secret's error says how long it is and how to make a good one", () => {
    expect(() => verifyUnsubscribeToken(minted("short"), "short")).toThrow(
      "the unsubscribe signing secret is 5 bytes; at least 32 are needed",
    );
  });
});
