/**
 * `mailops send --campaign NAME --proof-to ADDRESS[,ADDRESS]`: one message of the campaign,
 * rendered locally for a sample recipient (the template's sample under the campaign's data, or
 * `--subscriber EMAIL` from the audience) with the repository's template, sent to the given
 * addresses only, `[proof]` before its subject (send/proof.ts). An A/B campaign's proof is one
 * message per variant, `[proof] [variant]` before each subject: no recipient gets the campaign's
 * own subject, so a proof of it would show a mail nobody receives. Nothing is recorded in the ledger,
 * no lock is taken, and a proof is never refused for being early (a draft can be proofed). An
 * address outside `proof_recipients` refuses the whole proof before anything is sent; the SES
 * mailbox simulator is always allowed, and behaves as in SES on every target.
 * The report holds the proof addresses (the sender's own, allowed ones), never a subscriber's.
 */
import { maskAddress } from "../audience/index.js";
import type { Campaign, Project } from "../config/model.js";
import { MailopsError, UsageError } from "../errors.js";
import { PROOF_MARK, type ProofRefusal, parseProofTo, proofRefusals, proofSubject } from "../send/proof.js";
import type { ProofResult } from "../targets/port.js";
import { type SimulatorMailbox, simulatorMailbox } from "../util/simulator.js";
import { renderCampaignMessages } from "./preview.js";
import { SendRefusedError } from "./send.js";
import { senderRefusal } from "./sender-check.js";
import type { Session } from "./session.js";

export interface ProofOptions {
  campaign: string;
  /** `--proof-to`: addresses, comma-separated. */
  proofTo: string;
  /** Render for this subscriber of the audience instead of the template's sample. */
  subscriber?: string;
}

export interface ProofReport {
  campaign: string;
  from: string;
  /** Whose data it was rendered with. */
  renderedFor: "sample" | "subscriber";
  /** The messages sent: one, or one per variant of an A/B campaign, each to every proof address. */
  messages: ProofMessageReport[];
  /** What the sender shows (the local outbox's index.html). */
  outbox?: string;
}

export interface ProofMessageReport {
  /** The variant, for an A/B campaign: its name is in the subject too. */
  variant?: string;
  subject: string;
  results: (ProofResult & { simulator?: SimulatorMailbox })[];
}

/** A proof address outside proof_recipients, or not an address: nothing was sent. */
export class ProofRefusedError extends MailopsError {}

export async function sendProof(session: Session, options: ProofOptions): Promise<ProofReport> {
  const { project } = session;
  const campaign = proofCampaign(project, options.campaign);
  const to = parseProofTo(options.proofTo);
  if (!to.length)
    throw new UsageError("--proof-to names no address", "write e.g. --proof-to you@example.com");
  const refused = proofRefusals(to, project.settings.proofRecipients);
  if (refused.length) throw refusal(refused);
  const renderings = await renderCampaignMessages(session, campaign, options.subscriber);
  const { envelope } = renderings[0] as (typeof renderings)[number];
  const target = await session.target();
  const cannot = await senderRefusal(target, project, envelope.from, await target.account());
  if (cannot) throw new SendRefusedError(`no proof was sent: ${cannot}`);
  const sender = target.sender();
  if (!sender.sendProof) throw new UsageError(`the ${target.name} target cannot send proofs`);
  const messages: ProofMessageReport[] = [];
  for (const { variant, envelope, recipient, rendered } of renderings) {
    const subject = proofSubject(rendered.subject, variant);
    const results = await sender.sendProof({
      campaign: campaign.name,
      from: envelope.from,
      replyTo: envelope.replyTo,
      to,
      subject,
      html: rendered.html,
      text: rendered.text,
      headers: recipient.headers,
      ...(envelope.configurationSet !== undefined ? { configurationSet: envelope.configurationSet } : {}),
      // Not the campaign's tags: its metrics (the `campaign` and `variant` dimensions) must not count proofs.
      tags: { "mailops-proof": campaign.name },
    });
    messages.push({
      ...(variant !== undefined ? { variant } : {}),
      subject,
      results: results.map((r) => {
        const mailbox = simulatorMailbox(r.to);
        return mailbox ? { ...r, simulator: mailbox } : r;
      }),
    });
  }
  const outbox = sender.finish?.(campaign.name);
  return {
    campaign: campaign.name,
    from: envelope.from,
    renderedFor: options.subscriber === undefined ? "sample" : "subscriber",
    messages,
    ...(outbox ? { outbox } : {}),
  };
}

/** Any campaign, drafts and campaigns not yet due included: a proof is how one is checked first. */
function proofCampaign(project: Project, name: string): Campaign {
  const c = project.campaigns.get(name);
  if (c) return c;
  throw new UsageError(
    `campaign \`${name}\` does not exist`,
    `campaigns: ${[...project.campaigns.keys()].join(", ") || "none"}`,
  );
}

function refusal(refused: ProofRefusal[]): ProofRefusedError {
  // Masked: a typo may be a customer's address, and this goes to logs.
  const list = refused.map(
    (r) => `${r.index} (${maskAddress(r.address)}${r.why === "not-an-address" ? ", not an address" : ""})`,
  );
  return new ProofRefusedError(
    `no proof was sent: --proof-to address${refused.length === 1 ? "" : "es"} ${list.join(", ")} ${refused.length === 1 ? "is" : "are"} not on proof_recipients in mailops.yaml`,
    `a proof goes only to addresses listed there (or \`*@your-domain\`), and to the SES mailbox simulator (success@, bounce@, complaint@, ooto@, suppressionlist@simulator.amazonses.com); add the address there if it is meant. Its subject starts with ${PROOF_MARK}`,
  );
}
