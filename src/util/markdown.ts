/** Markdown escaping shared by the plan formatter and the GitHub Action's comments. */

/** Text for a Markdown line or table cell: HTML brackets neutralised, pipes escaped. */
export function escapeMd(s: string): string {
  return s.replace(/[<>]/g, (c) => (c === "<" ? "&lt;" : "&gt;")).replace(/\|/g, "\\|");
}

/** A fenced block whose content cannot end the fence early. */
export function fenced(lang: string, body: string): string {
  return `\`\`\`${lang}\n${body.replace(/```/g, "``\u200b`")}\n\`\`\``;
}
