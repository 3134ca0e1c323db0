import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * The example repository (a copy) switched to `link` unsubscribe mode, as docs/unsubscribe.md
 * describes it: the settings, `{{unsubscribe_url}}` in the templates, and no topics.
 */
export function switchToLinkMode(dir: string, url = "https://example.com/unsubscribe"): void {
  const read = (rel: string) => readFileSync(path.join(dir, rel), "utf8");
  const write = (rel: string, text: string) => writeFileSync(path.join(dir, rel), text);
  write(
    "mailops.yaml",
    read("mailops.yaml").replace(
      /unsubscribe:\n(?: {2}.*\n)+/,
      `unsubscribe:\n  mode: link\n  url: ${url}\n`,
    ),
  );
  for (const f of ["welcome-campaign", "product-promotion"])
    for (const ext of ["html", "txt"])
      write(
        `templates/${f}.${ext}`,
        read(`templates/${f}.${ext}`).replaceAll("amazonSESUnsubscribeUrl", "unsubscribe_url"),
      );
  // Every campaign: link mode has no topics.
  for (const f of readdirSync(path.join(dir, "campaigns")).filter((n) => n.endsWith(".yaml")))
    write(`campaigns/${f}`, read(`campaigns/${f}`).replace(/^topic: .*\n/m, ""));
}
