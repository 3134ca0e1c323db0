/**
 * `plan`'s check that every From will have an identity once the plan is applied: declared in
 * `identities:` (the plan creates or keeps it), or on the target already and not deleted by the
 * plan. Made with `identities:` declared, or when the plan deletes one: otherwise the sender
 * identity check of the account warnings (plan.ts) stands as before.
 *
 * A From that nothing covers is a warning: SES would reject its mail, but nothing the plan
 * changes causes it. A From left uncovered by the plan's own delete of an identity blocks the
 * apply (unless --force): it would stop mail that works today.
 */

import type { Project } from "../config/model.js";
import { coveringIdentities, identityKey, senderUses } from "../config/senders.js";
import type { Blocked, Plan } from "../plan/plan.js";
import type { Target } from "../targets/port.js";

export interface Coverage {
  warnings: string[];
  blocked: Blocked[];
}

export async function identityCoverage(project: Project, target: Target, plan: Plan): Promise<Coverage> {
  const declared = new Set(Object.keys(project.settings.identities).map(identityKey));
  const deleted = new Map(
    plan.changes
      .filter((c) => c.kind === "identity" && c.action === "delete")
      .map((c) => [identityKey(c.name), c.name]),
  );
  const onTarget = new Map<string, Promise<boolean>>();
  const exists = (identity: string): Promise<boolean> => {
    let known = onTarget.get(identity);
    if (!known) {
      known = target.identity(identity).then((f) => f.verified || f.status !== undefined);
      onTarget.set(identity, known);
    }
    return known;
  };
  // One finding per address, naming everyone who sends from it.
  const byAddress = new Map<string, { address: string; owners: string[] }>();
  for (const use of senderUses(project)) {
    const key = use.address.toLowerCase();
    const entry = byAddress.get(key) ?? { address: use.address, owners: [] };
    entry.owners.push(use.owner);
    byAddress.set(key, entry);
  }
  const out: Coverage = { warnings: [], blocked: [] };
  const lostBy = new Map<string, string[]>();
  for (const { address, owners } of byAddress.values()) {
    const candidates = coveringIdentities(address);
    if (candidates.some((c) => declared.has(c))) continue;
    let covered = false;
    for (const c of candidates) if (!covered && !deleted.has(c) && (await exists(c))) covered = true;
    if (covered) continue;
    const who = `${owners.join(", ")} (${address})`;
    const lost = candidates.map((c) => deleted.get(c)).find((name) => name !== undefined);
    if (lost !== undefined) lostBy.set(lost, [...(lostBy.get(lost) ?? []), who]);
    else
      out.warnings.push(
        `${who} sends from an address no identity covers: neither ${candidates.join(" nor ")} is an identity on the ${target.name} target or in \`identities:\`, so SES would reject its mail`,
      );
  }
  for (const [identity, whom] of lostBy) {
    out.blocked.push({
      kind: "identity",
      reason: `deleting email identity ${identity} leaves ${whom.join(" and ")} without an identity: SES would reject their mail`,
      override: `declare ${identity} under \`identities:\` again, or change the From first; \`mailops apply --force\` deletes it anyway`,
    });
  }
  return out;
}
