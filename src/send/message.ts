/**
 * From a recipient to the complete data SES gets for them, or the reason they are skipped.
 * Policy on markup: SES substitutes values without escaping and uses one data object for the
 * subject, HTML and text, so escaping for HTML would garble the text part. A subscriber value
 * containing `<` or `>` in a field the template uses is therefore refused (the recipient is
 * skipped with reason `markup`). Campaign `data` is reviewed in the pull request and trusted.
 */
import type { Campaign, Project, Template } from "../config/model.js";
import { UNSUBSCRIBE_VARIABLE } from "../config/model.js";
import { MailopsError } from "../errors.js";
import { firstMissing, requiredPaths } from "../render/ses-render.js";
import { unsubscribeUrl } from "./unsubscribe.js";

export interface MessageRecipient {
  address: string;
  key: string;
  fields: Record<string, unknown>;
}

export type Prepared =
  | { ok: true; data: Record<string, unknown>; headers: { name: string; value: string }[] }
  | { ok: false; reason: string };

export interface MessagePlan {
  prepare(r: MessageRecipient): Prepared;
}

const MARKUP = /[<>]/;

export function messagePlan(
  project: Project,
  campaign: Campaign,
  template: Template,
  secret: string | undefined,
): MessagePlan {
  const { settings } = project;
  const analyses = Object.values(template.parts).map((p) => p.analysis);
  const mode = settings.unsubscribe.mode;
  // SES fills {{amazonSESUnsubscribeUrl}} itself in ses-list mode: not ours to provide.
  const required = requiredPaths(analyses).filter(
    (p) => !(mode === "ses-list" && p[0] === UNSUBSCRIBE_VARIABLE["ses-list"]),
  );
  const usedRoots = new Set(analyses.flatMap((a) => a.variables.map((v) => v.name)));
  // prepare() copies with Object.assign, which would run the __proto__ setter for such a key
  // (subscriber fields cannot have one: audience/fields.ts refuses the name).
  if (Object.hasOwn(campaign.data, "__proto__")) {
    throw new MailopsError(
      `campaign ${campaign.name}: data has a key named __proto__`,
      "rename the key in the campaign's data",
    );
  }
  const base: Record<string, unknown> = { ...campaign.data };
  if (settings.sender.postalAddress !== undefined) base.postal_address = settings.sender.postalAddress;
  const linkMode = mode === "link";
  if (linkMode && (!secret || !settings.unsubscribe.url)) {
    throw new Error(
      !secret
        ? "link unsubscribe mode needs a signing secret in MAILOPS_UNSUBSCRIBE_SECRET"
        : "link unsubscribe mode needs `unsubscribe.url`",
    );
  }
  const checkedFields = [...usedRoots].filter((name) => !(name in campaign.data));
  return {
    prepare(r) {
      for (const name of checkedFields) {
        const v = r.fields[name];
        if (typeof v === "string" && MARKUP.test(v)) return { ok: false, reason: `markup in field ${name}` };
        if (Array.isArray(v) && v.some((x) => typeof x === "string" && MARKUP.test(x)))
          return { ok: false, reason: `markup in field ${name}` };
      }
      // Object.assign, not spread: V8 spreads parsed rows about twenty times slower (measured).
      const data: Record<string, unknown> = Object.assign({}, base, r.fields);
      const headers: { name: string; value: string }[] = [];
      if (linkMode) {
        const url = unsubscribeUrl(settings.unsubscribe.url as string, secret as string, {
          email: r.key,
          campaign: campaign.name,
          ...(campaign.topic ? { topic: campaign.topic } : {}),
        });
        data[UNSUBSCRIBE_VARIABLE.link] = url;
        headers.push(
          { name: "List-Unsubscribe", value: `<${url}>` },
          { name: "List-Unsubscribe-Post", value: "List-Unsubscribe=One-Click" },
        );
      }
      const missing = firstMissing(required, data);
      if (missing) return { ok: false, reason: `missing variable ${missing}` };
      return { ok: true, data, headers };
    },
  };
}
