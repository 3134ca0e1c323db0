/** Resources as the plan sees them: a kind, a name, and a canonical spec (plain JSON). */

export const KINDS = [
  "contact-list",
  "configuration-set",
  "event-destination",
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
}

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
