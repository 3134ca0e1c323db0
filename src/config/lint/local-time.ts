import { error } from "../findings.js";
import { parseLocalSendAt } from "../local-time.js";
import { type Campaign, positionOf } from "../model.js";
import { type LintContext, sourcesOf } from "./context.js";

const RULE = "campaign/send-at-local";

/**
 * `send_at: {local, timezone_field, default_timezone}` (config/local-time.ts): a wall time without
 * offset, a default zone the tz database knows, and a zone field every source of `to` declares as
 * a string. Offline: no row is read (each row's zone is checked when it is sent).
 */
export function checkLocalSendAt({ project, report }: LintContext): void {
  for (const c of project.campaigns.values()) {
    const d = (c.doc?.data ?? {}) as Record<string, unknown>;
    const raw = d.send_at;
    if (!c.doc || typeof raw !== "object" || raw === null || Array.isArray(raw)) continue;
    for (const p of parseLocalSendAt(raw as Record<string, unknown>).problems)
      report(error(RULE, positionOf(c, p.key ? ["send_at", p.key] : ["send_at"]), p.message, p.hint));
    const field = (raw as Record<string, unknown>).timezone_field;
    if (typeof field === "string") checkField(c, field, project, report);
    // The winner is picked `decide_after` the test began, but a local-time test share is still
    // going out zone by zone for a day: the later zones' results would not be in.
    if (c.variants?.test)
      report(
        error(
          RULE,
          positionOf(c, ["test"], "key"),
          `campaign \`${c.name}\` has an A/B \`test:\` stage and a local-time send_at: the winner would be picked before every zone's test share was sent`,
          "send the test at one instant (`send_at: 2026-12-01T14:00:00Z`), or keep `variants:` without `test:` (a fixed split works in local time)",
        ),
      );
  }
}

function checkField(
  c: Campaign,
  field: string,
  project: LintContext["project"],
  report: LintContext["report"],
): void {
  // An unknown `to` name is reported by its own rule; nothing to add here.
  for (const source of sourcesOf(project, c.to) ?? []) {
    const declared = source.fields.get(field);
    if (declared?.type === "string") continue;
    report(
      error(
        RULE,
        positionOf(c, ["send_at", "timezone_field"]),
        declared
          ? `\`timezone_field: ${field}\` is a field of type ${declared.type} in source \`${source.name}\`: a time zone is a string`
          : `\`timezone_field: ${field}\` is not a field of source \`${source.name}\``,
        declared
          ? `declare it as \`${field}: { type: string }\` in ${source.file}`
          : `declare it in ${source.file}, e.g. \`${field}: { type: string }\` (an IANA zone such as \`Europe/Berlin\` per row)`,
      ),
    );
  }
}
