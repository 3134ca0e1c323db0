/** `mailops status`: the status report as text or JSON; exit 1 when a ledger is damaged. */

import type { TargetFactory } from "../commands/context.js";
import { formatVariantStatus } from "../commands/send-variants.js";
import { collectStatus, type StatusReport } from "../commands/status.js";
import type { Io } from "../present/io.js";
import { identitiesText } from "../present/plan/identities.js";
import { type ReportFormat, reportJson } from "./format.js";
import { cliSession } from "./session.js";

export interface StatusOptions {
  dir: string;
  campaign?: string;
  target?: string;
  format?: ReportFormat;
}

export async function runStatus(options: StatusOptions, io: Io, factory?: TargetFactory): Promise<number> {
  const session = cliSession(options, io, factory);
  const report = await collectStatus(session, options.campaign);
  io.out(options.format === "json" ? reportJson("status", report) : formatStatus(report));
  return report.ok ? 0 : 1;
}

export function formatStatus(report: StatusReport): string {
  const identities = report.identities?.length
    ? ["Sender identities:", ...identitiesText(report.identities, { all: true, indent: "  " }), ""].join("\n")
    : "";
  if (!report.runs.length) {
    return `${identities}${report.campaign ? `No runs of ${report.campaign} yet.` : "No campaign runs yet."}\n`;
  }
  const lines: string[] = identities ? [identities.trimEnd(), ""] : [];
  for (const r of report.runs) {
    const waits = r.waiting ? ` — ${r.waiting} recipients wait for their local send time` : "";
    lines.push(
      `${r.campaign} (send_at ${r.sendAt}): ${r.status}${r.stopReason ? ` — ${r.stopReason}` : ""}${waits}`,
    );
    if (r.status === "damaged") continue;
    lines.push(`  started ${r.startedAt}, last update ${r.updatedAt}`);
    const skipped = Object.entries(r.skipped).map(([k, v]) => `${v} ${k}`);
    lines.push(
      `  sent ${r.sent}, failed ${r.failed}, unknown ${r.unknown}, skipped ${skipped.length ? skipped.join(", ") : 0}`,
    );
    if (r.ambiguous) {
      lines.push(
        `  unknown: ${r.ambiguous} in send calls whose outcome is unknown (a broken connection, a timeout, a 500); \`send --resend-unknown\` sends them again`,
      );
    }
    if (r.throttled) {
      lines.push(
        `  throttled: ${r.throttled.calls} send call${r.throttled.calls === 1 ? "" : "s"}, ${r.throttled.lostSeconds.toFixed(1)} s of sending lost to the lower rate`,
      );
    }
    for (const file of r.unreadable ?? [])
      lines.push(`  ledger: ${file} is unreadable: its batch counts as unknown`);
    if (r.metricsError) lines.push(`  metrics unavailable: ${r.metricsError}`);
    const m = r.metrics;
    if (m) {
      lines.push(
        `  delivered ${m.delivered}, bounced ${m.bounced}, complained ${m.complained}, opened ${m.opened}, clicked ${m.clicked}`,
      );
    }
    if (r.variants) lines.push(...formatVariantStatus(r.variants));
  }
  return `${lines.join("\n")}\n`;
}
