/** What mailops applied last, per resource: the record that makes deletes safe. */
import { createHash } from "../util/crypto.js";
import { KIND_INFO } from "./kinds.js";
import { canonicalJson, type KindName, type Resource, resourceKey, type Spec } from "./resource.js";

export interface InventoryEntry {
  kind: KindName;
  name: string;
  /** sha256 of the normalized spec mailops last applied. */
  digest: string;
  appliedAt: string;
}

export interface Inventory {
  version: 1;
  project: string;
  resources: Record<string, InventoryEntry>;
}

export const INVENTORY_KEY = "inventory.json";

export function emptyInventory(project: string): Inventory {
  return { version: 1, project, resources: {} };
}

export function specDigest(kind: KindName, spec: Spec): string {
  return createHash("sha256")
    .update(canonicalJson(KIND_INFO[kind].normalize(spec)))
    .digest("hex");
}

export function parseInventory(body: string, project: string, location: string): Inventory {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(`the inventory in ${location} is not valid JSON`);
  }
  const inv = parsed as Partial<Inventory>;
  if (inv.version !== 1 || typeof inv.resources !== "object" || inv.resources === null) {
    throw new Error(`the inventory in ${location} has an unknown format (version ${String(inv.version)})`);
  }
  return { version: 1, project: inv.project ?? project, resources: inv.resources };
}

export function recordApplied(inv: Inventory, r: Resource, at: Date): Inventory {
  const key = resourceKey(r);
  return {
    ...inv,
    resources: {
      ...inv.resources,
      [key]: { kind: r.kind, name: r.name, digest: specDigest(r.kind, r.spec), appliedAt: at.toISOString() },
    },
  };
}

export function recordDeleted(inv: Inventory, r: { kind: KindName; name: string }): Inventory {
  const resources = { ...inv.resources };
  delete resources[resourceKey(r)];
  return { ...inv, resources };
}
