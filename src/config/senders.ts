/**
 * The addresses a repository sends from (`sender.from` and each campaign's `from`), and the SES
 * identities that can cover one: SES takes mail from an address when the address itself or its
 * domain is a verified identity. One reading for `validate` (declared identities) and `plan`
 * (identities on the target). Pure.
 */
import { domainOf, normalizeAddress, parseMailbox } from "../util/email.js";
import type { Position } from "./findings.js";
import { type Project, positionOf } from "./model.js";

export interface SenderUse {
  /** Who sends from it, as messages name it: "`sender.from`", "campaign `welcome`". */
  owner: string;
  /** The address as written (no display name). */
  address: string;
  at: () => Position;
}

/** Every From in the repository that parses as an address (sender/invalid-from reports the rest). */
export function senderUses(project: Project): SenderUse[] {
  const { settings } = project;
  const out: SenderUse[] = [];
  const add = (text: string | undefined, owner: string, at: () => Position) => {
    const address = text === undefined ? undefined : parseMailbox(text)?.address;
    if (address) out.push({ owner, address, at });
  };
  add(settings.sender.from, "`sender.from`", () => positionOf(settings, ["sender", "from"]));
  for (const c of project.campaigns.values())
    add(c.from, `campaign \`${c.name}\``, () => positionOf(c, ["from"]));
  return out;
}

/** The identities that would let SES send from `address`, in key form: its domain, then itself. */
export function coveringIdentities(address: string): string[] {
  return [domainOf(address), normalizeAddress(address)];
}

/** An identity name in key form, to compare with coveringIdentities. */
export const identityKey = (name: string): string =>
  name.includes("@") ? normalizeAddress(name) : domainOf(name);
