import { describe, expect, it } from "vitest";
import { emailFast, isEmailFast } from "../../src/audience/email-fast.js";
import { isEmail } from "../../src/util/email.js";
import { ADDRESS_CASES, nearAddress, random } from "../support/addresses.js";

const CASES = ADDRESS_CASES;

describe("isEmailFast agrees with isEmail", () => {
  it.each(CASES)("%j", (address) => {
    expect(isEmailFast(address)).toBe(isEmail(address));
  });

  it("on 200,000 near-addresses: valid ones with one character changed, added or removed", () => {
    const next = random(42);
    const alphabet = ["a", "Z", "0", "@", ".", "-", "_", "+", " ", "é", "#", "\t", "😀"];
    const bases = CASES.filter((c) => isEmail(c));
    let valid = 0;
    for (let k = 0; k < 200_000; k++) {
      const s = nearAddress(bases[Math.floor(next() * bases.length)] as string, next, alphabet);
      const expected = isEmail(s);
      if (expected) valid++;
      if (isEmailFast(s) !== expected)
        expect.fail(`disagree on ${JSON.stringify(s)}: isEmail says ${expected}`);
    }
    // Both outcomes were exercised.
    expect(valid).toBeGreaterThan(10_000);
    expect(valid).toBeLessThan(190_000);
  });
});

describe("emailFast: the address as sent", () => {
  it("a valid ASCII address is returned as it is (no copy)", () => {
    const a = ["Ann", "@", "Example.com"].join("");
    expect(emailFast(a)).toBe(a);
  });
  it("an internationalized domain in ASCII form; the local part as written", () => {
    expect(emailFast("Ann@Bücher.example")).toBe("Ann@xn--bcher-kva.example");
    expect(emailFast("ann@bu\u0308cher.example")).toBe("ann@xn--bcher-kva.example");
  });
  it("undefined for an invalid address, a non-ASCII local part included", () => {
    expect(emailFast("josé@example.com")).toBeUndefined();
    expect(emailFast("a@é_.co")).toBeUndefined();
    expect(emailFast("not an address")).toBeUndefined();
  });
});
