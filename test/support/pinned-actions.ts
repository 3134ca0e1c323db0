/**
 * Whether a workflow or action file pins every action it uses from outside the repository to a
 * full commit SHA, with the release in a comment (`uses: actions/checkout@<40 hex> # v5.1.0`):
 * a tag can be moved to other code, a commit cannot, and the comment is what Dependabot updates
 * with it. Local actions (`./…`) are the repository's own code.
 */
import { parseDocument } from "yaml";

export interface Use {
  value: string;
  /** 1-based. */
  line: number;
  comment: string;
}

const SHA = /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/;
const DOCKER = /^docker:\/\/[^@\s]+@sha256:[0-9a-f]{64}$/;
const VERSION = /^v\d+(\.\d+)*$/;

/** Every `uses:` of a YAML file, found as YAML reads it (any quoting) with its line's comment. */
export function usesOf(text: string): Use[] {
  const doc = parseDocument(text);
  const lines = text.split("\n");
  const out: Use[] = [];
  const visit = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    const n = node as { items?: unknown[]; key?: unknown; value?: unknown };
    if ("key" in n && n.key && (n.key as { value?: unknown }).value === "uses") {
      const v = n.value as { value?: unknown; range?: [number, number, number] } | undefined;
      if (typeof v?.value === "string" && v.range) {
        const line = text.slice(0, v.range[0]).split("\n").length;
        const rest = (lines[line - 1] ?? "").split("#").slice(1).join("#").trim();
        out.push({ value: v.value, line, comment: rest });
      }
    }
    for (const item of n.items ?? []) visit(item);
    if ("value" in n) visit(n.value);
  };
  visit(doc.contents);
  return out;
}

/** Why a `uses:` is not pinned as it must be; undefined when it is (or is a local action). */
export function unpinned(use: Use): string | undefined {
  if (use.value.startsWith("./")) return undefined;
  if (use.value.startsWith("docker://"))
    return DOCKER.test(use.value) ? undefined : "a docker image by digest (@sha256:…)";
  if (!SHA.test(use.value)) return "a full 40-hex commit SHA, not a tag or branch";
  if (!VERSION.test(use.comment)) return "the release it is in a comment after it (`# v1.2.3`)";
  return undefined;
}
