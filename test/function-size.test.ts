/**
 * Functions in src/commands/ and src/send/ stay at most MAX_LINES lines, each doing one thing.
 * A function's lines are counted from its first to its last, nested functions included
 * (test/support/functions.ts, whose reading is tested here too). ALLOWED names the functions known
 * to be longer, each with its length when listed, and can only shrink: a function over the limit
 * and not listed fails, and so does a listed one that grew, or one now within the limit or gone
 * (strike it).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type FunctionSpan, functionsIn } from "./support/functions.js";

const ROOT = path.join(import.meta.dirname, "..");
const MAX_LINES = 60;
const FOLDERS = ["src/commands", "src/send"];

interface Allowance {
  /** Relative to the repository root. */
  file: string;
  /** As functionsIn names it: `Class.method`, `outer/inner`. */
  name: string;
  /** Its length when listed: it may shrink, never grow. */
  lines: number;
  why: string;
}

const ALLOWED: Allowance[] = [];

interface Found extends FunctionSpan {
  file: string;
}

/** The functions longer than `max` lines, but for those `allowed` at no more than their listed length. */
function overLimit(found: Found[], max: number, allowed: Allowance[]): string[] {
  return found
    .filter((f) => f.lines > max)
    .filter((f) => !allowed.some((a) => a.file === f.file && a.name === f.name && f.lines <= a.lines))
    .map((f) => `${f.file}:${f.start} ${f.name}: ${f.lines} lines`);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : /(?<!\.d)\.ts$/.test(name) ? [p] : [];
  });
}

const found: Found[] = FOLDERS.flatMap((folder) =>
  filesUnder(path.join(ROOT, folder)).flatMap((file) => {
    const rel = path.relative(ROOT, file).split(path.sep).join("/");
    return functionsIn(readFileSync(file, "utf8")).map((f) => ({ ...f, file: rel }));
  }),
);

/** [name, first line, last line] of each function in `source`, in order. */
const spans = (source: string) => functionsIn(source).map((f) => [f.name, f.start, f.end]);

describe("reading functions", () => {
  it.each([
    ["a declaration", "function a() {\n}\n", [["a", 1, 2]]],
    [
      "an object type returned",
      'export async function b(\n  x: number,\n): Promise<{ a: string }> {\n  return { a: "" };\n}\n',
      [["b", 1, 5]],
    ],
    [
      "a function type returned",
      'function decoder(): (chunk?: Uint8Array) => string {\n  return () => "";\n}\n',
      [
        ["decoder", 1, 3],
        ["decoder/(anonymous)", 2, 2],
      ],
    ],
    [
      "generics with commas in the return type",
      "async function f(): Promise<Map<string, string[]> | undefined> {\n  return undefined;\n}\n",
      [["f", 1, 3]],
    ],
    [
      "an arrow assigned to a const",
      "const g = async (\n  a: string,\n): Promise<void> => {\n  await a;\n};\n",
      [["g", 1, 5]],
    ],
    [
      "an arrow with an expression body",
      "const h = (x: number) =>\n  x >= 1\n    ? 1\n    : 2;\nconst i = 1;\n",
      [["h", 1, 4]],
    ],
    [
      "methods: constructor, async, getter, computed, static generic",
      'class C {\n  private x = 1;\n  constructor(private readonly s: string) {}\n  async load(): Promise<void> {\n  }\n  get y(): number {\n    return 1;\n  }\n  async *[Symbol.asyncIterator]() {\n  }\n  static create<T>(v: T): C {\n    return new C("");\n  }\n}\n',
      [
        ["C.constructor", 3, 3],
        ["C.load", 4, 5],
        ["C.y", 6, 8],
        ["C.[Symbol.asyncIterator]", 9, 10],
        ["C.create", 11, 13],
      ],
    ],
    [
      "an object literal's method and arrow property",
      "const o = {\n  prepare(r) {\n    return r;\n  },\n  progress: (n) => n,\n};\n",
      [
        ["prepare", 2, 4],
        ["progress", 5, 5],
      ],
    ],
    [
      "functions inside a function",
      "function outer() {\n  const inner = () => {\n  };\n  [1].map((x) => x);\n}\n",
      [
        ["outer", 1, 5],
        ["outer/inner", 2, 3],
        ["outer/(anonymous)", 4, 4],
      ],
    ],
    [
      "signatures and function types, which are no functions",
      "interface I {\n  send(r: string): Promise<void>;\n  cb: (x: number) => void;\n  on?(e: string): { a: string };\n}\ntype F = (x: number) => {\n  a: string;\n};\nfunction over(a: string): void;\nfunction over(a: unknown): void {}\nlet k: (x: number) => void;\n",
      [["over", 10, 10]],
    ],
    [
      "braces in strings, comments, regular expressions and templates",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a template literal's source, as text
      "function s() {\n  const a = \"}{\";\n  const b = '{';\n  // }\n  /* { */\n  const r = /[{}]\\}/g;\n  const t = `${a} } ${`${b}{`} {`;\n  return a + b + r + t;\n}\nfunction after() {}\n",
      [
        ["s", 1, 9],
        ["after", 10, 10],
      ],
    ],
    [
      "a division, not a regular expression",
      "const d = (a: number, b: number) => a / b / 2;\nfunction z() {}\n",
      [
        ["d", 1, 1],
        ["z", 2, 2],
      ],
    ],
    ["a generator", "export async function* rows() {\n  yield 1;\n}\n", [["rows", 1, 3]]],
    [
      "methods named like statements",
      "class L {\n  async with<T>(fn: () => T): Promise<T> {\n    return fn();\n  }\n  async return(): Promise<void> {}\n}\n",
      [
        ["L.with", 2, 4],
        ["L.return", 5, 5],
      ],
    ],
    [
      "statements, which are no functions",
      "function f() {\n  if (a) {\n  } else if (b) {\n  }\n  for (const x of y) {\n  }\n  while (c) {}\n  try {\n  } catch (e) {\n  }\n  switch (d) {\n    case 1: {\n    }\n  }\n}\n",
      [["f", 1, 15]],
    ],
  ])("%s", (_what, source, expected) => {
    expect(spans(source)).toEqual(expected);
  });

  it("finds the functions of src/commands/ and src/send/", () => {
    expect(found.length).toBeGreaterThan(200);
    expect(found.find((f) => f.file === "src/send/run.ts" && f.name === "runCampaign")).toBeDefined();
  });
});

describe(`functions in ${FOLDERS.join(" and ")}`, () => {
  it(`are at most ${MAX_LINES} lines, or allowed (no longer than listed)`, () => {
    expect(
      overLimit(found, MAX_LINES, ALLOWED),
      "split the function into ones that each do one thing",
    ).toEqual([]);
  });

  it("that are allowed are still over the limit (strike the ones that are not)", () => {
    const paid = ALLOWED.filter(
      (a) => !found.some((f) => f.file === a.file && f.name === a.name && f.lines > MAX_LINES),
    ).map((a) => `${a.file} ${a.name}`);
    expect(paid, "remove these from ALLOWED").toEqual([]);
  });

  it("over the limit are found: a long one fails, one that grew past its allowance too", () => {
    const long = (lines: number) => `function long() {\n${"  x();\n".repeat(lines - 2)}}\n`;
    const of = (source: string): Found[] => functionsIn(source).map((f) => ({ ...f, file: "x.ts" }));
    expect(overLimit(of(long(MAX_LINES)), MAX_LINES, [])).toEqual([]);
    expect(overLimit(of(long(MAX_LINES + 1)), MAX_LINES, [])).toEqual([
      `x.ts:1 long: ${MAX_LINES + 1} lines`,
    ]);
    const allowed = [{ file: "x.ts", name: "long", lines: 70, why: "" }];
    expect(overLimit(of(long(70)), MAX_LINES, allowed)).toEqual([]);
    expect(overLimit(of(long(71)), MAX_LINES, allowed)).toEqual(["x.ts:1 long: 71 lines"]);
  });
});
