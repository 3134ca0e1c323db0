/**
 * Postgres sources, checked without a connection: the keys belong to the source's kind, the query
 * is one read-only SELECT (or a table name), and a select list that names its columns names the
 * declared fields and the key. What needs the database (the columns of `SELECT *` or of a table,
 * their types) is checked when `plan` or `send` read the source (audience/postgres.ts).
 */
import { error } from "../findings.js";
import { positionOf, type Source } from "../model.js";
import { readQuery } from "../sql.js";
import type { LintContext } from "./context.js";

const FILE_KEYS = ["source", "format"];
const POSTGRES_KEYS = ["url_env", "query", "key", "statement_timeout"];

export function checkPostgresSources({ project, report }: LintContext): void {
  for (const s of project.sources.values()) {
    if (!s.doc) continue;
    const data = (s.doc.data ?? {}) as Record<string, unknown>;
    const misplaced = (s.postgres ? FILE_KEYS : POSTGRES_KEYS).filter((k) => Object.hasOwn(data, k));
    for (const key of misplaced) {
      report(
        error(
          "source/kind",
          positionOf(s, [key], "key"),
          s.postgres
            ? `\`${key}\` is for a file source; this one is \`kind: postgres\` and reads \`query\``
            : `\`${key}\` is for a postgres source; this one reads the file in \`source\``,
          s.postgres
            ? `remove \`${key}:\``
            : `add \`kind: postgres\` (and remove \`source:\`), or remove \`${key}:\``,
        ),
      );
    }
    if (s.postgres && s.ok) checkQuery(s, report);
  }
}

function checkQuery(s: Source, report: LintContext["report"]): void {
  const pg = s.postgres as NonNullable<Source["postgres"]>;
  const shape = readQuery(pg.query);
  if (shape.kind === "invalid") {
    report(error("source/query", positionOf(s, ["query"]), shape.reason, shape.hint));
    return;
  }
  if (shape.kind !== "select" || shape.columns === undefined) return;
  const columns = new Set(shape.columns);
  const wanted: [string, string[]][] = [
    ...[...s.fields.keys()].map((f): [string, string[]] => [f, ["fields", f]]),
    [pg.key, ["key"]],
  ];
  for (const [name, path] of wanted) {
    if (columns.has(name)) continue;
    const folded = shape.columns.find((c) => c === name.toLowerCase());
    report(
      error(
        "source/query-columns",
        positionOf(s, path, path[0] === "fields" ? "key" : "value"),
        `the query returns no column \`${name}\` (it returns ${shape.columns.map((c) => `\`${c}\``).join(", ")})`,
        folded
          ? `PostgreSQL folds unquoted names to lower case: write \`"${name}"\` in the query, or \`AS "${name}"\``
          : `select it in the query (\`… AS ${name}\`), or ${path[0] === "fields" ? "remove the field" : "name another column"}`,
      ),
    );
  }
}
