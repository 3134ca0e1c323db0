import path from "node:path";
import { describe, expect, it } from "vitest";
import { isInside } from "../../src/util/paths.js";

describe("isInside", () => {
  const root = path.resolve("/repo");
  const cases: [string, string, boolean][] = [
    ["the root itself", root, true],
    ["the root with a trailing separator", `${root}${path.sep}`, true],
    ["a file in the root", path.join(root, "a.csv"), true],
    ["a name starting with two dots", path.join(root, "..foo"), true],
    ["a file in a folder starting with two dots", path.join(root, "..foo", "x.csv"), true],
    ["a name that is only dots", path.join(root, "..."), true],
    ["the parent", path.join(root, ".."), false],
    ["a sibling through ..", `${root}${path.sep}..${path.sep}x`, false],
    ["a sibling whose name starts like the root", path.resolve("/repo2/x"), false],
    [
      "a path that climbs out and back in",
      `${root}${path.sep}a${path.sep}..${path.sep}..${path.sep}repo${path.sep}b`,
      true,
    ],
    ["the file-system root", path.parse(root).root, false],
  ];
  it.each(cases)("%s", (_, file, expected) => {
    expect(isInside(root, file)).toBe(expected);
  });

  it("treats `../x` relative to the root as outside and `..foo` as inside", () => {
    expect(isInside(root, path.resolve(root, "../x"))).toBe(false);
    expect(isInside(root, path.resolve(root, "..foo"))).toBe(true);
  });
});
