import type { Finding, Position } from "../findings.js";
import type { Project, Source, TemplatePart } from "../model.js";

export interface LintContext {
  project: Project;
  report: (f: Finding) => void;
}

export type Rule = (ctx: LintContext) => void;

/** Map a line/column inside a template part to its place in the repository. */
export function partPosition(part: TemplatePart, line: number, col: number): Position {
  const at = part.locate(line, col);
  return { file: part.file, line: at.line, col: at.col };
}

/** The subscriber sources a list of audience names draws from (segments resolve to their source). */
export function sourcesOf(project: Project, names: string[]): Source[] | undefined {
  const out = new Set<Source>();
  for (const name of names) {
    const segment = project.segments.get(name);
    const source = segment
      ? segment.from
        ? project.sources.get(segment.from)
        : undefined
      : project.sources.get(name);
    if (!source) return undefined;
    out.add(source);
  }
  return [...out];
}

export const NAME = /^[A-Za-z0-9_-]{1,64}$/;
