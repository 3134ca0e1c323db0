/** Reading back a message page (src/render/message-page.ts) in tests. */

/** The HTML part a page shows: its frame's `srcdoc`, decoded; undefined when it has none. */
export function htmlPartOf(page: string): string | undefined {
  const attribute = /<iframe [^>]*srcdoc="([^"]*)"/.exec(page)?.[1];
  return attribute?.replace(
    /&(amp|lt|gt|quot|#39);/g,
    (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e] ?? "",
  );
}
