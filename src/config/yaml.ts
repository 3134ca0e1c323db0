import { createRequire } from "node:module";
import jsYaml from "js-yaml";
import type { Document, LineCounter, Node, YAMLError } from "yaml";
import { error, type Finding, type Position } from "./findings.js";

export type PathSegment = string | number;

// `yaml` keeps node positions but costs ~55 ms to load; most runs never need it (see YamlDoc).
let yamlModule: typeof import("yaml") | undefined;
function yamlLib(): typeof import("yaml") {
  yamlModule ??= createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return yamlModule;
}

/**
 * A parsed YAML file that can say where any of its nodes is (octoDNS keeps file:line on every node).
 *
 * Data comes from js-yaml, which is about 15 times faster than `yaml` on small files; `yaml`,
 * which keeps node positions, parses the file again only when a position is asked for (a finding
 * to report), and words syntax errors. Both use the YAML 1.2 core schema, so they agree on types.
 */
export class YamlDoc {
  private parsed?: { doc: Document.Parsed; lines: LineCounter };

  constructor(
    readonly file: string,
    private readonly text: string,
    readonly data: unknown,
  ) {}

  private get doc(): Document.Parsed {
    return this.positions().doc;
  }

  private get lines(): LineCounter {
    return this.positions().lines;
  }

  private positions(): { doc: Document.Parsed; lines: LineCounter } {
    if (!this.parsed) {
      const lines = new (yamlLib().LineCounter)();
      this.parsed = {
        doc: yamlLib().parseDocument(this.text, { lineCounter: lines, uniqueKeys: true }),
        lines,
      };
    }
    return this.parsed;
  }

  /** Position of the value (or key) at `path`; falls back to the nearest ancestor that exists. */
  pos(path: readonly PathSegment[], part: "value" | "key" = "value"): Position {
    let node: unknown = this.doc.contents;
    let keyNode: unknown;
    let last: unknown = node;
    for (const segment of path) {
      const next = this.child(node, segment);
      if (!next) return this.posOfNode(keyNode ?? last);
      keyNode = next.key;
      node = next.value;
      last = next.value ?? next.key;
    }
    return this.posOfNode(part === "key" ? (keyNode ?? last) : (node ?? keyNode ?? last));
  }

  /** Where the text of a scalar value starts, for mapping lines inside an inline template body. */
  scalarOrigin(path: readonly PathSegment[]): { line: number; col: number; block: boolean } {
    let node: unknown = this.doc.contents;
    for (const segment of path) node = this.child(node, segment)?.value;
    const p = this.posOfNode(node);
    if (
      yamlLib().isScalar(node) &&
      (node.type === yamlLib().Scalar.BLOCK_LITERAL || node.type === yamlLib().Scalar.BLOCK_FOLDED)
    ) {
      // Block scalars start on the line after the `|` / `>` indicator.
      return { line: p.line + 1, col: 1, block: true };
    }
    const quoted =
      yamlLib().isScalar(node) &&
      (node.type === yamlLib().Scalar.QUOTE_DOUBLE || node.type === yamlLib().Scalar.QUOTE_SINGLE);
    return { line: p.line, col: p.col + (quoted ? 1 : 0), block: false };
  }

  private child(node: unknown, segment: PathSegment): { key: unknown; value: unknown } | undefined {
    if (yamlLib().isMap(node)) {
      for (const item of node.items) {
        if (
          yamlLib().isPair(item) &&
          yamlLib().isScalar(item.key) &&
          String(item.key.value) === String(segment)
        ) {
          return { key: item.key, value: item.value };
        }
      }
      return undefined;
    }
    if (yamlLib().isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      return item === undefined ? undefined : { key: item, value: item };
    }
    return undefined;
  }

  private posOfNode(node: unknown): Position {
    const range = (node as Node | undefined)?.range;
    const offset = range ? range[0] : 0;
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }
}

export interface ParsedYaml {
  doc?: YamlDoc;
  findings: Finding[];
}

/** Anchors make aliases; an alias bomb is cheap to write and expensive to walk, so those files take the guarded path. */
const ANCHOR = /(^|[\s[{,:-])&[^\s]/m;

/**
 * Parse one YAML file's text. Pure: the caller has already read it.
 * Every problem becomes a finding with a position; the doc is returned only when usable.
 */
export function parseYaml(file: string, text: string): ParsedYaml {
  if (!ANCHOR.test(text)) {
    let data: unknown;
    let fast = true;
    try {
      data = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA });
    } catch {
      fast = false; // let `yaml` word the error with its position
    }
    if (fast && typeof data === "object" && data !== null && !Array.isArray(data)) {
      return { doc: new YamlDoc(file, text, data), findings: [] };
    }
  }
  return parseCarefully(file, text);
}

/** The `yaml` library's full parse: positions for every error, alias limits. */
function parseCarefully(file: string, text: string): ParsedYaml {
  const lines = new (yamlLib().LineCounter)();
  const doc = yamlLib().parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const findings: Finding[] = [];
  const at = (e: YAMLError): Position => {
    const { line, col } = lines.linePos(e.pos[0]);
    return { file, line, col };
  };
  for (const e of doc.errors) {
    const duplicate = e.code === "DUPLICATE_KEY";
    findings.push(
      error(
        duplicate ? "yaml/duplicate-key" : "yaml/syntax",
        at(e),
        duplicate ? "a key appears twice in the same mapping" : firstLine(e.message),
        duplicate ? "remove or rename one of them; YAML keeps only one" : yamlHint(e),
      ),
    );
  }
  if (findings.length > 0) return { findings };
  if (doc.contents === null || (yamlLib().isScalar(doc.contents) && doc.contents.value === null)) {
    return {
      findings: [
        error(
          "file/empty",
          { file, line: 1, col: 1 },
          "file is empty",
          "add the keys this kind of file needs, or delete it",
        ),
      ],
    };
  }
  if (!yamlLib().isMap(doc.contents)) {
    const kind = yamlLib().isSeq(doc.contents) ? "a list" : "a single value";
    const { line, col } = lines.linePos(doc.contents.range[0]);
    return {
      findings: [
        error(
          "file/not-a-mapping",
          { file, line, col },
          `expected a mapping of keys to values, found ${kind}`,
          "write `key: value` lines at the top level",
        ),
      ],
    };
  }
  try {
    return { doc: new YamlDoc(file, text, doc.toJS({ maxAliasCount: 100 })), findings };
  } catch (e) {
    // toJS throws on alias bombs (more aliases than maxAliasCount).
    return { findings: [error("yaml/syntax", { file, line: 1, col: 1 }, firstLine((e as Error).message))] };
  }
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
}

function yamlHint(e: YAMLError): string | undefined {
  switch (e.code) {
    case "BAD_INDENT":
    case "MISSING_CHAR":
      return "check the indentation and that every `key:` has a space after the colon";
    case "MULTIPLE_DOCS":
      return "keep one document per file; split at the `---` line";
    case "TAB_AS_INDENT":
      return "indent with spaces, not tabs";
    default:
      return undefined;
  }
}
