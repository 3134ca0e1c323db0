import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkRepoPath, firstInvalidUtf8, readRepo, readRepoFile } from "../../src/config/read.js";

describe("firstInvalidUtf8", () => {
  const bytes = (...b: number[]) => Uint8Array.from(b);
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const cases: [string, Uint8Array, number][] = [
    ["empty", bytes(), 0],
    ["ASCII", utf8("key: value\n"), 11],
    ["two-, three- and four-byte characters", utf8("é € 😀"), utf8("é € 😀").length],
    ["a Latin-1 é", bytes(0x63, 0x61, 0x66, 0xe9), 3],
    ["a lone continuation byte", bytes(0x61, 0x80), 1],
    ["a sequence cut short", bytes(0x61, 0xe2, 0x82), 1],
    ["a sequence cut by ASCII", bytes(0xe2, 0x41, 0x41), 0],
    ["an overlong `/`", bytes(0xc0, 0xaf), 0],
    ["an overlong three-byte form", bytes(0xe0, 0x80, 0xaf), 0],
    ["a UTF-16 surrogate", bytes(0xed, 0xa0, 0x80), 0],
    ["beyond U+10FFFF", bytes(0xf4, 0x90, 0x80, 0x80), 0],
    ["0xFF", bytes(0x41, 0x42, 0xff), 2],
  ];
  it.each(cases)("%s", (_, input, index) => {
    expect(firstInvalidUtf8(input)).toBe(index);
    // It agrees with the platform's decoder on whether the bytes are valid at all.
    let valid = true;
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(input);
    } catch {
      valid = false;
    }
    expect(index === input.length).toBe(valid);
  });
});

describe("paths inside the repository", () => {
  const repos: string[] = [];
  afterAll(() => {
    for (const r of repos) rmSync(r, { recursive: true, force: true });
  });
  const temp = () => {
    const dir = realpathSync(mkdtempSync(path.join(tmpdir(), "mailops-read-")));
    repos.push(dir);
    return dir;
  };

  it("reads names that only start with `..`, and refuses `../`", () => {
    const root = temp();
    writeFileSync(path.join(root, "..body.html"), "<p>hi</p>");
    writeFileSync(path.join(root, "..data.csv"), "email\n");
    expect(readRepoFile(root, "..body.html").text).toBe("<p>hi</p>");
    expect(checkRepoPath(root, "..data.csv")).toBeUndefined();
    expect(readRepoFile(root, "../x.html").problem).toBe("outside-repo");
    expect(checkRepoPath(root, "../x.csv")).toBe("outside-repo");
  });

  it("reads a file whole after one that is not UTF-8 (the decoder is shared)", () => {
    const root = temp();
    // Cut inside a three-byte character: a decoder that kept the cut bytes would spoil the next file.
    writeFileSync(path.join(root, "cut.html"), Uint8Array.from([0x61, 0xe2, 0x82]));
    writeFileSync(path.join(root, "cut2.html"), Uint8Array.from([0xe2, 0x82, 0xac, 0x61, 0xe2]));
    writeFileSync(path.join(root, "ok.html"), "€ and é");
    expect(readRepoFile(root, "cut.html").problem).toBe("binary");
    expect(readRepoFile(root, "ok.html").text).toBe("€ and é");
    expect(readRepoFile(root, "cut2.html").problem).toBe("binary");
    expect(readRepoFile(root, "ok.html").text).toBe("€ and é");
  });

  it("reads text as the bytes say: byte order marks dropped, a U+FFFD kept, NUL refused", () => {
    const root = temp();
    const bom = [0xef, 0xbb, 0xbf];
    const utf8 = (s: string) => [...new TextEncoder().encode(s)];
    writeFileSync(path.join(root, "bom.html"), Uint8Array.from([...bom, ...utf8("a: 1")]));
    writeFileSync(path.join(root, "two.html"), Uint8Array.from([...bom, ...bom, ...utf8("a: 1")]));
    writeFileSync(path.join(root, "three.html"), Uint8Array.from([...bom, ...bom, ...bom, ...utf8("a")]));
    writeFileSync(path.join(root, "fffd.html"), "x \uFFFD y");
    writeFileSync(path.join(root, "nul.html"), "x \u0000 y");
    expect(readRepoFile(root, "bom.html").text).toBe("a: 1");
    expect(readRepoFile(root, "two.html").text).toBe("a: 1");
    expect(readRepoFile(root, "three.html").text).toBe("\uFEFFa");
    expect(readRepoFile(root, "fffd.html").text).toBe("x \uFFFD y");
    expect(readRepoFile(root, "nul.html")).toMatchObject({ problem: "binary", at: { line: 1, col: 3 } });
  });

  it("does not reuse folders resolved by an earlier read", () => {
    const root = temp();
    const elsewhere = temp();
    writeFileSync(path.join(root, "mailops.yaml"), "{}\n");
    mkdirSync(path.join(root, "parts"));
    writeFileSync(path.join(root, "parts", "body.html"), "inside");
    writeFileSync(path.join(elsewhere, "body.html"), "secret");
    const files = readRepo(root);
    expect(readRepoFile(root, "parts/body.html", files.realDirs).text).toBe("inside");
    // The folder becomes a link out of the repository: a later read must see it.
    rmSync(path.join(root, "parts"), { recursive: true });
    symlinkSync(elsewhere, path.join(root, "parts"));
    expect(readRepoFile(root, "parts/body.html").problem).toBe("outside-repo");
    expect(checkRepoPath(root, "parts/body.html")).toBe("outside-repo");
    expect(readRepo(root).realDirs).not.toBe(files.realDirs);
  });
});
