/**
 * An SES template as the repository's files: `templates/<name>.yaml` with its subject, and the
 * HTML and text as sibling files holding exactly what SES holds (byte for byte, so a diff of the
 * first pull request shows only what the team changes). SES keeps no sample data.
 */
import type { LiveResource } from "../plan/resource.js";
import type { ImportedFile, NotImported } from "./types.js";
import { yamlFile } from "./yaml-out.js";

const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** What a template's file stem may be: SES's own rule for names, so no name can climb out of templates/. */
export const FILE_STEM = /^[A-Za-z0-9_-]{1,64}$/;

export function templateFiles(live: LiveResource, origin: string): ImportedFile[] | NotImported {
  const { name } = live;
  if (!FILE_STEM.test(name))
    return {
      kind: live.kind,
      name,
      reason: "its name is not a file name mailops takes (letters, digits, - and _)",
    };
  const key = `template/${name}`;
  const html = str(live.spec.html);
  const text = str(live.spec.text);
  const doc: Record<string, unknown> = { subject: str(live.spec.subject) };
  const files: ImportedFile[] = [];
  // SES leaves out a part the template does not have; so does the file.
  if (html !== "") {
    doc.html = `${name}.html`;
    files.push({ path: `templates/${name}.html`, text: html, resources: [key] });
  }
  if (text !== "") {
    doc.text = `${name}.txt`;
    files.push({ path: `templates/${name}.txt`, text, resources: [key] });
  }
  doc.adopt = true;
  const comment = [
    `Imported by \`mailops import\` from ${origin}.`,
    "SES keeps no sample data: add `sample:` with a value for each variable, for previews.",
  ];
  return [{ path: `templates/${name}.yaml`, text: yamlFile(comment, doc), resources: [key] }, ...files];
}
