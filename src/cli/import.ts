/** `mailops import`: the import report as text or JSON; questions for missing settings on a terminal. */
import { createInterface } from "node:readline/promises";
import {
  type ImportOptions,
  type ImportReport,
  type ImportTargetFactory,
  importRepository,
} from "../commands/import.js";
import type { Io } from "../present/io.js";
import { type ReportFormat, reportJson } from "./format.js";

export interface ImportCliOptions extends Omit<ImportOptions, "ask"> {
  format?: ReportFormat;
}

/** Asks on the terminal; undefined when stdin is not one (CI, a pipe): a missing option is then an error. */
function terminalQuestions(): ImportOptions["ask"] {
  if (!process.stdin.isTTY) return undefined;
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  };
}

export async function runImport(
  options: ImportCliOptions,
  io: Io,
  factory?: ImportTargetFactory,
): Promise<number> {
  const { format, ...rest } = options;
  const report = await importRepository({ ...rest, ask: terminalQuestions() }, factory);
  io.out(format === "json" ? reportJson("import", report) : formatImport(report));
  return 0;
}

const from = (r: ImportReport) =>
  r.target === "aws" ? `SES in ${r.region} (the aws target)` : "the local target";

export function formatImport(report: ImportReport): string {
  const lines = [`Imported from ${from(report)} into ${report.dir}:`];
  for (const f of report.written) lines.push(`  + ${f.path}`);
  for (const f of report.skipped) {
    // A template's files hold the template; mailops.yaml holds many, worth naming.
    const holds =
      f.path === "mailops.yaml" && f.resources.length ? `; it would declare ${f.resources.join(", ")}` : "";
    lines.push(`  = ${f.path} (exists, kept: --force replaces it${holds})`);
  }
  if (report.written.length + report.skipped.length === 0)
    lines.push("  nothing: the target holds nothing to import");
  if (report.notImported.length > 0) {
    lines.push("", "Not imported:");
    for (const n of report.notImported) {
      lines.push(`  ${n.kind} ${n.name}: ${n.reason}`);
      if (n.tagged)
        lines.push(
          "    it is tagged as this project's: if the state store records it, a plan deletes it until the repository declares it",
        );
    }
  }
  for (const note of report.notes) lines.push("", `note: ${note}`);
  const resources = new Set(report.written.flatMap((f) => f.resources)).size;
  lines.push(
    "",
    `${report.written.length} file${report.written.length === 1 ? "" : "s"} written (${resources} resource${resources === 1 ? "" : "s"}), ${report.skipped.length} kept.`,
  );
  lines.push(...checkLines(report));
  return `${lines.join("\n")}\n`;
}

function checkLines(report: ImportReport): string[] {
  const { errors, warnings } = report.validation;
  if (errors > 0) {
    return [
      `validate: ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}: run \`mailops validate\` and fix them, then \`mailops plan\`.`,
    ];
  }
  if (report.differences.length === 0) {
    return [
      `validate: no errors${warnings ? ` (${warnings} warning${warnings === 1 ? "" : "s"})` : ""}. The repository declares what the target holds: \`mailops plan\` shows no changes, beyond adopting what mailops did not create.`,
    ];
  }
  return [
    "The repository differs from the target in:",
    ...report.differences.map((d) =>
      d.action === "create"
        ? `  ${d.kind} ${d.name}: not on the target (plan creates it)`
        : `  ${d.kind} ${d.name}: ${d.fields.join(", ")}`,
    ),
  ];
}
