import { error, excerpt, info } from "../findings.js";
import { positionOf } from "../model.js";
import type { LintContext } from "./context.js";

const TAG_MAX = 256;
const TAG = new RegExp(`^[A-Za-z0-9_-]{1,${TAG_MAX}}$`);

export function checkCampaigns({ project, report }: LintContext): void {
  for (const c of project.campaigns.values()) {
    const d = (c.doc?.data ?? {}) as Record<string, unknown>;
    if (!c.doc) continue;
    if (typeof d.send_at === "string" && c.sendAt === undefined) {
      report(
        error(
          "campaign/send-at",
          positionOf(c, ["send_at"]),
          `\`${d.send_at}\` is not a date-time with an offset, nor \`on-merge\``,
          "write e.g. `2026-12-01T09:00:00Z` or `2026-12-01T10:00:00+01:00`; a time without an offset is ambiguous",
        ),
      );
    } else if (!("send_at" in d) && !("schedule" in d) && c.ok) {
      // Only for files that pass the schema: a misspelt `send_at` is already an unknown key.
      report(
        info(
          "campaign/draft",
          positionOf(c, []),
          `campaign \`${c.name}\` has no \`send_at\`: it is a draft and will not be sent`,
          "add `send_at: on-merge` or a date-time to schedule it",
        ),
      );
    }
    if (c.maxRecipients !== undefined && c.maxRecipients < 1) {
      report(
        error(
          "campaign/max-recipients",
          positionOf(c, ["max_recipients"]),
          `\`max_recipients\` must be a positive whole number, found ${c.maxRecipients}`,
          "it caps the audience; remove it for no cap",
        ),
      );
    }
    for (const [k, v] of Object.entries(c.tags)) {
      if (!TAG.test(k) || !TAG.test(v)) {
        const long = k.length > TAG_MAX || v.length > TAG_MAX;
        report(
          error(
            "campaign/tag",
            positionOf(c, ["tags", k], "key"),
            `tag \`${excerpt(k)}: ${excerpt(v)}\` is not a valid SES message tag`,
            long
              ? `tag names and values are at most ${TAG_MAX} characters`
              : "tag names and values use only letters, digits, `-` and `_`",
          ),
        );
      }
    }
  }
}
