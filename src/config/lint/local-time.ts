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
