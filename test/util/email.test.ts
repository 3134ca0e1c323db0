import { describe, expect, it } from "vitest";
import {
  asciiDomain,
  domainOf,
  hasNonAsciiLocalPart,
  isEmail,
  legacyAddressKeyV1,
  normalizeAddress,
  parseMailbox,
} from "../../src/util/email.js";

describe("isEmail", () => {
  const valid = [
    "user@example.com",
    "first.last@example.co.uk",
    "user+tag@example.com",
    "o'brien@example.ie",
    "x@a-b.example",
    `${"a".repeat(64)}@example.com`,
  ];
  const invalid = [
    "",
    "user",
    "@example.com",
    "user@",
    "user@example", // one label only
    "user@@example.com",
    "us@er@example.com",
    ".user@example.com",
    "user.@example.com",
    "us..er@example.com",
    "user@-example.com",
    "user@example-.com",
    "user@exa_mple.com",
    "user name@example.com",
    `${"a".repeat(65)}@example.com`, // local part over 64
    `a@${"b".repeat(250)}.com`, // over 254 in all
    `a@${"b".repeat(64)}.com`, // a label over 63
  ];
  it.each(valid)("accepts %s", (address) => expect(isEmail(address)).toBe(true));
  it.each(invalid)("rejects %j", (address) => expect(isEmail(address)).toBe(false));
});

describe("parseMailbox", () => {
  const cases: [string, ReturnType<typeof parseMailbox>][] = [
    ["user@example.com", { address: "user@example.com" }],
    ["  user@example.com  ", { address: "user@example.com" }],
    ["Acme Marketing <marketing@example.com>", { name: "Acme Marketing", address: "marketing@example.com" }],
    ['"Acme, Inc." <news@example.com>', { name: "Acme, Inc.", address: "news@example.com" }],
    ["<news@example.com>", { name: undefined, address: "news@example.com" }],
    ["Acme < news@example.com >", { name: "Acme", address: "news@example.com" }],
    ['"Say \\"hi\\"" <news@example.com>', { name: 'Say "hi"', address: "news@example.com" }],
    ["Acme news@example.com", undefined], // no angle brackets around the address
    ["Acme, Inc. <news@example.com>", undefined], // an unquoted comma makes two addresses
    ['"Acme "Inc"" <news@example.com>', undefined],
    ["Acme <news@@example.com>", undefined],
    ["Acme <news@example.com", undefined],
    ["Acme <a@example.com> <b@example.com>", undefined],
    ["", undefined],
  ];
  it.each(cases)("%j", (text, expected) => {
    expect(parseMailbox(text)).toEqual(expected);
  });
});

describe("domainOf", () => {
  it("the part after the last @ (or a bare domain) in key form", () => {
    expect(domainOf("User@Example.COM")).toBe("example.com");
    expect(domainOf("user@Bücher.example")).toBe("xn--bcher-kva.example");
    expect(domainOf("Example.COM")).toBe("example.com");
  });
});

describe("normalizeAddress: the address key", () => {
  const cases: [string, string][] = [
    ["ann@example.com", "ann@example.com"],
    // The whole address is folded: local part too.
    ["Ann@example.com", "ann@example.com"],
    ["ANN@EXAMPLE.COM", "ann@example.com"],
    ["ann@Example.Com", "ann@example.com"],
    // Capitals at either end of the alphabet, a character just past ASCII.
    ["zed@example.coZ", "zed@example.coz"],
    ["ann@Ab.example", "ann@ab.example"],
    ["ann@\u00e0.example", "ann@xn--0ca.example"],
    // Surrounding whitespace, ASCII or not.
    ["  Ann@Example.com\t", "ann@example.com"],
    ["\u00a0ann@example.com\u2003", "ann@example.com"],
    // An internationalized domain in its ASCII (IDNA) form, whatever its case.
    ["user@bücher.example", "user@xn--bcher-kva.example"],
    ["User@BÜCHER.Example", "user@xn--bcher-kva.example"],
    ["user@XN--BCHER-KVA.example", "user@xn--bcher-kva.example"],
    ["user@例え.テスト", "user@xn--r8jz45g.xn--zckzah"],
    // NFD (u + combining diaeresis) is the same domain as NFC ü.
    ["user@bu\u0308cher.example", "user@xn--bcher-kva.example"],
    // A non-ASCII local part (not a valid address, but a key still): NFC, lowercase.
    ["Jose\u0301@example.com", "jos\u00e9@example.com"],
    ["JOS\u00c9@example.com", "jos\u00e9@example.com"],
    // Not an address: folded all the same; text without an @ is read as a domain.
    ["Not An Address", "not an address"],
    ["Bücher.example", "xn--bcher-kva.example"],
    ["", ""],
  ];
  it.each(cases)("%j → %j", (input, key) => {
    expect(normalizeAddress(input)).toBe(key);
  });

  it("NFC and NFD spellings of the same local part and domain give one key", () => {
    const nfc = "Jos\u00e9@M\u00fcnchen.example";
    const nfd = nfc.normalize("NFD");
    expect(nfd).not.toBe(nfc);
    expect(normalizeAddress(nfd)).toBe(normalizeAddress(nfc));
    expect(normalizeAddress(nfc)).toBe("jos\u00e9@xn--mnchen-3ya.example");
  });

  it("is idempotent: the key of a key is itself", () => {
    const inputs = [
      ...cases.map(([input]) => input),
      "\u0130stanbul@example.com", // İ lowercases to i + combining dot
      "STRASSE@Faß.de",
      "x@exam\u00adple.com", // a soft hyphen IDNA drops
      "x@é..co",
      "x@é_x.co",
      "a@b@Ü.co",
      "  @  ",
    ];
    for (const input of inputs) {
      const key = normalizeAddress(input);
      expect(normalizeAddress(key), JSON.stringify(input)).toBe(key);
    }
  });

  it("returns an address already in key form as it is", () => {
    const a = ["ann", "@", "example.com"].join("");
    expect(normalizeAddress(a)).toBe(a);
  });
});

describe("legacyAddressKeyV1: the key before the whole address was folded", () => {
  const cases: [string, string][] = [
    ["ann@example.com", "ann@example.com"],
    ["Ann@example.com", "Ann@example.com"],
    ["Ann@EXAMPLE.com", "Ann@example.com"],
    ["  DUP@EXAMPLE.COM ", "DUP@example.com"],
    ["Dup@Bücher.example", "Dup@bücher.example"],
    ["no-at-sign ", "no-at-sign"],
  ];
  it.each(cases)("%j → %j", (input, key) => {
    expect(legacyAddressKeyV1(input)).toBe(key);
  });
});

describe("internationalized domains", () => {
  it("are valid, judged by their ASCII form", () => {
    expect(isEmail("user@bücher.example")).toBe(true);
    expect(isEmail("user@例え.テスト")).toBe(true);
    expect(asciiDomain("Bücher.example")).toBe("xn--bcher-kva.example");
    // ASCII characters no domain holds stay invalid, even beside Unicode ones.
    expect(isEmail("user@bü_cher.example")).toBe(false);
    expect(isEmail("user@bü%41cher.example")).toBe(false);
    expect(isEmail("user@bücher")).toBe(false); // one label only
    expect(isEmail("user@-bücher.example")).toBe(false); // a label may not start or end with -
    // The 254-character limit counts the address as sent.
    const domain = `${Array(7).fill("üäößéèêëïîôœùûçñáíóú").join(".")}.example`; // 154, in ASCII 238
    expect(isEmail(`u@${domain}`)).toBe(true);
    expect(isEmail(`${"u".repeat(20)}@${domain}`)).toBe(false);
  });

  it("a non-ASCII local part is not valid (SES takes no SMTPUTF8 address)", () => {
    expect(isEmail("josé@example.com")).toBe(false);
    expect(hasNonAsciiLocalPart("josé@example.com")).toBe(true);
    expect(hasNonAsciiLocalPart("jose@bücher.example")).toBe(false);
  });

  it("a From address must be ASCII already: SES gets it as written", () => {
    expect(parseMailbox("Acme <news@bücher.example>")).toBeUndefined();
    expect(parseMailbox("news@xn--bcher-kva.example")).toEqual({ address: "news@xn--bcher-kva.example" });
  });
});
