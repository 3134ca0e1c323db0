/** Files as the repository's own are written: YAML in the order given, short lists inline. */
import { Document, isMap, isScalar, visit } from "yaml";

/** YAML text of `value` (keys in the order given), after a comment block. */
export function yamlFile(comment: string[], value: unknown): string {
  const doc = new Document(value);
  doc.commentBefore = comment.map((line) => ` ${line}`).join("\n");
  // A list of plain values reads best on one line (`types: [send, bounce]`), as the examples write it.
  visit(doc, {
    Seq(_, node) {
      if (node.items.length > 0 && node.items.every((i) => isScalar(i))) node.flow = true;
    },
    // A CloudWatch dimension too: `campaign: {from: message_tag, default: none}`.
    Pair(_, pair) {
      if (!isScalar(pair.key) || pair.key.value !== "dimensions" || !isMap(pair.value)) return;
      for (const dim of pair.value.items) if (isMap(dim.value)) dim.value.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** A JSON file: two-space indents and a final newline. */
export function jsonFile(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
