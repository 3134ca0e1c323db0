/**
 * Sender identities as the plan and `status` show them: one line each with its verification,
 * then, while SES still misses some, the DNS records to publish as a table and as zone-file lines.
 */

import {
  type DnsRecord,
  type IdentityReport,
  needsDns,
  recordsToPublish,
  zoneFile,
} from "../../plan/identities.js";
import { escapeMd, fenced } from "../../util/markdown.js";

const word = (status: string): string =>
  status === "SUCCESS" ? "verified" : status.toLowerCase().replaceAll("_", " ");

/** `example.com (domain): verified; DKIM pending; MAIL FROM mail.example.com pending`. */
export function identityLine(r: IdentityReport): string {
  const head = `${r.identity} (${r.type})`;
  if (!r.exists)
    return needsDns(r)
      ? `${head}: created by this plan, then verified by SES once its DNS records are published`
      : `${head}: created by this plan`;
  const parts = [r.verified ? "verified" : `not verified (${word(r.verification)})`];
  if (r.dkim) parts.push(`DKIM ${word(r.dkim.status)}`);
  if (r.mailFrom) parts.push(`MAIL FROM ${r.mailFrom.domain} ${word(r.mailFrom.status)}`);
  if (r.type === "address" && !r.verified) parts.push("SES mailed a link to the address: open it to verify");
  return `${head}: ${parts.join("; ")}`;
}

const NOTE: Record<DnsRecord["state"], string> = {
  missing: "",
  published: "found by SES",
  recommended: "recommended for bulk senders by Gmail and Yahoo; SES does not check it",
};

const tokensNote = (r: IdentityReport): string =>
  r.exists
    ? "SES has not made the DKIM tokens yet: their three CNAME records show here once it has"
    : "SES makes the DKIM tokens when apply creates the identity: `mailops status` then shows their three CNAME records";

/**
 * Text lines for the identities, indented by `indent`. `all`: every record with its state (status);
 * otherwise only an identity still waiting shows its records, and only those to publish (plan).
 */
export function identitiesText(
  reports: IdentityReport[],
  options: { all?: boolean; indent?: string } = {},
): string[] {
  const pad = options.indent ?? "";
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(`${pad}${identityLine(r)}`);
    const records = options.all ? r.records : needsDns(r) ? recordsToPublish(r) : [];
    if (r.tokensPending) lines.push(`${pad}  ${tokensNote(r)}`);
    if (records.length === 0) continue;
    lines.push(`${pad}  DNS records ${options.all ? "" : "to publish "}(type, name, value):`);
    const width = (f: (x: DnsRecord) => string) => Math.max(...records.map((x) => f(x).length));
    const [wt, wn] = [width((x) => x.type), width((x) => x.name)];
    for (const x of records) {
      const note = options.all && x.state === "missing" ? "missing" : NOTE[x.state];
      const value = x.type === "TXT" ? `"${x.value}"` : x.value;
      lines.push(
        `${pad}    ${x.type.padEnd(wt)}  ${x.name.padEnd(wn)}  ${value}${note ? `  (${note})` : ""}`,
      );
    }
    const zone = zoneFile(records.filter((x) => x.state !== "published"));
    if (zone.length) {
      lines.push(`${pad}  As zone-file lines, to paste:`);
      for (const z of zone) lines.push(`${pad}    ${z}`);
    }
  }
  return lines;
}

/** The same for a pull-request comment: a line each, a table and a `zone` block while records are missing. */
export function identitiesMarkdown(reports: IdentityReport[]): string {
  const out: string[] = ["**Sender identities:**", ""];
  for (const r of reports) {
    out.push(`- ${escapeMd(identityLine(r))}`);
    if (r.tokensPending) out.push(`  - ${escapeMd(tokensNote(r))}`);
  }
  out.push("");
  const waiting = reports.filter(needsDns).flatMap(recordsToPublish);
  if (waiting.length === 0) return out.join("\n");
  out.push("DNS records to publish:", "", "| Type | Name | Value | |", "|---|---|---|---|");
  for (const x of waiting) {
    const value = x.type === "TXT" ? `"${x.value}"` : x.value;
    out.push(`| ${x.type} | \`${x.name}\` | \`${value}\` | ${escapeMd(NOTE[x.state] || x.purpose)} |`);
  }
  out.push("", fenced("zone", zoneFile(waiting).join("\n")), "");
  return out.join("\n");
}
