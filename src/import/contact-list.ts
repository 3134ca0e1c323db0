/** The contact list as mailops.yaml's `unsubscribe:` (mode ses-list): its topics, opted in by default. */
import { contactListDescription } from "../plan/desired.js";
import { KIND_INFO } from "../plan/kinds.js";
import type { Json, LiveResource } from "../plan/resource.js";
import type { NotImported } from "./types.js";

type Obj = Record<string, unknown>;
const rec = (v: Json | undefined): { [key: string]: Json } =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? v : {};

export function contactListDoc(live: LiveResource, project: string): Obj | NotImported {
  const s = KIND_INFO["contact-list"].normalize(live.spec);
  const topics = ((s.topics as Json[]) ?? []).map(rec);
  // OPT_OUT by default means a contact gets no topic mail until they opt in: mailops makes every
  // topic OPT_IN, and rewriting one would mail people who never asked.
  const optOut = topics.filter((t) => t.defaultStatus !== "OPT_IN").map((t) => String(t.name));
  if (optOut.length > 0) {
    return {
      kind: live.kind,
      name: live.name,
      reason: `its topics ${optOut.join(", ")} are opted out by default; mailops makes every topic opted in`,
    };
  }
  const doc: Obj = { mode: "ses-list", contact_list: live.name };
  if (topics.length > 0)
    doc.topics = Object.fromEntries(topics.map((t) => [String(t.name), String(t.displayName)]));
  if (s.description !== contactListDescription(project)) doc.description = s.description;
  doc.adopt = true;
  return doc;
}
