/**
 * A lost state store, noticed before anything is applied or sent.
 *
 * The ledger is what keeps a campaign from reaching anyone twice. When the store is lost (its S3
 * bucket deleted and created again, `.mailops/state` deleted, `state:` pointed at a new place)
 * while the target still holds what mailops made, the next send would mail everyone again.
 *
 * Empty: the store holds no inventory (`inventory.json`) and no key under the ledger's roots
 * (`ledger/`, `runs/`). The lock (`lock.json`) does not count: it outlives every send and says
 * nothing of who was sent to. A store holding any of those is not judged here (a partly deleted
 * ledger is the ledger's concern: send/ledger.ts).
 *
 * Evidence that the project was here before, looked for only when the store is empty:
 * - a resource on the target tagged `mailops:project=<project>`, among those the repository
 *   declares and that take tags (templates, configuration sets, the contact list, identities, SNS
 *   topics, alarms). The
 *   plan has read them all already, so plan, apply and deploy count them for free; send reads
 *   them one at a time, the due campaigns' templates first, and stops at the first tagged one.
 * - failing that, sends of a campaign due now in the target's metrics (CloudWatch, through the
 *   configuration set's `campaign` dimension; the local simulator's events): since its send_at,
 *   or within guardrails.max_lateness for an on-merge one. CloudWatch sums by day, so its window
 *   starts at the beginning of that day. Metrics that cannot be read are no evidence: they are
 *   the second witness, and a new project without CloudWatch access must still deploy.
 * An empty store and an empty target is a new project: it goes on.
 *
 * Where: makePlan (plan.ts) gathers the evidence, so every plan shows it as a warning (the pull
 * request's plan comment, drift) and refuses nothing. apply and deploy refuse before applying
 * anything: apply writes the inventory, after which the store is no longer empty and the evidence
 * is gone. send refuses before it takes the lock and before any run starts. `--state-lost-ok`
 * (the Action's `state-lost-ok`) goes on with a warning: every recipient not in the new ledger
 * is sent again. Its plan adopts the declared resources that take no tag (event destinations,
 * dashboards): only the lost inventory said they were ours, and the plan shows each adoption.
 *
 * Known windows: resources all renamed or removed from the repository since (only declared ones
 * are read), or untagged (adopted) with no sends of a due campaign in the metrics window. After
 * one run with --state-lost-ok the store is no longer empty, so later runs do not ask again.
 */
import type { Campaign, Project } from "../config/model.js";
import { MailopsError } from "../errors.js";
import { campaignDimension, desiredResources } from "../plan/desired.js";
import { INVENTORY_KEY } from "../plan/inventory.js";
import { KIND_INFO } from "../plan/kinds.js";
import { type KindName, type LiveResource, OWNER_TAG, resourceKey } from "../plan/resource.js";
import { dueState } from "../send/due.js";
import { LEDGER_ROOTS } from "../send/ledger.js";
import { occurrenceState } from "../send/schedule.js";
import type { Store } from "../store/index.js";
import type { Capabilities, Target } from "../targets/port.js";
import type { Refusal } from "./apply.js";

/** Kinds that carry the owner tag (SES and CloudWatch tag neither event destinations nor dashboards). */
export const TAGGED_KINDS: ReadonlySet<KindName> = new Set([
  "template",
  "configuration-set",
  "contact-list",
  "identity",
  "sns-topic",
  "alarm",
]);

export interface LostState {
  /** The empty store, as the user names it (s3://bucket/prefix or a directory). */
  location: string;
  target: Target["name"];
  /** Where the target's metrics come from (its capabilities), for the evidence of sends. */
  metrics: Capabilities["metrics"];
  project: string;
  /** Tagged resources found: every one the plan read, or the first one send found. */
  tagged: { kind: KindName; name: string }[];
  /** Sends of due campaigns in the target's metrics; looked at only when nothing tagged was found. */
  sends: { campaign: string; count: number; since: string }[];
}

/** Read-only: no inventory and nothing under the ledger's roots (see the header). */
export async function storeIsEmpty(store: Store, inventoryAbsent = false): Promise<boolean> {
  if (!inventoryAbsent && (await store.get(INVENTORY_KEY))) return false;
  for (const root of LEDGER_ROOTS) if ((await store.list(root)).length > 0) return false;
  return true;
}

const taggedFor = (project: string, live: LiveResource[]) =>
  live
    .filter((r) => TAGGED_KINDS.has(r.kind) && r.tags[OWNER_TAG] === project)
    .map((r) => ({ kind: r.kind, name: r.name }));

/**
 * From a plan's reads: `live` is what the plan read (every declared resource). Call only when the
 * store is empty. Undefined when the target shows nothing of this project: a new project.
 */
export async function lostStateOfPlan(
  project: Project,
  target: Target,
  store: Store,
  live: LiveResource[],
  now: Date,
): Promise<LostState | undefined> {
  const { settings } = project;
  const tagged = taggedFor(settings.project, live);
  const lateness = settings.guardrails.maxLatenessSeconds;
  const due = [...project.campaigns.values()].filter(
    // An empty store has started nothing: due is what would be sent now.
    (c) =>
      (c.schedule
        ? occurrenceState(c.schedule, undefined, now, lateness)
        : dueState(c, { started: false, complete: false }, now, lateness)
      ).state === "due",
  );
  const sends = tagged.length ? [] : await campaignSends(project, target, due, now);
  return found({
    location: store.location,
    target: target.name,
    metrics: target.capabilities.metrics,
    project: settings.project,
    tagged,
    sends,
  });
}

/**
 * Before a send of `campaigns`: the store is read, then the declared resources one at a time
 * (these campaigns' templates first) until one is tagged, then the metrics.
 */
export async function lostStateBeforeSend(
  project: Project,
  target: Target,
  store: Store,
  campaigns: Campaign[],
  now: Date,
): Promise<LostState | undefined> {
  if (!(await storeIsEmpty(store))) return undefined;
  const { settings } = project;
  const order = new Map<string, { kind: KindName; name: string }>();
  for (const c of campaigns) {
    if (c.template)
      order.set(resourceKey({ kind: "template", name: c.template }), { kind: "template", name: c.template });
  }
  for (const r of desiredResources(project)) {
    if (TAGGED_KINDS.has(r.kind)) order.set(resourceKey(r), { kind: r.kind, name: r.name });
  }
  let tagged: LostState["tagged"] = [];
  for (const wanted of order.values()) {
    tagged = taggedFor(settings.project, await target.read([wanted]));
    if (tagged.length) break;
  }
  const sends = tagged.length ? [] : await campaignSends(project, target, campaigns, now);
  return found({
    location: store.location,
    target: target.name,
    metrics: target.capabilities.metrics,
    project: settings.project,
    tagged,
    sends,
  });
}

const found = (s: LostState): LostState | undefined => (s.tagged.length || s.sends.length ? s : undefined);

/** Deliveries and bounces per campaign in the target's metrics, since its send_at (on-merge: max_lateness). */
async function campaignSends(
  project: Project,
  target: Target,
  campaigns: Campaign[],
  now: Date,
): Promise<LostState["sends"]> {
  if (!campaigns.length) return [];
  const sender = target.sender();
  if (!sender.campaignMetrics) return [];
  const dimension = campaignDimension(project.settings);
  const lateness = project.settings.guardrails.maxLatenessSeconds * 1000;
  const out: LostState["sends"] = [];
  for (const c of campaigns) {
    const since = c.sendAt?.kind === "at" ? new Date(c.sendAt.epochMs) : new Date(now.getTime() - lateness);
    // The dimension's value is the message's `campaign` tag (commands/campaigns.ts campaignEnvelope).
    const value = c.tags.campaign ?? c.name;
    try {
      const m = await sender.campaignMetrics({ dimension, value, name: c.name }, since);
      const count = m ? m.delivered + m.bounced : 0;
      if (count > 0) out.push({ campaign: c.name, count, since: since.toISOString() });
    } catch (e) {
      if (!(e instanceof MailopsError)) throw e;
    }
  }
  return out;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const label = (r: { kind: KindName; name: string }) => `${KIND_INFO[r.kind].label} ${r.name}`;

const SEEN_BY: Record<Capabilities["metrics"], string> = {
  cloudwatch: "CloudWatch shows",
  "local-events": "the local target's events show",
  none: "the target shows",
};

/** What was found, as one clause. */
function evidence(s: LostState): string {
  const tag = `${OWNER_TAG}=${s.project}`;
  if (s.tagged.length === 1) {
    return `${label(s.tagged[0] as LostState["tagged"][number])} on the ${s.target} target is tagged ${tag}`;
  }
  if (s.tagged.length > 1) {
    return `${plural(s.tagged.length, "resource")} on the ${s.target} target are tagged ${tag}`;
  }
  return `${SEEN_BY[s.metrics]} ${s.sends
    .map((x) => `${plural(x.count, "send")} for campaign ${x.campaign} since ${x.since}`)
    .join(", ")}`;
}

/** One line per thing found, for a refusal's details. */
function details(s: LostState): string[] {
  return s.tagged.length > 1 ? s.tagged.map((r) => `tagged: ${label(r)}`) : [];
}

const lost = (s: LostState) =>
  `the state store appears to have been lost: ${evidence(s)}, but the state store at ${s.location} holds no inventory or ledger`;

const CONSEQUENCE = "every recipient not in the new ledger is sent again";

/** Why apply, deploy and send refuse. */
export function lostStateRefusal(s: LostState): Refusal {
  return {
    message: lost(s),
    hint:
      "restore the state store (an S3 bucket: from its object versions or a backup; a directory: from a backup; " +
      "if `state:` was moved, copy the old store there), then run again. " +
      `If the state is truly new, run again with --state-lost-ok (Action input state-lost-ok: true): ${CONSEQUENCE}`,
    details: details(s),
  };
}

/** A refused send's detail: the message and what to do, on one line. */
export const lostStateDetail = (s: LostState): string => {
  const r = lostStateRefusal(s);
  return `${r.message}; ${r.hint}`;
};

/** A plan's warning: plans refuse nothing, a pull request shows it. */
export const lostStateWarning = (s: LostState): string =>
  `${lost(s)}. apply, deploy and send refuse until it is restored (or run with --state-lost-ok: ${CONSEQUENCE})`;

/** What --state-lost-ok is about to do. */
export const stateLostOkWarning = (s: LostState): string =>
  `${lost(s)}. Going on because state-lost-ok is set: the new ledger is empty, so ${CONSEQUENCE}`;
