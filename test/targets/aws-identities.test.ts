/**
 * Identities on the aws target, through the commands a user runs. moto serves
 * CreateEmailIdentity, GetEmailIdentity and DeleteEmailIdentity (over the SES router, whose log
 * pins their request bodies). moto serves none of the attribute updates
 * (PutEmailIdentity{DkimSigningAttributes,DkimAttributes,MailFromAttributes,
 * ConfigurationSetAttributes}): those go to the stand-in (test/support/ses-unemulated.ts), whose
 * recorded inputs pin their shapes and whose state shows in later reads. Neither emulator
 * verifies anything or makes DKIM tokens: SES's verdict (status, tokens) is the stand-in's
 * `identities` map, said so where a test sets it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  CreateEmailIdentityCommand,
  GetEmailIdentityCommand,
  PutEmailIdentityConfigurationSetAttributesCommand,
  PutEmailIdentityDkimAttributesCommand,
  PutEmailIdentityDkimSigningAttributesCommand,
  PutEmailIdentityMailFromAttributesCommand,
  SESv2Client,
} from "@aws-sdk/client-sesv2";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { runPlan } from "../../src/cli/plan.js";
import { runSend } from "../../src/cli/send.js";
import { ApplyRefusedError } from "../../src/errors.js";
import { PRODUCTION_ACCOUNT, useAwsWorld } from "../support/aws-world.js";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, useEmulators } from "../support/emulators.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

const emulators = useEmulators({ sesRouter: true });
const unemulated = useAwsWorld(emulators, { account: PRODUCTION_ACCOUNT });
let repo: ReturnType<typeof copyExampleRepo>;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

const plan = async (format: "text" | "json" = "text") => {
  const io = captureIo();
  const code = await runPlan({ dir: repo.dir, target: "aws", format, detailedExitcode: true }, io);
  return { code, text: io.outText };
};
const apply = async (force = false) => {
  const io = captureIo();
  const code = await runApply({ dir: repo.dir, target: "aws", force }, io);
  return { code, text: io.outText };
};
const edit = (from: string | RegExp, to: string) => {
  const file = path.join(repo.dir, "mailops.yaml");
  const before = readFileSync(file, "utf8");
  const after = before.replace(from, to);
  expect(after, `${String(from)} not found`).not.toBe(before);
  writeFileSync(file, after);
};
/** Someone else's SES client, straight to the router: what SES holds, read without mailops. */
const outsider = () =>
  new SESv2Client({
    region: EMULATOR_REGION,
    endpoint: emulators.sesRouter.endpoint,
    credentials: EMULATOR_CREDENTIALS,
  });
const routed = (operation: string) =>
  emulators.sesRouter.calls.filter((c) => c.operation === operation).map((c) => c.request);

/** SES's answer for example.com once created, which moto cannot give: three DKIM tokens. */
const TOKENS = [
  "abcdefghijklmnopqrstuvwxyz012345",
  "bcdefghijklmnopqrstuvwxyz0123456",
  "cdefghijklmnopqrstuvwxyz01234567",
];

describe("identities on the aws target", () => {
  it("creates the domain identity with Easy DKIM RSA 2048, its MAIL FROM and configuration set, tagged", async () => {
    expect((await apply()).code).toBe(0);
    expect(routed("CreateEmailIdentity")).toEqual([
      {
        EmailIdentity: "example.com",
        Tags: [{ Key: "mailops:project", Value: "acme-marketing" }],
        DkimSigningAttributes: { NextSigningKeyLength: "RSA_2048_BIT" },
        ConfigurationSetName: "marketing",
      },
    ]);
    expect(unemulated.calls(PutEmailIdentityMailFromAttributesCommand)).toEqual([
      {
        EmailIdentity: "example.com",
        MailFromDomain: "mail.example.com",
        BehaviorOnMxFailure: "USE_DEFAULT_VALUE",
      },
    ]);
    expect(unemulated.calls(PutEmailIdentityDkimAttributesCommand)).toEqual([]);
    const held = await outsider().send(new GetEmailIdentityCommand({ EmailIdentity: "example.com" }));
    expect(held).toMatchObject({
      IdentityType: "DOMAIN",
      ConfigurationSetName: "marketing",
      DkimAttributes: { SigningEnabled: true, NextSigningKeyLength: "RSA_2048_BIT" },
      MailFromAttributes: { MailFromDomain: "mail.example.com", BehaviorOnMxFailure: "USE_DEFAULT_VALUE" },
      Tags: [{ Key: "mailops:project", Value: "acme-marketing" }],
    });
    const again = await plan();
    expect(again.text).toContain("No changes.");
    expect(again.code).toBe(0);
  });

  it("plans the DNS records SES has not found: the DKIM CNAMEs of its tokens, MAIL FROM MX and SPF, DMARC", async () => {
    await apply();
    // SES's verdict (the stand-in): pending, with its three tokens.
    unemulated.identities.set("example.com", {
      VerificationStatus: "PENDING",
      VerifiedForSendingStatus: false,
      DkimAttributes: { Status: "PENDING", Tokens: TOKENS, SigningHostedZone: "dkim.amazonses.com" },
    });
    const p = await plan();
    expect(p.code).toBe(0);
    expect(p.text).toContain(
      "example.com (domain): not verified (pending); DKIM pending; MAIL FROM mail.example.com pending",
    );
    for (const t of TOKENS)
      expect(p.text).toContain(`${t}._domainkey.example.com. 3600 IN CNAME ${t}.dkim.amazonses.com.`);
    expect(p.text).toContain("mail.example.com. 3600 IN MX 10 feedback-smtp.us-east-1.amazonses.com.");
    expect(p.text).toContain('mail.example.com. 3600 IN TXT "v=spf1 include:amazonses.com ~all"');
    expect(p.text).toContain(
      '_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@example.com"',
    );
    expect(p.text).toContain(
      "warning: the sender identity example.com is not verified in SES: sending from it will fail",
    );
    // Once SES finds them: a line, no records, no warning.
    unemulated.identities.set("example.com", {
      VerificationStatus: "SUCCESS",
      VerifiedForSendingStatus: true,
      DkimAttributes: { Status: "SUCCESS", Tokens: TOKENS },
      MailFromAttributes: {
        MailFromDomain: "mail.example.com",
        MailFromDomainStatus: "SUCCESS",
        BehaviorOnMxFailure: "USE_DEFAULT_VALUE",
      },
    });
    const done = await plan();
    expect(done.text).toContain(
      "example.com (domain): verified; DKIM verified; MAIL FROM mail.example.com verified",
    );
    expect(done.text).not.toContain("IN CNAME");
    expect(done.text).not.toContain("warning:");
  });

  it("send refuses the campaign while SES has not verified the identity mailops made, and sends once it has", async () => {
    await apply();
    const send = async () => {
      const io = captureIo();
      const code = await runSend({ dir: repo.dir, target: "aws", campaign: "welcome-new-customers" }, io);
      return { code, out: io.outText };
    };
    const refused = await send();
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(
      "welcome-new-customers: refused (the sender identity example.com (success) is not verified for sending in SES",
    );
    expect(emulators.sesRouter.calls.filter((c) => c.operation === "SendEmail")).toEqual([]);
    // SES's verdict once the DNS records are found (the stand-in: moto never verifies).
    unemulated.identities.set("example.com", { VerifiedForSendingStatus: true });
    const sent = await send();
    expect(sent.code, sent.out).toBe(0);
    expect(emulators.sesRouter.calls.filter((c) => c.operation === "SendEmail").length).toBeGreaterThan(0);
  });

  it("a new identity's plan names the records known before SES makes the tokens", async () => {
    const p = await plan();
    expect(p.text).toContain("+ create email identity example.com");
    expect(p.text).toContain(
      "example.com (domain): created by this plan, then verified by SES once its DNS records are published",
    );
    expect(p.text).toContain("SES makes the DKIM tokens when apply creates the identity");
    expect(p.text).toContain("mail.example.com. 3600 IN MX 10 feedback-smtp.us-east-1.amazonses.com.");
  });

  it("updates only the settings that changed, each with exactly its input, and converges", async () => {
    await apply();
    edit("dkim: rsa_2048", "dkim: rsa_1024");
    edit("on_mx_failure: use_default", "on_mx_failure: reject");
    edit("    configuration_set: marketing\n    dmarc", "    dmarc");
    const p = await plan();
    expect(p.text).toContain("~ update email identity example.com: configurationSet, dkim, mailFrom");
    await apply();
    expect(unemulated.calls(PutEmailIdentityDkimSigningAttributesCommand)).toEqual([
      {
        EmailIdentity: "example.com",
        SigningAttributesOrigin: "AWS_SES",
        SigningAttributes: { NextSigningKeyLength: "RSA_1024_BIT" },
      },
    ]);
    expect(unemulated.calls(PutEmailIdentityMailFromAttributesCommand).at(-1)).toEqual({
      EmailIdentity: "example.com",
      MailFromDomain: "mail.example.com",
      BehaviorOnMxFailure: "REJECT_MESSAGE",
    });
    // No configuration set: the call without one removes it.
    expect(unemulated.calls(PutEmailIdentityConfigurationSetAttributesCommand)).toEqual([
      { EmailIdentity: "example.com" },
    ]);
    expect(unemulated.calls(PutEmailIdentityDkimAttributesCommand)).toEqual([]);
    expect((await plan()).text).toContain("No changes.");
  });

  it("DKIM off: created, then signing switched off; a MAIL FROM removed goes back to SES's own", async () => {
    edit("dkim: rsa_2048", "dkim: false");
    await apply();
    expect(routed("CreateEmailIdentity")[0]).not.toHaveProperty("DkimSigningAttributes");
    expect(unemulated.calls(PutEmailIdentityDkimAttributesCommand)).toEqual([
      { EmailIdentity: "example.com", SigningEnabled: false },
    ]);
    expect((await plan()).text).toContain("No changes.");
    edit(/ {4}mail_from:\n(?: {6}.*\n)+/, "");
    await apply();
    expect(unemulated.calls(PutEmailIdentityMailFromAttributesCommand).at(-1)).toEqual({
      EmailIdentity: "example.com",
    });
    expect((await plan()).text).toContain("No changes.");
  });

  it("an identity made outside mailops is not taken over without `adopt: true`", async () => {
    await outsider().send(new CreateEmailIdentityCommand({ EmailIdentity: "example.com" }));
    const p = await plan();
    expect(p.text).toContain("! email identity example.com exists and is not managed by mailops");
    await expect(apply()).rejects.toThrow(ApplyRefusedError);
    edit("  example.com:\n    dkim:", "  example.com:\n    adopt: true\n    dkim:");
    const adopting = await plan();
    expect(adopting.text).toContain(
      "~ update email identity example.com: configurationSet, dkim, mailFrom (adopting it)",
    );
    await apply();
    expect((await plan()).text).toContain("No changes.");
  });

  it("deletes an identity removed from the repository unless a From still needs it", async () => {
    await apply();
    edit(/\nidentities:\n(?: {2}.*\n)+/, "\n");
    const blocked = await plan();
    expect(blocked.text).toContain(
      "BLOCKED: deleting email identity example.com leaves `sender.from` (marketing@example.com) without an identity",
    );
    await expect(apply()).rejects.toThrow(ApplyRefusedError);
    expect(routed("DeleteEmailIdentity")).toEqual([]);
    // The address is verified on its own, outside mailops: the domain may go.
    await outsider().send(new CreateEmailIdentityCommand({ EmailIdentity: "marketing@example.com" }));
    const p = await plan();
    expect(p.text).toContain("- delete email identity example.com (removed from the repository)");
    expect(p.text).not.toContain("BLOCKED");
    await apply();
    expect(emulators.sesRouter.calls.filter((c) => c.operation === "DeleteEmailIdentity")).toMatchObject([
      { path: "/v2/email/identities/example.com", target: "moto", status: 200 },
    ]);
  });
});
