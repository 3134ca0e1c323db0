import { warning } from "../findings.js";
import { type Campaign, positionOf } from "../model.js";
import type { LintContext } from "./context.js";

/**
 * Two campaign runs to the same `to` name on the same UTC day: its recipients get two mails that
 * day, usually a scheduling slip. Drafts have no day, and on-merge runs go out whenever the merge
 * happens: neither is compared. The first run of a day (by time, then name) is the reference; each
 * later one is reported, naming the earlier ones.
 */
export function checkSameDayAudience({ project, report }: LintContext): void {
  const groups = new Map<string, Campaign[]>();
  for (const c of project.campaigns.values()) {
    if (c.sendAt?.kind !== "at") continue;
    const day = new Date(c.sendAt.epochMs).toISOString().slice(0, 10);
    for (const to of new Set(c.to)) {
      const key = `${day} ${to}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
  }
  for (const [key, campaigns] of groups) {
    if (campaigns.length < 2) continue;
    const [day, to] = key.split(" ") as [string, string];
    const ordered = campaigns.sort((a, b) => at(a) - at(b) || (a.name < b.name ? -1 : 1));
    ordered.forEach((c, i) => {
      if (i === 0) return;
      const before = ordered.slice(0, i).map((o) => `\`${o.name}\``);
      report(
        warning(
          "campaign/same-day-audience",
          positionOf(c, ["send_at"]),
          `campaign \`${c.name}\` sends to \`${to}\` on ${day} (UTC), as ${before.length === 1 ? "campaign" : "campaigns"} ${before.join(", ")} ${before.length === 1 ? "does" : "do"}: those recipients get ${i + 1} mails that day`,
          "move one `send_at` to another day, or leave one audience out of the other with `exclude:`",
        ),
      );
    });
  }
}

const at = (c: Campaign) => (c.sendAt?.kind === "at" ? c.sendAt.epochMs : 0);
