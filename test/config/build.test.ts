import { describe, expect, it } from "vitest";
import { parseDuration, parseSendAt, partReference } from "../../src/config/build.js";

describe("parseSendAt", () => {
  const at = (iso: string) => ({ kind: "at", iso, epochMs: Date.parse(iso) });
  const valid: [string, unknown][] = [
    ["on-merge", { kind: "on-merge" }],
    ["2026-12-01T09:00:00Z", at("2026-12-01T09:00:00.000Z")],
    ["2026-12-01T09:00Z", at("2026-12-01T09:00:00.000Z")], // seconds are optional
    ["2026-12-01T10:00:00+01:00", at("2026-12-01T09:00:00.000Z")], // normalised to UTC
    ["2026-12-01T04:30:00-04:30", at("2026-12-01T09:00:00.000Z")],
    ["2026-12-01T09:00:00.250Z", at("2026-12-01T09:00:00.250Z")],
    ["2028-02-29T00:00:00Z", at("2028-02-29T00:00:00.000Z")], // a leap day
    ["2026-12-31T23:59:59+00:00", at("2026-12-31T23:59:59.000Z")],
  ];
  it.each(valid)("%s", (text, expected) => {
    expect(parseSendAt(text)).toEqual(expected);
  });

  const invalid = [
    "",
    "now",
    "On-Merge",
    "2026-12-01", // a date alone: which hour?
    "2026-12-01T09:00:00", // no offset: ambiguous
    "2026-12-01 09:00:00Z", // a space instead of T
    "2026-12-01T09:00:00+0100", // offset without a colon
    "2026-02-30T09:00:00Z", // no such day
    "2027-02-29T09:00:00Z", // not a leap year
    "2026-13-01T09:00:00Z",
    "2026-12-01T24:00:00Z",
    "2026-12-01T09:60:00Z",
    "2026-12-01T09:00:60Z",
    " 2026-12-01T09:00:00Z",
    "tomorrow at 9",
  ];
  it.each(invalid)("rejects %j", (text) => {
    expect(parseSendAt(text)).toBeUndefined();
  });
});

describe("parseDuration", () => {
  const cases: [string | undefined, number | undefined][] = [
    ["90s", 90],
    ["30m", 1800],
    ["24h", 86400],
    ["7d", 604800],
    ["0s", 0],
    [undefined, undefined],
    ["", undefined],
    ["1 day", undefined],
    ["1.5h", undefined],
    ["-1h", undefined],
    ["h", undefined],
    ["10", undefined],
    ["10H", undefined],
    ["1w", undefined],
  ];
  it.each(cases)("%j → %s", (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
});

describe("partReference: a template's html/text is a file name or the body", () => {
  const cases: [string, ReturnType<typeof partReference>][] = [
    ["welcome.html", { path: "welcome.html", extensionOk: true }],
    ["  bodies/welcome.HTM ", { path: "bodies/welcome.HTM", extensionOk: true }],
    ["welcome.txt", { path: "welcome.txt", extensionOk: true }],
    ["welcome.hbs", { path: "welcome.hbs", extensionOk: true }],
    ["welcome.handlebars", { path: "welcome.handlebars", extensionOk: true }],
    ["../../etc/passwd", { path: "../../etc/passwd", extensionOk: false }], // refused, never sent as a body
    ["/etc/passwd", { path: "/etc/passwd", extensionOk: false }],
    ["bodies/welcome.md", { path: "bodies/welcome.md", extensionOk: false }],
    ["<p>Hello {{name}}</p>", undefined],
    ["Hello {{name}}, see welcome.html", undefined],
    [
      "https://example.com/offer.html",
      { path: "https://example.com/offer.html", extensionOk: false, url: true },
    ],
    ["https://example.com/offer", { path: "https://example.com/offer", extensionOk: false, url: true }],
    ["Hello", undefined],
    ["{{body}}.html", undefined],
  ];
  it.each(cases)("%j", (value, expected) => {
    expect(partReference(value)).toEqual(expected);
  });
});
