/**
 * Whether the target can send from a campaign's From at all, asked before the first send call:
 * SES would take the calls and fail every one of them (or, with the account shut down, stop the
 * run after its first batch). A refusal says why and what to do; nothing is sent or recorded.
 */
import type { Project } from "../config/model.js";
import type { AccountFacts, Target } from "../targets/port.js";
import { domainOf, parseMailbox } from "../util/email.js";

/** The reason sending from `from` is refused, or undefined when it may go ahead. */
export async function senderRefusal(
  target: Target,
  project: Project,
  from: string,
  account: AccountFacts,
): Promise<string | undefined> {
  if (!account.sendingEnabled) {
    return "sending is disabled for the SES account (GetAccount: SendingEnabled false), so every send would fail; nothing was sent. Re-enable it (`aws sesv2 put-account-sending-attributes --sending-enabled`), or if AWS paused it, resolve that in the SES console first, then send again";
  }
  if (account.enforcementStatus === "SHUTDOWN") {
    return "AWS has paused sending for the SES account (enforcement status SHUTDOWN); nothing was sent. Resolve the reputation case in the SES console and ask AWS to resume sending, then send again";
  }
  const { candidates, main } = identitiesFor(project, from);
  const unverified: string[] = [];
  for (const identity of candidates) {
    const facts = await target.identity(identity);
    if (facts.verified) return undefined;
    const state = facts.status ? ` (${facts.status.toLowerCase().replaceAll("_", " ")})` : "";
    if (identity === main) unverified.unshift(`${identity}${state}`);
    else unverified.push(`${identity}${state}`);
  }
  if (!main) return undefined;
  const [first, ...others] = unverified;
  return `the sender identity ${first} is not verified for sending in SES${others.length ? ` (nor is ${others.join(" or ")})` : ""}, so SES would reject every message from ${from}; nothing was sent. Verify ${main} in SES (publish its DNS records; \`aws sesv2 get-email-identity --email-identity ${main}\` shows its state) or send from a verified identity, then send again`;
}

/**
 * What SES accepts mail from: the address itself or its domain, verified; `sender.identity` in
 * mailops.yaml names the one meant (`main`, else the domain). All are asked, the address first.
 */
function identitiesFor(project: Project, from: string): { candidates: string[]; main?: string } {
  const address = parseMailbox(from)?.address;
  const domain = address ? domainOf(address) : undefined;
  const main = project.settings.sender.identity ?? domain;
  const candidates = [address, domain, main].filter((x): x is string => !!x);
  return { candidates: [...new Set(candidates)], ...(main ? { main } : {}) };
}
