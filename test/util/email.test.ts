import { describe, expect, it } from "vitest";
import { domainOf, isEmail, parseMailbox } from "../../src/util/email.js";

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
  it("lower-cases the part after the last @", () => {
    expect(domainOf("User@Example.COM")).toBe("example.com");
  });
});
