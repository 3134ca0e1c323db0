/** What `mailops import --only` may name: the parts of a repository, as mailops.yaml calls them. */
import type { KindName } from "../plan/resource.js";

export const SECTIONS = [
  "templates",
  "configuration_sets",
  "contact_list",
  "identities",
  "alarms",
  "dashboard",
] as const;
export type Section = (typeof SECTIONS)[number];

/** The kinds each part holds; a configuration set's event destinations and their topics go with it. */
export const SECTION_KINDS: Record<Section, KindName[]> = {
  templates: ["template"],
  configuration_sets: ["configuration-set", "event-destination", "sns-topic"],
  contact_list: ["contact-list"],
  identities: ["identity"],
  alarms: ["alarm"],
  dashboard: ["dashboard"],
};

/** `templates,configuration_sets` → the parts, or the names that are none (`unknown`). */
export function parseSections(text: string): { sections: Section[]; unknown: string[] } {
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
  const sections = SECTIONS.filter((s) => names.includes(s));
  return { sections, unknown };
}
