/**
 * The rooms of docs/architecture.md held to the code. The test reads the table there: every
 * relative import under src/ that crosses rooms must be one the table's Imports column allows,
 * or a known debt named in DEBTS below (one file and the room it reaches, with why). The debts
 * can only shrink: a new crossing fails, and so does a listed one the code no longer has. The
 * table says what the code does: an allowed arrow nothing uses fails too.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.join(import.meta.dirname, "..");
const TABLE_DOC = "docs/architecture.md";

interface Debt {
  /** The importing file, relative to the repository root. */
  from: string;
  /** The room it reaches that its own room's row does not allow. */
  to: string;
  why: string;
}

/** docs/architecture.md, "Known debts": imports that go past the table, with why. None today. */
const DEBTS: Debt[] = [];

/** Rooms no allowance may let reach the front ends or the use cases. */
const CORE = ["render", "config", "audience", "plan", "send"];
const OUTER = ["cli", "action", "commands"];
/** What `render` and `config` may not import: they do no network I/O (the database driver included). */
const NETWORK =
  /^(node:)?(http|https|http2|net|tls|dgram|dns)(\/|$)|^@aws-sdk\/|^@smithy\/|^nodemailer$|^undici$|^pg(-[a-z-]+)?$/;

/** Module specifiers a file names: imports, dynamic and type imports, re-exports, createRequire calls. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bcreateRequire\([^)]*\)\(\s*["']([^"']+)["']/g,
  ];
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) found.push(m[1] as string);
  return found;
}

/** `src/x.ts` and `src/x/...` are room `x`. */
function roomOf(file: string): string {
  const rel = path.relative(path.join(ROOT, "src"), file).split(path.sep);
  return rel.length === 1 ? (rel[0] as string).replace(/\.(d\.)?[jt]s$/, "") : (rel[0] as string);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : /\.[jt]s$/.test(name) ? [p] : [];
  });
}

/** A relative specifier's file: `./x.js` is `x.ts` in the sources, or the `.js` itself. */
function resolveSpecifier(from: string, spec: string): string | undefined {
  const target = path.resolve(path.dirname(from), spec);
  const candidates = [target.replace(/\.js$/, ".ts"), target];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

interface Row {
  rooms: string[];
  allowed: string[];
  debts: string[];
}

/** The Rooms table: a row per line starting `| \`src/`, its rooms from the first column's paths. */
function readTable(): Row[] {
  const text = readFileSync(path.join(ROOT, TABLE_DOC), "utf8");
  const section = text.slice(text.indexOf("## Rooms"), text.indexOf("\n## ", text.indexOf("## Rooms") + 1));
  const lines = section.split("\n").filter((l) => l.startsWith("| `src/"));
  const rows = lines.map((line) => {
    const [, where = "", , imports = ""] = line.split("|");
    const rooms = [...new Set([...where.matchAll(/`src\/([\w-]+)(?:\.ts|\/)`/g)].map((m) => m[1] as string))];
    const [allowed = "", debts = ""] = imports.split(/;\s*known debts:/);
    return { rooms, allowedText: allowed, debts: names(debts) };
  });
  return rows.map((row, i) => {
    const text = row.allowedText.trim();
    const allowed =
      text === "everything below"
        ? rows.slice(i + 1).flatMap((r) => r.rooms)
        : text === "nothing of ours"
          ? []
          : names(text);
    return { rooms: row.rooms, allowed, debts: row.debts };
  });
}

/** `a (why), b, c` → a, b, c. */
function names(list: string): string[] {
  return list
    .replace(/\([^)]*\)/g, "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

interface Import {
  from: string;
  spec: string;
  to: string;
  toRoom: string;
}

const table = readTable();
const rowOf = new Map(table.flatMap((row, i) => row.rooms.map((room) => [room, i] as const)));
const files = filesUnder(path.join(ROOT, "src"));
const rel = (file: string) => path.relative(ROOT, file).split(path.sep).join("/");

const unresolved: string[] = [];
const imports: Import[] = files.flatMap((file) =>
  specifiers(readFileSync(file, "utf8"))
    .filter((spec) => spec.startsWith("."))
    .flatMap((spec) => {
      const to = resolveSpecifier(file, spec);
      if (to === undefined) {
        unresolved.push(`${rel(file)}: ${spec}`);
        return [];
      }
      return [{ from: rel(file), spec, to: rel(to), toRoom: roomOf(to) }];
    }),
);
const crossings = imports.filter((i) => roomOf(path.join(ROOT, i.from)) !== i.toRoom);
const fromRoom = (i: Import) => roomOf(path.join(ROOT, i.from));
const allows = (room: string, to: string) => table[rowOf.get(room) ?? -1]?.allowed.includes(to) ?? false;
const isDebt = (i: Import) => DEBTS.some((d) => d.from === i.from && d.to === i.toRoom);

describe("reading imports", () => {
  it.each([
    ['import { a } from "./a.js";', ["./a.js"]],
    ['import type { B } from "../b.js";', ["../b.js"]],
    ['import {\n  a,\n  b,\n} from "./multi.js";', ["./multi.js"]],
    ['export { c } from "./c.js";\nexport * from "./d.js";', ["./c.js", "./d.js"]],
    ['const { e } = await import("./commands/e.js");', ["./commands/e.js"]],
    ['let t: typeof import("handlebars");', ["handlebars"]],
    ['import "./side-effect.js";', ["./side-effect.js"]],
    ['createRequire(import.meta.url)(\n  "handlebars/x.js",\n)', ["handlebars/x.js"]],
    ["const from = 1; // nothing imported here", []],
  ])("%j", (text, expected) => {
    expect(specifiers(text).sort()).toEqual([...expected].sort());
  });

  it("finds the imports of src/ and resolves every relative one to a file", () => {
    expect(unresolved).toEqual([]);
    expect(imports.length).toBeGreaterThan(300);
    expect(crossings.length).toBeGreaterThan(100);
  });
});

describe(`the rooms of ${TABLE_DOC}`, () => {
  it("names only rooms of the table, each in one row", () => {
    const rooms = table.flatMap((r) => r.rooms);
    expect(rooms.length).toBeGreaterThanOrEqual(10);
    expect(new Set(rooms).size).toBe(rooms.length);
    const unknown = table.flatMap((r) => [...r.allowed, ...r.debts].filter((n) => !rowOf.has(n)));
    expect(unknown).toEqual([]);
  });

  it("has every file under src/ in a room of the table", () => {
    const homeless = files.filter((f) => !rowOf.has(roomOf(f))).map(rel);
    expect(homeless, "add the file's room to the table (or move the file into one)").toEqual([]);
  });

  it("allows only inward imports: to rooms in later rows", () => {
    const outward = table.flatMap((row, i) =>
      row.rooms.flatMap((room) =>
        row.allowed.filter((to) => (rowOf.get(to) ?? -1) <= i).map((to) => `${room} → ${to}`),
      ),
    );
    expect(outward).toEqual([]);
  });

  it("allows no crossing the code does not make (the table says what the code does)", () => {
    const unused = table.flatMap((row) =>
      row.allowed
        .filter((to) => !crossings.some((i) => row.rooms.includes(fromRoom(i)) && i.toRoom === to))
        .map((to) => `${row.rooms.join(", ")} → ${to}`),
    );
    expect(unused, "take the room out of the row's Imports").toEqual([]);
  });
});

describe("imports across rooms", () => {
  it(`go only where ${TABLE_DOC} allows, or are a known debt`, () => {
    const violations = crossings
      .filter((i) => !allows(fromRoom(i), i.toRoom) && !isDebt(i))
      .map((i) => `${i.from} → ${i.toRoom} (${i.spec})`);
    expect(violations, "import inward, or move the code to the room it belongs in").toEqual([]);
  });

  it("still make every known debt (an entry the code no longer needs is removed)", () => {
    const paid = DEBTS.filter((d) => !crossings.some((i) => i.from === d.from && i.toRoom === d.to)).map(
      (d) => `${d.from} → ${d.to}`,
    );
    expect(paid, `remove these from DEBTS and from the table in ${TABLE_DOC}`).toEqual([]);
  });

  it("are the debts the table lists, and none the table allows", () => {
    const allowedDebts = DEBTS.filter((d) => allows(roomOf(path.join(ROOT, d.from)), d.to)).map(
      (d) => `${d.from} → ${d.to}`,
    );
    expect(allowedDebts, "an allowed import is no debt: remove it from DEBTS").toEqual([]);
    for (const row of table) {
      const listed = new Set(
        DEBTS.filter((d) => row.rooms.includes(roomOf(path.join(ROOT, d.from)))).map((d) => d.to),
      );
      expect([...row.debts].sort(), `the known debts of ${row.rooms.join(", ")} in ${TABLE_DOC}`).toEqual(
        [...listed].sort(),
      );
    }
  });

  it("never lead from the core to the front ends or the use cases", () => {
    const wrong = imports
      .filter((i) => CORE.includes(fromRoom(i)) && OUTER.includes(i.toRoom))
      .map((i) => `${i.from} → ${i.toRoom}`);
    expect(wrong).toEqual([]);
  });

  it("never lead from the store anywhere but util and errors", () => {
    const wrong = crossings
      .filter((i) => fromRoom(i) === "store" && !["util", "errors"].includes(i.toRoom))
      .map((i) => `${i.from} → ${i.toRoom}`);
    expect(wrong).toEqual([]);
  });

  it("never bring network modules into render or config", () => {
    const wrong = files
      .filter((f) => ["render", "config"].includes(roomOf(f)))
      .flatMap((f) =>
        specifiers(readFileSync(f, "utf8"))
          .filter((s) => NETWORK.test(s))
          .map((s) => `${rel(f)}: ${s}`),
      );
    expect(wrong).toEqual([]);
  });
});
