import { describe, expect, it } from "vitest";
import { emailFast, isEmailFast } from "../../src/audience/email-fast.js";
import { isEmail } from "../../src/util/email.js";

/** A small deterministic generator, so a failure reproduces. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const CASES = [
  "a@b.co",
  "ann.lee+tag@mail.example.com",
  "a@b",
  "@b.co",
  "a@",
  "a@@b.co",
  "a@b@c.co",
  ".a@b.co",
  "a.@b.co",
  "a..b@c.co",
  "a@-b.co",
  "a@b-.co",
  "a@b..co",
  "a@.b.co",
  "a@b.co.",
  "a b@c.co",
  "é@b.co",
  "a@é.co",
  "a@b_c.co",
  "a@b.c-d.co",
  "!#$%&'*+/=?^_`{|}~-@x.io",
  "",
  "@",
  `${"a".repeat(64)}@b.co`,
  `${"a".repeat(65)}@b.co`,
  `a@${"b".repeat(63)}.co`,
  `a@${"b".repeat(64)}.co`,
  `a@${`${"b".repeat(60)}.`.repeat(4)}com`,
  `${"a".repeat(60)}@${`${"b".repeat(62)}.`.repeat(3)}co`,
  // Internationalized domains: valid in their ASCII (punycode) form.
  "a@bücher.example",
  "a@BÜCHER.example",
  "a@bu\u0308cher.example",
  "a@例え.テスト",
  "a@-é.co",
  "a@é-.co",
  "a@é_.co",
  "a@é%41.co",
  "a@é..co",
  "a@.é.co",
  "a@é.co.",
  "a@é",
  "a@b@é.co",
  "a@exam\u00adple.cö",
  "a@１２７.０.０.１",
  "é@bücher.example",
  `a@${"ü".repeat(64)}.co`,
  `u@${Array(7).fill("üäößéèêëïîôœùûçñáíóú").join(".")}.example`,
  `${"u".repeat(20)}@${Array(7).fill("üäößéèêëïîôœùûçñáíóú").join(".")}.example`,
];

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
      let s = bases[Math.floor(next() * bases.length)] as string;
      for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) {
        const at = Math.floor(next() * (s.length + 1));
        const ch = alphabet[Math.floor(next() * alphabet.length)] as string;
        const op = next();
        if (op < 0.4) s = s.slice(0, at) + ch + s.slice(at + 1);
        else if (op < 0.8) s = s.slice(0, at) + ch + s.slice(at);
        else s = s.slice(0, at) + s.slice(at + 1);
      }
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
