/**
 * What each declared sender identity still needs before SES sends from it: its verification and
 * DKIM status as the target reports them, and the DNS records to publish (Easy DKIM's CNAMEs, the
 * custom MAIL FROM domain's MX and SPF TXT, the DMARC TXT bulk senders need). Pure: the plan and
 * `status` show it; the records are data, and `zoneFile` writes them as lines to paste.
 *
 * Which records are missing is SES's word: DKIM's while its status is not SUCCESS, MAIL FROM's
 * while the MAIL FROM status is not SUCCESS. SES does not look for DMARC, and neither does
 * mailops: its record is `recommended`, shown while anything else is still missing.
 */
import type { Identity, Settings } from "../config/model.js";
import { type LiveResource, resourceKey } from "./resource.js";

export interface DnsRecord {
  type: "CNAME" | "MX" | "TXT";
  /** The owner name, fully qualified, without the trailing dot. */
  name: string;
  /** As a zone file holds it: the CNAME target, `10 host` for MX, the TXT text unquoted. */
  value: string;
  purpose: "DKIM" | "MAIL FROM" | "DMARC";
  /** `missing`: SES has not found it; `published`: SES found it; `recommended`: nobody checks it. */
  state: "missing" | "published" | "recommended";
}

export interface IdentityReport {
  identity: string;
  type: "domain" | "address";
  /** False when it is not on the target yet (the plan creates it). */
  exists: boolean;
  /** SES's VerificationStatus; NOT_CREATED when it does not exist. */
  verification: string;
  verified: boolean;
  /** Easy DKIM of a domain that signs: SES's DKIM status. */
  dkim?: { status: string };
  mailFrom?: { domain: string; status: string };
  /** A domain that signs but whose DKIM tokens SES has not made yet (it makes them on create). */
  tokensPending: boolean;
  records: DnsRecord[];
}

/** SES's bounce and complaint feedback host of a region: the MAIL FROM domain's MX. */
export const feedbackHost = (region: string): string => `feedback-smtp.${region}.amazonses.com`;
export const SPF_RECORD = "v=spf1 include:amazonses.com ~all";
const DEFAULT_HOSTED_ZONE = "dkim.amazonses.com";

/**
 * One report per declared identity, in name order, from what the target read (absent: not
 * created). `verifiesAtOnce`: the target verifies what it creates (local), so an identity not yet
 * created waits for no DNS record.
 */
export function identityReports(
  settings: Settings,
  live: LiveResource[],
  options: { verifiesAtOnce?: boolean } = {},
): IdentityReport[] {
  const byKey = new Map(live.map((r) => [resourceKey(r), r]));
  return Object.values(settings.identities)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((identity) => {
      const key = resourceKey({ kind: "identity", name: identity.name });
      const r = report(identity, byKey.get(key), settings.region);
      return !r.exists && options.verifiesAtOnce ? { ...r, tokensPending: false, records: [] } : r;
    });
}

function report(identity: Identity, live: LiveResource | undefined, region: string): IdentityReport {
  const status = live?.status;
  const exists = live !== undefined;
  const signs = identity.type === "domain" && identity.dkim !== false;
  const records: DnsRecord[] = [];
  const dkimStatus = status?.dkim?.status ?? (exists ? "NOT_STARTED" : "NOT_CREATED");
  const tokens = status?.dkim?.tokens ?? [];
  if (signs) {
    const zone = status?.dkim?.hostedZone || DEFAULT_HOSTED_ZONE;
    for (const token of tokens) {
      records.push({
        type: "CNAME",
        name: `${token}._domainkey.${identity.name}`,
        value: `${token}.${zone}`,
        purpose: "DKIM",
        state: dkimStatus === "SUCCESS" ? "published" : "missing",
      });
    }
  }
  let mailFrom: IdentityReport["mailFrom"];
  if (identity.mailFrom) {
    const domain = identity.mailFrom.domain.toLowerCase();
    // The live status is of the live MAIL FROM domain; a new one is not yet found.
    const liveDomain = (live?.spec.mailFrom as { domain?: string } | null | undefined)?.domain?.toLowerCase();
    const found =
      liveDomain === domain ? (status?.mailFrom?.status ?? "PENDING") : exists ? "NOT_SET" : "NOT_CREATED";
    mailFrom = { domain, status: found };
    const state = found === "SUCCESS" ? "published" : "missing";
    records.push(
      { type: "MX", name: domain, value: `10 ${feedbackHost(region)}`, purpose: "MAIL FROM", state },
      { type: "TXT", name: domain, value: SPF_RECORD, purpose: "MAIL FROM", state },
    );
  }
  if (identity.type === "domain" && identity.dmarc !== false) {
    records.push({
      type: "TXT",
      name: `_dmarc.${identity.name}`,
      value: identity.dmarc,
      purpose: "DMARC",
      state: "recommended",
    });
  }
  return {
    identity: identity.name,
    type: identity.type,
    exists,
    verification: status?.verification ?? (exists ? "PENDING" : "NOT_CREATED"),
    verified: status?.verified ?? false,
    ...(signs ? { dkim: { status: dkimStatus } } : {}),
    ...(mailFrom ? { mailFrom } : {}),
    // DKIM found means SES has its tokens, even when a reader (an emulator) does not show them.
    tokensPending: signs && tokens.length === 0 && dkimStatus !== "SUCCESS",
    records,
  };
}

/** Whether the identity still waits for something: a record SES has not found, or its tokens. */
export function needsDns(r: IdentityReport): boolean {
  return r.tokensPending || r.records.some((x) => x.state === "missing");
}

/** The records to publish: what SES has not found, and the recommended DMARC record. */
export function recordsToPublish(r: IdentityReport): DnsRecord[] {
  return r.records.filter((x) => x.state !== "published");
}

/** The records as zone-file lines (RFC 1035), to paste into a DNS provider's zone import. */
export function zoneFile(records: DnsRecord[], ttl = 3600): string[] {
  return records.map((r) => `${r.name}. ${ttl} IN ${r.type} ${zoneValue(r)}`);
}

function zoneValue(r: DnsRecord): string {
  if (r.type === "CNAME") return `${r.value}.`;
  if (r.type === "MX") return `${r.value}.`;
  return txtStrings(r.value);
}

/** A TXT value as quoted character-strings: escaped, and cut at 255 bytes as DNS requires. */
export function txtStrings(text: string): string {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > 0 || parts.length === 0) {
    let cut = Math.min(rest.length, 255);
    while (Buffer.byteLength(rest.slice(0, cut)) > 255) cut--;
    parts.push(`"${rest.slice(0, cut).replace(/[\\"]/g, (c) => `\\${c}`)}"`);
    rest = rest.slice(cut);
  }
  return parts.join(" ");
}
