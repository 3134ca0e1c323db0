/** Resources as the plan sees them: a kind, a name, and a canonical spec (plain JSON). */

export const KINDS = [
  "contact-list",
  "sns-topic",
  "configuration-set",
  "event-destination",
  "identity",
  "template",
  "alarm",
  "dashboard",
] as const;
export type KindName = (typeof KINDS)[number];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Spec = { [key: string]: Json };

export interface Resource {
  kind: KindName;
  /** Unique per kind; event destinations are `<configuration-set>/<destination>`. */
  name: string;
  spec: Spec;
}

/** A desired resource, with the ownership settings from the repository. */
export interface DesiredResource extends Resource {
  /** Take over an existing resource mailops did not create. */
  adopt: boolean;
}

/** What a target reports for one resource that exists. */
export interface LiveResource extends Resource {
  tags: Record<string, string>;
  /** An identity's verification as SES reports it: shown, never compared (it is not a setting). */
  status?: IdentityStatus;
}

/**
 * What SES says of an identity beside its settings. The local target verifies at once; on aws it
 * moves from PENDING to SUCCESS when SES finds the DNS records (or the address's owner clicks).
 */
export interface IdentityStatus {
  /** SES's VerificationStatus: SUCCESS, PENDING, FAILED, TEMPORARY_FAILURE, NOT_STARTED. */
  verification: string;
  /** VerifiedForSendingStatus: SES takes mail from it. */
  verified: boolean;
  /** Easy DKIM of a domain: its status and the tokens of the CNAME records to publish. */
  dkim?: { status: string; tokens: string[]; hostedZone: string };
  /** The custom MAIL FROM domain's status (its MX and SPF records found). */
  mailFrom?: { status: string };
}

/**
 * Stands for the AWS account id in a desired spec until the target names it (an SNS topic's ARN
 * and policy). CloudFormation's spelling, so a reviewer who sees it in a plan knows what it is.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a literal placeholder, not a template.
export const ACCOUNT_PLACEHOLDER = "${AWS::AccountId}";

export const OWNER_TAG = "mailops:project";

export const resourceKey = (r: { kind: KindName; name: string }): string => `${r.kind}/${r.name}`;

/** JSON with sorted keys: the form digests and checksums are taken over. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
