/** Campaign facts that sending, its forecast and the preview need: which campaign, its run, its template on the target, its envelope. */
import type { Campaign, Project, Template } from "../config/model.js";
import { UsageError } from "../errors.js";
import { templateSpec } from "../plan/desired.js";
import { specDigest } from "../plan/inventory.js";
import type { LiveResource } from "../plan/resource.js";
import type { Envelope } from "../render/eml.js";
import { type RunStatus, sendAtKey } from "../send/due.js";
import { Ledger } from "../send/ledger.js";
import type { Store } from "../store/types.js";
import type { Target } from "../targets/port.js";

/** The campaign `send --campaign NAME` sends: it must exist and have a send_at (or a schedule). */
export function namedCampaign(project: Project, name: string): Campaign {
  const c = project.campaigns.get(name);
  if (!c)
    throw new UsageError(
      `campaign \`${name}\` does not exist`,
      `campaigns: ${[...project.campaigns.keys()].join(", ")}`,
    );
  if (!c.sendAt && !c.schedule)
    throw new UsageError(
      `campaign \`${c.name}\` is a draft (no send_at)`,
      "give it `send_at: on-merge` or a date-time first",
    );
  return c;
}

/** Whether the campaign's current run (name + send_at) started and completed: the run record alone. */
export async function runState(store: Store, c: Campaign): Promise<RunStatus> {
  const run = await new Ledger(store, { campaign: c.name, sendAt: sendAtKey(c) }).readRun();
  return { started: run !== undefined, complete: run?.status === "complete" };
}

/** The target's copy of a template against the repository's; `live` when it exists. */
export async function templateOnTarget(
  template: Template,
  target: Target,
): Promise<{ state: "same" | "differs" | "absent"; live?: LiveResource }> {
  const [live] = await target.read([{ kind: "template", name: template.name }]);
  if (!live) return { state: "absent" };
  const same = specDigest("template", live.spec) === specDigest("template", templateSpec(template));
  return { state: same ? "same" : "differs", live };
}

/** A subscriber source's file as the user finds it: repository-relative, or its s3:// location. */
export function sourceFile(project: Project, name: string): string {
  const s = project.sources.get(name);
  // A database row has no line: its number is its place in the read, in key order.
  if (s?.postgres) return `postgres:${name}`;
  return s?.localPath ?? s?.location ?? name;
}

/**
 * What every recipient's message of a campaign shares: sender, reply-to, configuration set, tags,
 * and in ses-list mode the contact list and topic. Sending and `mailops preview` both build the
 * message from it (render/eml.ts).
 */
export function campaignEnvelope(project: Project, campaign: Campaign): Envelope {
  const { settings } = project;
  return {
    from: campaign.from ?? settings.sender.from ?? "",
    replyTo: campaign.replyTo.length ? campaign.replyTo : settings.sender.replyTo,
    ...(campaign.configurationSet !== undefined ? { configurationSet: campaign.configurationSet } : {}),
    tags: { campaign: campaign.name, ...campaign.tags },
    ...(settings.unsubscribe.mode === "ses-list" && settings.unsubscribe.contactList
      ? {
          listManagement: {
            contactList: settings.unsubscribe.contactList,
            ...(campaign.topic ? { topic: campaign.topic } : {}),
          },
        }
      : {}),
  };
}
