/**
 * `mailops init [DIR]`: the files written (and, with --force, kept), where mailops comes from, and
 * what to do next, as text or JSON (`kind: "init"`).
 */
import path from "node:path";
import { type InitOptions, type InitReport, initRepository } from "../commands/init.js";
import type { Io } from "../present/io.js";
import { packageRoot } from "../util/package-root.js";
import { type ReportFormat, reportJson } from "./format.js";

export interface InitCliOptions extends Omit<InitOptions, "packageRoot"> {
  format?: ReportFormat;
}

export function runInit(options: InitCliOptions, io: Io): number {
  const report = initRepository({ ...options, packageRoot: packageRoot(import.meta.url) });
  io.out(options.format === "json" ? reportJson("init", report) : formatInit(report, process.cwd()));
  return 0;
}

export function formatInit(r: InitReport, cwd: string): string {
  const lines = [
    `Created the campaign repository ${r.project} in ${r.dir}: ${r.written.length} file${r.written.length === 1 ? "" : "s"}.`,
    ...r.written.map((f) => `  + ${f}`),
  ];
  if (r.kept.length) {
    lines.push(`Kept ${r.kept.length} existing file${r.kept.length === 1 ? "" : "s"} as they were:`);
    lines.push(...r.kept.map((f) => `  = ${f}`));
  }
  // Where to `cd`: relative when the folder is below this one, else as it is.
  const rel = path.relative(cwd, r.dir);
  const where = rel.startsWith("..") || path.isAbsolute(rel) ? r.dir : rel;
  lines.push(
    "",
    `mailops: ${r.dependency} in package.json; the workflows use ${r.action}.`,
    "",
    "Next:",
    ...(where ? [`  cd ${/[\s"'$]/.test(where) ? JSON.stringify(where) : where}`] : []),
    "  npm install            # mailops at the pinned version (built from its tag: a minute or two the first time)",
    "  npx mailops deploy     # validate, plan, apply and send what is due, on the local target",
    '  git init && git add . && git commit -m "Campaign repository"',
    "Then push it to GitHub and set it up for AWS: README.md, and docs/github-setup.md in mailops.",
  );
  return `${lines.join("\n")}\n`;
}
