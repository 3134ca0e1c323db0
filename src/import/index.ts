/**
 * `mailops import`'s core, pure: the resources a target holds → the repository files that declare
 * them, each marked `adopt: true`; the inverse of config/build.ts and plan/desired.ts, so that the
 * desired state of the files is the live state read (test/import/round-trip.test.ts holds it to
 * that). What mailops.yaml cannot say is reported with why, never written differently.
 */
import { type KindName, type LiveResource, OWNER_TAG } from "../plan/resource.js";
import { alarmDoc } from "./alarms.js";
import { contactListDoc } from "./contact-list.js";
import { dashboardDoc, isSesDashboard } from "./dashboard.js";
import { configurationSetDoc, type EventContext, eventDestinationDoc, ownTopic } from "./events.js";
import { identityDoc } from "./identities.js";
import { ownedElsewhere } from "./owner.js";
import { templateFiles } from "./templates.js";
import type { ImportedFile, ImportInput, ImportResult, NotImported } from "./types.js";
import { yamlFile } from "./yaml-out.js";

export { parseSections, SECTION_KINDS, SECTIONS, type Section } from "./sections.js";
export type { ImportedFile, ImportInput, ImportResult, NotImported, ProjectSettings } from "./types.js";

type Obj = Record<string, unknown>;

const isNotImported = (v: unknown): v is NotImported =>
  typeof v === "object" && v !== null && "reason" in v && "kind" in v;

/** What one run gathers: the mailops.yaml document and its resources, files, and what is left out. */
class Gathered {
  readonly files: ImportedFile[] = [];
  readonly notImported: NotImported[] = [];
  readonly notes: string[] = [];
  readonly settingsResources: string[] = [];

  constructor(private readonly input: ImportInput) {}

  of(kind: KindName): LiveResource[] {
    return this.input.live
      .filter((r) => r.kind === kind)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The resources of a kind this project may import; the others reported. */
  mine(kind: KindName): LiveResource[] {
    return this.of(kind).filter((r) => {
      const why = ownedElsewhere(r, this.input.settings.project);
      if (why) this.notImported.push({ kind, name: r.name, reason: why });
      return !why;
    });
  }

  /** A piece of mailops.yaml, or the reason it is none. */
  take<T>(piece: T | NotImported, key: string): T | undefined {
    if (isNotImported(piece)) {
      this.notImported.push(piece);
      return undefined;
    }
    this.settingsResources.push(key);
    return piece;
  }
}

export function importFiles(input: ImportInput): ImportResult {
  const g = new Gathered(input);
  const origin = input.target === "aws" ? `SES in ${input.region} (the aws target)` : "the local target";
  const wants = (s: ImportInput["sections"][number]) => input.sections.includes(s);
  if (wants("templates")) {
    for (const t of g.mine("template")) {
      const files = templateFiles(t, origin);
      if (isNotImported(files)) g.notImported.push(files);
      else g.files.push(...files);
    }
  }
  if (input.withSettings) {
    const doc = settingsDoc(input, g);
    const comment = [
      `Imported by \`mailops import\` from ${origin}.`,
      "Every resource is marked `adopt: true`: the first apply takes over those mailops did not",
      "create. Review it, then run `mailops validate` and `mailops plan`.",
    ];
    g.files.unshift({ path: "mailops.yaml", text: yamlFile(comment, doc), resources: g.settingsResources });
  }
  return { files: g.files, notImported: g.notImported.map((n) => withTag(n, input)), notes: g.notes };
}

function withTag(n: NotImported, input: ImportInput): NotImported {
  const owner = (kind: KindName, name: string) =>
    input.live.find((r) => r.kind === kind && r.name === name)?.tags[OWNER_TAG];
  const tag =
    n.kind === "event-destination"
      ? owner("configuration-set", n.name.split("/")[0] ?? "")
      : owner(n.kind, n.name);
  return tag === input.settings.project ? { ...n, tagged: true } : n;
}

function settingsDoc(input: ImportInput, g: Gathered): Obj {
  const { settings } = input;
  const wants = (s: ImportInput["sections"][number]) => input.sections.includes(s);
  const doc: Obj = {
    project: settings.project,
    target: input.target,
    aws: { region: input.region },
    state: settings.state,
    sender: { from: settings.from },
  };
  const unsubscribe = wants("contact_list") ? contactList(g, settings.project) : undefined;
  if (unsubscribe) doc.unsubscribe = unsubscribe;
  else if (settings.unsubscribeUrl) doc.unsubscribe = { mode: "link", url: settings.unsubscribeUrl };
  else
    g.notes.push(
      "mailops.yaml has no `unsubscribe:` (no contact list was imported): add one, or import again with --unsubscribe-url (docs/unsubscribe.md)",
    );
  if (wants("configuration_sets")) putNonEmpty(doc, "configuration_sets", configurationSets(input, g));
  if (wants("identities")) putNonEmpty(doc, "identities", identities(g));
  if (wants("alarms")) putNonEmpty(doc, "alarms", alarms(g, settings.project));
  if (wants("dashboard")) {
    const dashboard = dashboardOf(g);
    if (dashboard) doc.dashboard = dashboard;
  }
  return doc;
}

function putNonEmpty(doc: Obj, key: string, value: Obj): void {
  if (Object.keys(value).length > 0) doc[key] = value;
}

/** SES holds one contact list per account; a target with more gets the first. */
function contactList(g: Gathered, project: string): Obj | undefined {
  const [first, ...rest] = g.mine("contact-list");
  for (const r of rest)
    g.notImported.push({
      kind: r.kind,
      name: r.name,
      reason: `mailops manages one contact list (${first?.name})`,
    });
  return first ? g.take(contactListDoc(first, project), `contact-list/${first.name}`) : undefined;
}

function configurationSets(input: ImportInput, g: Gathered): Obj {
  const sets = g.mine("configuration-set");
  const setNames = new Set(sets.map((s) => s.name));
  const destinations = g.of("event-destination").filter((d) => setNames.has(d.name.split("/")[0] ?? ""));
  const ctx: EventContext = {
    region: input.region,
    account: input.account,
    topics: new Map(g.of("sns-topic").map((t) => [t.name, t])),
  };
  const topicNames = ownTopics(destinations, ctx, input.settings.project);
  const out: Obj = {};
  for (const set of sets) {
    const events: Obj[] = [];
    for (const d of destinations.filter((x) => x.name.startsWith(`${set.name}/`))) {
      const topic = topicNames.get(d.name);
      const doc = g.take(eventDestinationDoc(d, topic), `event-destination/${d.name}`);
      if (doc) events.push(doc);
      if (doc && topic && !g.settingsResources.includes(`sns-topic/${topic}`))
        g.settingsResources.push(`sns-topic/${topic}`);
    }
    out[set.name] = g.take(configurationSetDoc(set, events), `configuration-set/${set.name}`);
  }
  return out;
}

/** Destination → the name of its topic, for those whose topic mailops would make as it is. */
function ownTopics(destinations: LiveResource[], ctx: EventContext, project: string): Map<string, string> {
  const byArn = new Map<string, LiveResource[]>();
  for (const d of destinations) {
    const arn = (d.spec.sns as { topicArn?: unknown } | null)?.topicArn;
    if (typeof arn === "string") byArn.set(arn, [...(byArn.get(arn) ?? []), d]);
  }
  const out = new Map<string, string>();
  for (const [arn, ds] of byArn) {
    const sets = [...new Set(ds.map((d) => d.name.split("/")[0] ?? ""))];
    const topic = ownTopic(arn, sets, ctx);
    if (!topic || ownedElsewhere(topic, project)) continue;
    for (const d of ds) out.set(d.name, topic.name);
  }
  return out;
}

function identities(g: Gathered): Obj {
  const out: Obj = {};
  for (const r of g.mine("identity")) {
    const doc = g.take(identityDoc(r), `identity/${r.name}`);
    if (doc) out[r.name] = doc;
  }
  return out;
}

function alarms(g: Gathered, project: string): Obj {
  const out: Obj = {};
  for (const r of g.mine("alarm")) {
    const piece = g.take(alarmDoc(r, project), `alarm/${r.name}`);
    if (piece) out[piece.key] = piece.doc;
  }
  return out;
}

/** mailops draws one dashboard per project: the first that shows SES metrics. */
function dashboardOf(g: Gathered): Obj | undefined {
  const all = g.mine("dashboard");
  const ses = all.filter(isSesDashboard);
  for (const r of all.filter((d) => !isSesDashboard(d)))
    g.notImported.push({ kind: r.kind, name: r.name, reason: "it shows no SES metric" });
  const [first, ...rest] = ses;
  for (const r of rest)
    g.notImported.push({
      kind: r.kind,
      name: r.name,
      reason: `mailops manages one dashboard (${first?.name})`,
    });
  if (!first) return undefined;
  const piece = g.take(dashboardDoc(first), `dashboard/${first.name}`);
  if (!piece) return undefined;
  g.files.push(piece.file);
  g.notes.push(
    `dashboard ${first.name}: its body is kept as found, in ${piece.file.path}; remove \`body:\` to let mailops draw one line per campaign`,
  );
  return piece.doc;
}
