/**
 * Who a proof (`send --proof-to`) may go to. Pure.
 *
 * A proof is one campaign message rendered for a sample recipient and sent to the people who
 * check it: never to the audience, never recorded in the ledger. So that a typo cannot mail a
 * customer, every address must be on `proof_recipients` in mailops.yaml: a whole address
 * (compared by address key: case and spelling folded as everywhere, util/email.ts) or a
 * `*@domain` entry for a whole domain. The SES mailbox simulator is always allowed
 * (util/simulator.ts): it only answers with the outcome its name says.
 */
import { isEmail, normalizeAddress } from "../util/email.js";
import { simulatorMailbox } from "../util/simulator.js";

/** The prefix marking a proof's subject. */
export const PROOF_MARK = "[proof]";

/** `[proof] subject`; a variant's proof names it: `[proof] [offer] subject`. */
export const proofSubject = (subject: string, variant?: string): string =>
  variant === undefined ? `${PROOF_MARK} ${subject}` : `${PROOF_MARK} [${variant}] ${subject}`;

/** `--proof-to a@x,b@y`: the addresses, trimmed, empty items dropped, each once (by address key). */
export function parseProofTo(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const item of text.split(",")) {
    const a = item.trim();
    if (!a || seen.has(normalizeAddress(a))) continue;
    seen.add(normalizeAddress(a));
    out.push(a);
  }
  return out;
}

export interface ProofRefusal {
  /** 1-based place in the list given. */
  index: number;
  address: string;
  why: "not-an-address" | "not-allowed";
}

/** The addresses a proof may not go to, each with why; empty when all may. */
export function proofRefusals(addresses: string[], allowList: string[]): ProofRefusal[] {
  const exact = new Set<string>();
  const domains = new Set<string>();
  for (const entry of allowList) {
    const e = normalizeAddress(entry);
    if (e.startsWith("*@")) domains.add(e.slice(2));
    else exact.add(e);
  }
  const out: ProofRefusal[] = [];
  addresses.forEach((address, i) => {
    if (!isEmail(address.trim())) {
      out.push({ index: i + 1, address, why: "not-an-address" });
      return;
    }
    if (simulatorMailbox(address)) return;
    const key = normalizeAddress(address);
    if (exact.has(key) || domains.has(key.slice(key.lastIndexOf("@") + 1))) return;
    out.push({ index: i + 1, address, why: "not-allowed" });
  });
  return out;
}
