/**
 * The SES mailbox simulator: addresses at simulator.amazonses.com that SES answers with a known
 * outcome, for testing without a real mailbox or a hit to reputation. A label is allowed
 * (`bounce+test1@simulator.amazonses.com`).
 *   success@          delivered
 *   bounce@           a hard bounce (SMTP 550)
 *   ooto@             delivered, then an out-of-the-office auto-reply
 *   complaint@        delivered, then a complaint (feedback loop)
 *   suppressionlist@  refused as if on the account's suppression list: a hard bounce
 */
import { normalizeAddress } from "./email.js";

export const SIMULATOR_DOMAIN = "simulator.amazonses.com";

export const SIMULATOR_MAILBOXES = ["success", "bounce", "ooto", "complaint", "suppressionlist"] as const;
export type SimulatorMailbox = (typeof SIMULATOR_MAILBOXES)[number];

/** Which simulator mailbox an address is, or undefined for any other address. */
export function simulatorMailbox(address: string): SimulatorMailbox | undefined {
  const key = normalizeAddress(address);
  const at = key.lastIndexOf("@");
  if (at < 0 || key.slice(at + 1) !== SIMULATOR_DOMAIN) return undefined;
  const local = key.slice(0, at).replace(/\+.*$/, "");
  return (SIMULATOR_MAILBOXES as readonly string[]).includes(local) ? (local as SimulatorMailbox) : undefined;
}

/** The delivery event a simulator mailbox ends in: bounce@ and suppressionlist@ bounce, complaint@ complains. */
export function simulatorOutcome(address: string): "delivery" | "bounce" | "complaint" {
  const mailbox = simulatorMailbox(address);
  if (mailbox === "bounce" || mailbox === "suppressionlist") return "bounce";
  if (mailbox === "complaint") return "complaint";
  return "delivery";
}
