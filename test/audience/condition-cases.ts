/**
 * The segment conditions of the condition tests, shared with the push-down tests
 * (test/audience/pushdown-pg.test.ts), which evaluate every one of them both in mailops and in
 * PostgreSQL over the rows of all of them.
 */
import type { FieldType } from "../../src/config/model.js";
import { source } from "./helpers.js";

export const CONDITION_SOURCE = `source: people.jsonl
fields:
  email: { type: email, required: true }
  name: { type: string }
  score: { type: number }
  vip: { type: boolean }
  joined: { type: date }
  tags: { type: list }
`;

export const fields = source("people", CONDITION_SOURCE).fields;

export type Case = [condition: string, row: Record<string, unknown>, expected: boolean];

// Rows are typed values, as the readers hand them over.
export const cases: Record<FieldType, Case[]> = {
  string: [
    ["{ name: { eq: Ann } }", { name: "Ann" }, true],
    ["{ name: { eq: Ann } }", { name: "ann" }, false],
    ["{ name: { eq: Ann } }", {}, false],
    ['{ name: { eq: "12345" } }', { name: "12345" }, true],
    ["{ name: { ne: Ann } }", { name: "Bob" }, true],
    ["{ name: { ne: Ann } }", { name: "Ann" }, false],
    ["{ name: { ne: Ann } }", {}, true],
    ["{ name: { in: [Ann, Bob] } }", { name: "Bob" }, true],
    ["{ name: { in: [Ann, Bob] } }", { name: "Cy" }, false],
    ["{ name: { in: [Ann, Bob] } }", {}, false],
    ["{ name: { not_in: [Ann, Bob] } }", { name: "Cy" }, true],
    ["{ name: { not_in: [Ann, Bob] } }", { name: "Ann" }, false],
    ["{ name: { not_in: [Ann, Bob] } }", {}, true],
    ["{ name: { contains: nn } }", { name: "Ann" }, true],
    ["{ name: { contains: NN } }", { name: "Ann" }, false],
    ["{ name: { contains: nn } }", {}, false],
    ["{ name: { starts_with: An } }", { name: "Ann" }, true],
    ["{ name: { starts_with: nn } }", { name: "Ann" }, false],
    ["{ name: { ends_with: nn } }", { name: "Ann" }, true],
    ["{ name: { ends_with: An } }", { name: "Ann" }, false],
    ["{ name: { exists: true } }", { name: "Ann" }, true],
    ["{ name: { exists: true } }", {}, false],
    ["{ name: { exists: true } }", { name: null }, false],
    ["{ name: { exists: false } }", {}, true],
    ["{ name: { exists: false } }", { name: "" }, false],
    ["{ name: { starts_with: A, ends_with: n } }", { name: "Ann" }, true],
    ["{ name: { starts_with: A, ends_with: x } }", { name: "Ann" }, false],
  ],
  email: [
    ["{ email: { eq: ann@example.com } }", { email: "ann@Example.COM" }, true],
    ["{ email: { eq: Ann@EXAMPLE.com } }", { email: "Ann@example.com" }, true],
    // The whole address is folded, as in dedupe keys; a Unicode domain is compared in ASCII form.
    ["{ email: { eq: ann@example.com } }", { email: "Ann@example.com" }, true],
    ["{ email: { eq: ann@bücher.example } }", { email: "ann@xn--bcher-kva.example" }, true],
    ['{ email: { ends_with: "@BÜCHER.example" } }', { email: "ann@xn--bcher-kva.example" }, true],
    ["{ email: { ends_with: bücher.example } }", { email: "ann@xn--bcher-kva.example" }, true],
    ["{ email: { contains: Bücher } }", { email: "ann@xn--bcher-kva.example" }, true],
    ["{ email: { ne: ann@example.com } }", { email: "bob@example.com" }, true],
    ["{ email: { ne: ann@example.com } }", { email: "ann@EXAMPLE.com" }, false],
    ["{ email: { in: [a@x.io, ann@example.com] } }", { email: "ann@EXAMPLE.COM" }, true],
    ["{ email: { not_in: [a@x.io] } }", { email: "ann@example.com" }, true],
    ["{ email: { not_in: [a@x.io] } }", { email: "a@X.io" }, false],
    ["{ email: { contains: example } }", { email: "ann@EXAMPLE.com" }, true],
    ["{ email: { starts_with: ann@ } }", { email: "ann@example.com" }, true],
    ["{ email: { starts_with: ANN@ } }", { email: "Ann@example.com" }, true],
    ['{ email: { ends_with: "@Example.com" } }', { email: "ann@example.COM" }, true],
    ["{ email: { ends_with: .org } }", { email: "ann@example.com" }, false],
    ["{ email: { exists: true } }", { email: "ann@example.com" }, true],
  ],
  number: [
    ["{ score: { eq: 3 } }", { score: 3 }, true],
    ["{ score: { eq: 3 } }", { score: 3.5 }, false],
    ["{ score: { eq: 3 } }", {}, false],
    ["{ score: { ne: 3 } }", { score: 4 }, true],
    ["{ score: { ne: 3 } }", { score: 3 }, false],
    ["{ score: { ne: 3 } }", {}, true],
    ["{ score: { in: [1, 2.5] } }", { score: 2.5 }, true],
    ["{ score: { in: [1, 2.5] } }", { score: 2 }, false],
    ["{ score: { not_in: [1, 2.5] } }", { score: 2 }, true],
    ["{ score: { not_in: [1, 2.5] } }", { score: 1 }, false],
    ["{ score: { gt: 3 } }", { score: 4 }, true],
    ["{ score: { gt: 3 } }", { score: 3 }, false],
    ["{ score: { gt: -1 } }", {}, false],
    ["{ score: { gte: 3 } }", { score: 3 }, true],
    ["{ score: { gte: 3 } }", { score: 2.99 }, false],
    ["{ score: { lt: 3 } }", { score: 2 }, true],
    ["{ score: { lt: 3 } }", { score: 3 }, false],
    ["{ score: { lt: 100 } }", {}, false],
    ["{ score: { lte: 3 } }", { score: 3 }, true],
    ["{ score: { lte: 3 } }", { score: 3.01 }, false],
    ["{ score: { gte: 1, lt: 5 } }", { score: 4 }, true],
    ["{ score: { gte: 1, lt: 5 } }", { score: 5 }, false],
    ["{ score: { exists: true } }", { score: 0 }, true],
    ["{ score: { exists: false } }", { score: 0 }, false],
  ],
  boolean: [
    ["{ vip: { eq: true } }", { vip: true }, true],
    ["{ vip: { eq: true } }", { vip: false }, false],
    ["{ vip: { eq: false } }", {}, false],
    ["{ vip: { ne: true } }", { vip: false }, true],
    ["{ vip: { ne: true } }", { vip: true }, false],
    ["{ vip: { ne: true } }", {}, true],
    ["{ vip: { exists: true } }", { vip: false }, true],
    ["{ vip: { exists: false } }", {}, true],
  ],
  date: [
    // Instants: a date is midnight UTC, whatever the offset it is written with.
    ['{ joined: { eq: "2026-01-31" } }', { joined: "2026-01-31T00:00:00Z" }, true],
    ['{ joined: { eq: "2026-01-31" } }', { joined: "2026-01-31T01:00:00+01:00" }, true],
    ['{ joined: { eq: "2026-01-31" } }', { joined: "2026-01-31T00:00:01Z" }, false],
    ['{ joined: { eq: "2026-01-31" } }', {}, false],
    ['{ joined: { ne: "2026-01-31" } }', { joined: "2026-02-01" }, true],
    ['{ joined: { ne: "2026-01-31" } }', { joined: "2026-01-31" }, false],
    ['{ joined: { ne: "2026-01-31" } }', {}, true],
    ['{ joined: { before: "2026-01-31" } }', { joined: "2026-01-30T23:59:59Z" }, true],
    ['{ joined: { before: "2026-01-31" } }', { joined: "2026-01-31" }, false],
    ['{ joined: { before: "2026-01-31" } }', {}, false],
    ['{ joined: { after: "2026-01-31" } }', { joined: "2026-01-31T00:00:00.001Z" }, true],
    ['{ joined: { after: "2026-01-31" } }', { joined: "2026-01-31" }, false],
    ['{ joined: { after: "2026-01-31T09:00:00Z" } }', { joined: "2026-01-31T10:30:00+01:00" }, true],
    ['{ joined: { after: "2026-01-31T09:00:00Z" } }', { joined: "2026-01-31T09:30:00+01:00" }, false],
    ['{ joined: { gt: "2026-01-31" } }', { joined: "2026-02-01" }, true],
    ['{ joined: { gt: "2026-01-31" } }', { joined: "2026-01-31" }, false],
    ['{ joined: { gte: "2026-01-31" } }', { joined: "2026-01-31" }, true],
    ['{ joined: { gte: "2026-01-31" } }', { joined: "2026-01-30" }, false],
    ['{ joined: { lt: "2026-01-31" } }', { joined: "2025-12-31" }, true],
    ['{ joined: { lt: "2026-01-31" } }', { joined: "2026-01-31" }, false],
    ['{ joined: { lte: "2026-01-31" } }', { joined: "2026-01-31" }, true],
    ['{ joined: { lte: "2026-01-31" } }', { joined: "2026-02-01" }, false],
    // A date-time without an offset is UTC, not the machine's zone.
    ['{ joined: { eq: "2026-01-31T09:00:00Z" } }', { joined: "2026-01-31T09:00" }, true],
    ['{ joined: { gte: "2020-01-01", lt: "2021-01-01" } }', { joined: "2020-06-15" }, true],
    ['{ joined: { gte: "2020-01-01", lt: "2021-01-01" } }', { joined: "2021-01-01" }, false],
    ["{ joined: { exists: true } }", { joined: "2026-01-31" }, true],
    ["{ joined: { exists: false } }", { joined: "2026-01-31" }, false],
  ],
  list: [
    ["{ tags: { contains: fashion } }", { tags: ["home", "fashion"] }, true],
    ["{ tags: { contains: fashion } }", { tags: ["fashionable"] }, false],
    ["{ tags: { contains: fashion } }", { tags: [] }, false],
    ["{ tags: { contains: fashion } }", {}, false],
    // From CSV a list holds text; from JSON it may hold numbers and booleans.
    ["{ tags: { contains: 5 } }", { tags: ["5"] }, true],
    ["{ tags: { contains: 5 } }", { tags: [5] }, true],
    ['{ tags: { contains: "5" } }', { tags: [5] }, true],
    ["{ tags: { contains: 5 } }", { tags: [50] }, false],
    ["{ tags: { contains: true } }", { tags: [true] }, true],
    ["{ tags: { exists: true } }", { tags: [] }, true],
    ["{ tags: { exists: false } }", {}, true],
  ],
};

/** Combinations, each tested on COMBINATION_ROW. */
export const COMBINATION_ROW = { name: "Ann", score: 7, vip: true, tags: ["fashion"] };
export const combinations: [string, boolean][] = [
  ["{ all: [ { name: { eq: Ann } }, { score: { gt: 5 } } ] }", true],
  ["{ all: [ { name: { eq: Ann } }, { score: { gt: 7 } } ] }", false],
  ["{ all: [] }", true],
  ["{ any: [ { name: { eq: Bob } }, { score: { gt: 5 } } ] }", true],
  ["{ any: [ { name: { eq: Bob } }, { score: { gt: 7 } } ] }", false],
  ["{ any: [] }", false],
  ["{ not: { name: { eq: Ann } } }", false],
  ["{ not: { name: { eq: Bob } } }", true],
  ["{ not: { not: { vip: { eq: true } } } }", true],
  [
    "{ all: [ { any: [ { name: { eq: Bob } }, { tags: { contains: fashion } } ] }, { not: { score: { lt: 5 } } } ] }",
    true,
  ],
  [
    "{ any: [ { all: [ { name: { eq: Ann } }, { vip: { eq: false } } ] }, { not: { any: [ { score: { gte: 7 } } ] } } ] }",
    false,
  ],
  [
    "{ all: [ { name: { eq: Ann } }, { score: { gt: 1 } }, { vip: { eq: true } }, { tags: { contains: fashion } } ] }",
    true,
  ],
  [
    "{ any: [ { name: { eq: X } }, { score: { gt: 100 } }, { vip: { eq: false } }, { tags: { contains: fashion } } ] }",
    true,
  ],
];
