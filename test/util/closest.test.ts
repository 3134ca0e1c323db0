import { describe, expect, it } from "vitest";
import { closest, didYouMean, editDistance, listOptions } from "../../src/util/closest.js";

describe("editDistance", () => {
  const cases: [string, string, number][] = [
    ["", "", 0],
    ["abc", "abc", 0],
    ["", "abc", 3],
    ["abc", "", 3],
    ["kitten", "sitting", 3],
    ["send_at", "sendat", 1], // deletion
    ["form", "from", 1], // neighbours swapped count as one edit
    ["nmae", "name", 1],
    ["ab", "ba", 1],
    ["abcd", "badc", 2],
    ["marketing", "marketting", 1],
  ];
  it.each(cases)("%s → %s is %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  it("stops early past the bound and says so with max + 1", () => {
    expect(editDistance("abcdef", "uvwxyz", 2)).toBe(3);
    expect(editDistance("a", "abcdef", 2)).toBe(3);
    expect(editDistance("kitten", "sitting", 3)).toBe(3);
  });
});

describe("closest", () => {
  const cases: [string, string[], string | undefined][] = [
    ["helo", ["hello", "goodbye"], "hello"],
    ["sendat", ["send_at", "template"], "send_at"],
    ["Name", ["name", "email"], "name"], // case only
    ["nmae", ["email", "name"], "name"],
    ["xyz", ["hello", "world"], undefined], // nothing near
    ["to", ["from"], undefined], // short words allow one edit only
    ["name", ["name"], undefined], // the input itself is not a suggestion
    ["", ["a"], undefined],
  ];
  it.each(cases)("%s among %j → %s", (input, candidates, expected) => {
    expect(closest(input, candidates)).toBe(expected);
  });

  it("prefers the nearer of two candidates", () => {
    expect(closest("promotion", ["promotions", "motion"])).toBe("promotions");
  });

  it("breaks ties by candidate order, so hints are stable", () => {
    expect(closest("cat", ["bat", "hat"])).toBe("bat");
    expect(closest("cat", ["hat", "bat"])).toBe("hat");
  });
});

describe("didYouMean", () => {
  it("wraps the suggestion, or gives nothing", () => {
    expect(didYouMean("helo", ["hello"])).toBe("did you mean `hello`?");
    expect(didYouMean("zzz", ["hello"])).toBeUndefined();
  });
});

describe("listOptions", () => {
  const cases: [string[], number | undefined, string][] = [
    [[], undefined, ""],
    [["a"], undefined, "`a`"],
    [["a", "b"], undefined, "`a` or `b`"],
    [["a", "b", "c"], undefined, "`a`, `b` or `c`"],
    [["a", "b", "c", "d"], 2, "`a`, `b` or 2 more"],
  ];
  it.each(cases)("%j (max %s) → %s", (options, max, expected) => {
    expect(listOptions(options, max)).toBe(expected);
  });
});
