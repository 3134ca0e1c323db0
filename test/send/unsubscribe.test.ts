import { describe, expect, it } from "vitest";
import { unsubscribeUrl, verifyUnsubscribeToken } from "../../src/send/unsubscribe.js";

const token = (url: string) => new URL(url).searchParams.get("t") ?? "";

describe("link-mode unsubscribe tokens", () => {
  it("round-trips the address, campaign and topic", () => {
    const url = unsubscribeUrl("https://example.com/unsubscribe", "s3cret", {
      email: "Jane@example.com",
      campaign: "promo",
      topic: "offers",
    });
    expect(url).toMatch(/^https:\/\/example\.com\/unsubscribe\?t=[\w-]+\.[\w-]+$/);
    expect(verifyUnsubscribeToken(token(url), "s3cret")).toEqual({
      email: "Jane@example.com",
      campaign: "promo",
      topic: "offers",
    });
  });

  it("keeps an existing query string", () => {
    const url = unsubscribeUrl("https://example.com/u?list=a", "k", {
      email: "a@example.com",
      campaign: "c",
    });
    expect(new URL(url).searchParams.get("list")).toBe("a");
    expect(verifyUnsubscribeToken(token(url), "k")).toEqual({ email: "a@example.com", campaign: "c" });
  });

  it("refuses a token signed with another secret, a tampered payload, or garbage", () => {
    const t = token(
      unsubscribeUrl("https://example.com/u", "right", { email: "a@example.com", campaign: "c" }),
    );
    expect(verifyUnsubscribeToken(t, "wrong")).toBeUndefined();
    const [payload, sig] = t.split(".");
    const forged = Buffer.from(JSON.stringify({ e: "victim@example.com", c: "c" })).toString("base64url");
    expect(verifyUnsubscribeToken(`${forged}.${sig}`, "right")).toBeUndefined();
    expect(verifyUnsubscribeToken(`${payload}`, "right")).toBeUndefined();
    expect(verifyUnsubscribeToken("", "right")).toBeUndefined();
    expect(verifyUnsubscribeToken("not.base64!", "right")).toBeUndefined();
  });
});
