/**
 * SES v2 email identities: read into a canonical spec (its settings) and a status (what SES
 * verified), and apply one change. Create is CreateEmailIdentity (tags, Easy DKIM's key length,
 * the default configuration set) followed by what it cannot say: DKIM signing off, a MAIL FROM
 * domain. An update sends one call per setting that changed.
 */
import {
  type BehaviorOnMxFailure,
  CreateEmailIdentityCommand,
  DeleteEmailIdentityCommand,
  type DkimSigningKeyLength,
  GetEmailIdentityCommand,
  type GetEmailIdentityCommandOutput,
  PutEmailIdentityConfigurationSetAttributesCommand,
  PutEmailIdentityDkimAttributesCommand,
  PutEmailIdentityDkimSigningAttributesCommand,
  PutEmailIdentityMailFromAttributesCommand,
  type SESv2Client,
  type Tag,
} from "@aws-sdk/client-sesv2";
import type { Change } from "../../plan/plan.js";
import type { IdentityStatus, LiveResource, Spec } from "../../plan/resource.js";
import { isNotFound } from "./errors.js";

interface DkimSpec {
  signing: boolean;
  keyLength?: string;
}
interface MailFromSpec {
  domain: string;
  onMxFailure: string;
}

export async function readIdentity(ses: SESv2Client, name: string): Promise<LiveResource | undefined> {
  let r: GetEmailIdentityCommandOutput;
  try {
    r = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: name }));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  return {
    kind: "identity",
    name,
    spec: identitySpecOf(name, r),
    tags: Object.fromEntries(
      (r.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? ""]),
    ),
    status: identityStatusOf(r),
  };
}

/** The settings SES holds for an identity, in the form desired.ts writes them. */
export function identitySpecOf(name: string, r: GetEmailIdentityCommandOutput): Spec {
  const address = r.IdentityType === "EMAIL_ADDRESS" || (r.IdentityType === undefined && name.includes("@"));
  const d = r.DkimAttributes ?? {};
  const mf = r.MailFromAttributes;
  return {
    type: address ? "address" : "domain",
    dkim: address
      ? null
      : {
          signing: d.SigningEnabled ?? false,
          ...(d.NextSigningKeyLength || d.CurrentSigningKeyLength
            ? { keyLength: (d.NextSigningKeyLength ?? d.CurrentSigningKeyLength) as string }
            : {}),
          ...(d.SigningAttributesOrigin ? { origin: d.SigningAttributesOrigin } : {}),
        },
    mailFrom: mf?.MailFromDomain
      ? { domain: mf.MailFromDomain, onMxFailure: mf.BehaviorOnMxFailure ?? "USE_DEFAULT_VALUE" }
      : null,
    configurationSet: r.ConfigurationSetName ?? null,
  };
}

export function identityStatusOf(r: GetEmailIdentityCommandOutput): IdentityStatus {
  const d = r.DkimAttributes;
  return {
    verification: r.VerificationStatus ?? (r.VerifiedForSendingStatus ? "SUCCESS" : "PENDING"),
    verified: r.VerifiedForSendingStatus === true,
    ...(d?.Status
      ? {
          dkim: {
            status: d.Status,
            tokens: d.Tokens ?? [],
            hostedZone: d.SigningHostedZone ?? "dkim.amazonses.com",
          },
        }
      : {}),
    ...(r.MailFromAttributes?.MailFromDomain
      ? { mailFrom: { status: r.MailFromAttributes.MailFromDomainStatus ?? "PENDING" } }
      : {}),
  };
}

export async function applyIdentity(
  ses: SESv2Client,
  change: Change,
  tags: Record<string, string>,
): Promise<void> {
  const EmailIdentity = change.name;
  if (change.action === "delete") {
    await ses.send(new DeleteEmailIdentityCommand({ EmailIdentity }));
    return;
  }
  const a = change.after ?? {};
  const dkim = a.dkim as DkimSpec | null;
  const mailFrom = a.mailFrom as MailFromSpec | null;
  const configurationSet = typeof a.configurationSet === "string" ? a.configurationSet : undefined;
  if (change.action === "create") {
    await ses.send(
      new CreateEmailIdentityCommand({
        EmailIdentity,
        Tags: Object.entries(tags).map(([Key, Value]): Tag => ({ Key, Value })),
        ...(dkim?.signing ? { DkimSigningAttributes: { NextSigningKeyLength: keyLength(dkim) } } : {}),
        ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
      }),
    );
    // SES signs with Easy DKIM from the start: switching it off is a call of its own.
    if (dkim && !dkim.signing) await putDkimSigning(ses, EmailIdentity, false);
    if (mailFrom) await putMailFrom(ses, EmailIdentity, mailFrom);
    return;
  }
  const fields = new Set(change.fields ?? ["dkim", "mailFrom", "configurationSet"]);
  const before = (change.before?.dkim ?? null) as DkimSpec | null;
  if (fields.has("dkim") && dkim) {
    if (
      dkim.signing &&
      (!before?.signing || before.keyLength !== dkim.keyLength || !easyDkim(change.before))
    ) {
      await ses.send(
        new PutEmailIdentityDkimSigningAttributesCommand({
          EmailIdentity,
          SigningAttributesOrigin: "AWS_SES",
          SigningAttributes: { NextSigningKeyLength: keyLength(dkim) },
        }),
      );
    }
    if (dkim.signing !== (before?.signing ?? false)) await putDkimSigning(ses, EmailIdentity, dkim.signing);
  }
  if (fields.has("mailFrom")) await putMailFrom(ses, EmailIdentity, mailFrom);
  if (fields.has("configurationSet")) {
    await ses.send(
      new PutEmailIdentityConfigurationSetAttributesCommand({
        EmailIdentity,
        ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
      }),
    );
  }
}

const keyLength = (dkim: DkimSpec): DkimSigningKeyLength =>
  dkim.keyLength === "RSA_1024_BIT" ? "RSA_1024_BIT" : "RSA_2048_BIT";

const easyDkim = (spec: Spec | undefined): boolean =>
  ((spec?.dkim as { origin?: string } | null | undefined)?.origin ?? "AWS_SES") === "AWS_SES";

async function putDkimSigning(ses: SESv2Client, EmailIdentity: string, SigningEnabled: boolean) {
  await ses.send(new PutEmailIdentityDkimAttributesCommand({ EmailIdentity, SigningEnabled }));
}

/** Without a domain, SES removes the custom MAIL FROM (back to amazonses.com). */
async function putMailFrom(ses: SESv2Client, EmailIdentity: string, mailFrom: MailFromSpec | null) {
  await ses.send(
    new PutEmailIdentityMailFromAttributesCommand({
      EmailIdentity,
      ...(mailFrom
        ? {
            MailFromDomain: mailFrom.domain,
            BehaviorOnMxFailure: mailFrom.onMxFailure as BehaviorOnMxFailure,
          }
        : {}),
    }),
  );
}
