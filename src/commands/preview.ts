/**
 * `mailops preview`: a template or campaign rendered to .html, .txt and .eml, as a recipient would
 * get it; the .html is the message as a page a browser shows (render/message-page.ts: its headers,
 * its HTML part as the recipient sees it, its text part), as the local outbox writes it too. The .eml is built by the builder the local target delivers with (render/eml.ts), from the
 * campaign's envelope and the data and headers sending prepares (send/message.ts): for a
 * subscriber it equals the message `mailops send` writes to the outbox for them, but for its Date
 * and Message-ID. Without a signing secret, link mode signs with a stand-in (STAND_IN_SECRET).
 * It writes the files and returns a PreviewReport; `cli/preview.ts` presents it.
 *
 * `previewTemplateChanges` renders the templates a plan creates or updates the same way (sample
 * data), before and after, for the pull request's comment and artifact.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { maskAddress } from "../audience/address.js";
import { type Campaign, type Project, type Template, UNSUBSCRIBE_VARIABLE } from "../config/model.js";
import { variantCampaign, variantTemplate, variantTemplates } from "../config/variants.js";
import { UsageError } from "../errors.js";
import type { Plan } from "../plan/plan.js";
import type { Spec } from "../plan/resource.js";
import {
  type BuiltMessage,
  buildMessage,
  type Envelope,
  oneClickHeaders,
  type Recipient,
  sesData,
  sesHeaders,
} from "../render/eml.js";
import { messagePage } from "../render/message-page.js";
import { sampleData } from "../render/sample-data.js";
import {
  compileTemplate,
  firstMissing,
  type Rendered,
  type RenderFn,
  requiredPaths,
} from "../render/ses-render.js";
import { ADDRESS_KEY_VERSION, ledgerId } from "../send/ledger.js";
import { type MessageRecipient, messageBuilder } from "../send/message.js";
import { SECRET_ENV, STAND_IN_SECRET } from "../send/unsubscribe.js";
import { normalizeAddress } from "../util/email.js";
import { openAudience } from "./audience.js";
import { campaignEnvelope } from "./campaigns.js";
import type { Session } from "./session.js";

export interface PreviewOptions {
  name: string;
  subscriber?: string;
  out?: string;
  /** Only this variant of an A/B campaign (without it, each variant). */
  variant?: string;
}

export interface PreviewReport {
  /** The campaign's or template's name, and which it is. */
  name: string;
  of: "campaign" | "template";
  /** The variant of an A/B campaign this message is. */
  variant?: string;
  /** The files written, absolute paths. */
  files: { html: string; text: string; eml: string };
  subject: string;
  from: string;
  /** Whom the message is addressed to: a subscriber's address masked, or the stand-in. */
  to: string;
  /** Rendered for a subscriber of the audience (`to` is theirs), not the sample. */
  subscriber: boolean;
  /**
   * The message's headers beyond From, To and Subject (unsubscribe, configuration set, tags), as
   * in the .eml; a signed unsubscribe token is left out: it carries the recipient's address.
   */
  headers: Record<string, string>;
}

/** Who a preview without --subscriber is addressed to. */
const PREVIEW_ADDRESS = "preview@example.com";

/**
 * Render `options.name` (a campaign or a template) and write its .html, .txt and .eml: one message,
 * or for an A/B campaign one per variant (`<name>--<variant>.*`), as each variant's recipients get it.
 */
export async function previewMessages(session: Session, options: PreviewOptions): Promise<PreviewReport[]> {
  const { project } = session;
  const campaign = project.campaigns.get(options.name);
  const out = path.resolve(options.out ?? path.join(project.root, ".mailops", "preview", options.name));
  const date = new Date(session.clock.now());
  const write = async (m: Omit<CampaignRendering, "rendered">, render: RenderFn): Promise<PreviewReport> => {
    const { envelope, recipient } = m;
    const built = await buildMessage(envelope, recipient, render, {
      messageId: `preview-${recipient.id}@mailops.local`,
      date,
    });
    const name = m.variant === undefined ? options.name : `${options.name}--${m.variant}`;
    const files = writeFiles(out, name, built, { from: envelope.from, to: recipient.to });
    const headers = sesHeaders(envelope, recipient, sesData(envelope, recipient));
    for (const [k, v] of Object.entries(headers)) headers[k] = withoutToken(v);
    return {
      name: options.name,
      of: campaign ? "campaign" : "template",
      ...(m.variant !== undefined ? { variant: m.variant } : {}),
      files,
      subject: built.subject,
      from: envelope.from,
      to: options.subscriber ? maskAddress(recipient.to) : recipient.to,
      subscriber: options.subscriber !== undefined,
      headers,
    };
  };
  if (campaign) {
    const renderings = await renderCampaignMessages(session, campaign, options.subscriber, options.variant);
    const reports: PreviewReport[] = [];
    for (const m of renderings) reports.push(await write(m, () => m.rendered));
    return reports;
  }
  if (options.variant !== undefined)
    throw new UsageError(`--variant names a variant of a campaign: \`${options.name}\` is not a campaign`);
  const template = templateOf(project, undefined, options.name);
  const message = templateMessage(project, template);
  assertComplete(template, message.envelope, message.recipient, options.name, false);
  return [await write(message, compileParts(template))];
}

/** One message of a campaign as it renders: for an A/B campaign, one per variant. */
export interface CampaignRendering {
  /** The variant it is, for a campaign with `variants:`. */
  variant?: string;
  envelope: Envelope;
  recipient: Recipient;
  rendered: Rendered;
}

/**
 * A campaign's message as `previewMessages` renders it (the template's sample under the campaign's
 * data, or `subscriber` from the audience), with the repository's template: what a proof sends.
 * An A/B campaign's recipients each get one variant (its subject, data, template) and none gets
 * the campaign's own: so it is one message per variant, in the order written, as each is sent
 * (commands/send-variants.ts). The subscriber is looked up once for all of them.
 */
export async function renderCampaignMessages(
  session: Session,
  campaign: Campaign,
  subscriber?: string,
  /** Only this variant. */
  only?: string,
): Promise<CampaignRendering[]> {
  const { project } = session;
  const base = templateOf(project, campaign, campaign.name);
  const variants = (campaign.variants?.list ?? []).filter((v) => only === undefined || v.name === only);
  if (only !== undefined && variants.length === 0)
    throw new UsageError(
      `campaign ${campaign.name} has no variant \`${only}\``,
      campaign.variants?.list.length
        ? `its variants: ${campaign.variants.list.map((v) => v.name).join(", ")}`
        : "it has no `variants:`; leave out --variant",
    );
  const versions = variants.length
    ? variants.map((v) => ({
        variant: v.name,
        campaign: variantCampaign(campaign, v),
        template: variantTemplate(campaign, v, project.templates) ?? missingVariantTemplate(campaign, v.name),
      }))
    : [{ campaign, template: base }];
  const found = subscriber === undefined ? undefined : await findSubscriber(session, campaign, subscriber);
  return versions.map((x) => {
    const { envelope, recipient } = messageFor(project, x.campaign, x.template, found);
    const name = "variant" in x ? `${campaign.name} (variant ${x.variant})` : campaign.name;
    assertComplete(x.template, envelope, recipient, name, true);
    const rendered = compileParts(x.template)(sesData(envelope, recipient));
    return { ...("variant" in x ? { variant: x.variant } : {}), envelope, recipient, rendered };
  });
}

/** The template's parts as the repository has them, as one render function. */
function compileParts(t: Template): RenderFn {
  return compileTemplate({
    subject: t.parts.subject?.source ?? "",
    html: t.parts.html?.source ?? "",
    text: t.parts.text?.source ?? "",
  });
}

function missingVariantTemplate(campaign: Campaign, variant: string): never {
  throw new UsageError(
    `campaign ${campaign.name}: variant ${variant}'s template does not exist`,
    "run `mailops validate` for where it is named",
  );
}

/** The campaign's template, or the template of that name. */
function templateOf(project: Project, campaign: Campaign | undefined, name: string): Template {
  const template = campaign ? project.templates.get(campaign.template ?? "") : project.templates.get(name);
  if (template) return template;
  throw new UsageError(
    `\`${name}\` is neither a campaign nor a template`,
    `campaigns: ${[...project.campaigns.keys()].join(", ") || "none"}; templates: ${[...project.templates.keys()].join(", ") || "none"}`,
  );
}

/** Every variable the template needs has a value: SES drops a message that lacks one. */
function assertComplete(
  template: Template,
  envelope: Envelope,
  recipient: Recipient,
  name: string,
  isCampaign: boolean,
): void {
  const missing = firstMissing(
    requiredPaths(Object.values(template.parts).map((p) => p.analysis)),
    sesData(envelope, recipient),
  );
  if (!missing) return;
  throw new UsageError(
    `cannot preview ${name}: no value for \`${missing}\` (SES would drop this mail)`,
    isCampaign ? "add it to the campaign's data or the subscriber" : "add it to the template's `sample`",
  );
}

function writeFiles(
  out: string,
  name: string,
  built: BuiltMessage,
  envelope: { from: string; to: string },
): PreviewReport["files"] {
  mkdirSync(out, { recursive: true });
  const files = {
    html: path.join(out, `${name}.html`),
    text: path.join(out, `${name}.txt`),
    eml: path.join(out, `${name}.eml`),
  };
  const { subject, html, text } = built;
  const page = messagePage(
    { subject, html, text, ...envelope },
    { eml: `./${encodeURIComponent(`${name}.eml`)}` },
  );
  writeFileSync(files.html, page);
  writeFileSync(files.text, built.text);
  writeFileSync(files.eml, built.eml);
  return files;
}

/** A link's signed token (`t=payload.signature`) holds the recipient's address in its payload. */
const withoutToken = (value: string): string => value.replace(/([?&]t=)[^&>\s]+/g, "$1…");

/** A subscriber (their address in any spelling) as the campaign's audience has them. */
async function findSubscriber(
  session: Session,
  campaign: Campaign,
  subscriber: string,
): Promise<MessageRecipient> {
  const key = normalizeAddress(subscriber);
  const audience = await openAudience(session.project, campaign, await session.target());
  for await (const r of audience.recipients()) if (r.key === key) return r;
  throw new UsageError(
    "that subscriber is not in the campaign's audience (or is excluded, suppressed or invalid)",
    "check the address, and the campaign's `to` and `exclude`",
  );
}

/**
 * A campaign's message through the send path: the subscriber's row (or, without one, the
 * template's sample) prepared by messageBuilder, the campaign's envelope, the recipient's ledger id.
 */
function messageFor(
  project: Project,
  campaign: Campaign,
  template: Template,
  found: MessageRecipient | undefined,
): { envelope: Envelope; recipient: Recipient } {
  const secret =
    process.env[SECRET_ENV] ?? (project.settings.unsubscribe.mode === "link" ? STAND_IN_SECRET : undefined);
  const messages = messageBuilder(project, campaign, template, secret);
  const envelope = campaignEnvelope(project, campaign);
  // The campaign's data over the sample, as before data met a subscriber's fields.
  const r = found ?? {
    address: PREVIEW_ADDRESS,
    key: PREVIEW_ADDRESS,
    fields: { ...(template.sample ?? {}), ...campaign.data },
  };
  const prepared = messages.prepare(r);
  if (!prepared.ok) {
    throw found
      ? new UsageError(`this subscriber would be skipped: ${prepared.reason}`)
      : new UsageError(
          `cannot preview ${campaign.name}: ${prepared.reason}`,
          "the preview uses the template's `sample` under the campaign's `data`: fix the value there, or pass --subscriber",
        );
  }
  const id = ledgerId(project.settings.project, ADDRESS_KEY_VERSION, r);
  return { envelope, recipient: { id, to: r.address, data: prepared.data, headers: prepared.headers } };
}

/** A template on its own: its sample over stand-ins for what sending fills in, the project's sender. */
function templateMessage(project: Project, template: Template): { envelope: Envelope; recipient: Recipient } {
  const { settings } = project;
  const data = sampleData(project, template.name, template.sample);
  const link = settings.unsubscribe.mode === "link";
  const envelope: Envelope = {
    from: settings.sender.from ?? PREVIEW_ADDRESS,
    replyTo: settings.sender.replyTo,
    tags: {},
    ...(!link && settings.unsubscribe.contactList
      ? { listManagement: { contactList: settings.unsubscribe.contactList } }
      : {}),
  };
  const headers = link ? oneClickHeaders(String(data[UNSUBSCRIBE_VARIABLE.link])) : [];
  return { envelope, recipient: { id: "preview", to: PREVIEW_ADDRESS, data, headers } };
}

/**
 * A template a plan creates or updates, rendered with its sample data before (the target's copy;
 * none for a new template) and after (the repository's). A side not rendered is empty.
 */
export interface TemplateChangePreview {
  template: string;
  action: "create" | "update";
  before: Rendered;
  after: Rendered;
  /** Files written (each side's .html and .txt), relative to the root given. */
  files: string[];
  /** Set when a side could not be rendered (the message says why); the sides after it are empty. */
  error?: string;
}

const EMPTY: Rendered = { subject: "", html: "", text: "" };

/**
 * Each template `plan` creates or updates, rendered both ways and written under
 * `<root>/previews/<name>/` as `before`/`after` `.html` and `.txt`: the pull request's artifact.
 */
export function previewTemplateChanges(session: Session, plan: Plan, root: string): TemplateChangePreview[] {
  const { project } = session;
  // A variant with its own subject is a template of its own, with its base template's sample.
  const variants = new Map(variantTemplates(project).map((t) => [t.name, t]));
  const out: TemplateChangePreview[] = [];
  for (const change of plan.changes) {
    if (change.kind !== "template" || change.action === "delete") continue;
    const name = change.name;
    const sample = (project.templates.get(name) ?? variants.get(name))?.sample;
    const data = sampleData(project, name, sample);
    const preview: TemplateChangePreview = {
      template: name,
      action: change.action,
      before: EMPTY,
      after: EMPTY,
      files: [],
    };
    const dir = path.join(root, "previews", name);
    mkdirSync(dir, { recursive: true });
    const sides: ["before" | "after", Spec | undefined][] = [
      ["before", change.action === "update" ? change.before : undefined],
      ["after", change.after],
    ];
    try {
      for (const [side, spec] of sides) {
        if (!spec) continue;
        const r = renderSpec(spec, data);
        preview[side] = r;
        writeFileSync(path.join(dir, `${side}.html`), messagePage(r));
        writeFileSync(path.join(dir, `${side}.txt`), readable(r));
        preview.files.push(`previews/${name}/${side}.html`, `previews/${name}/${side}.txt`);
      }
    } catch (e) {
      preview.error = (e as Error).message;
    }
    out.push(preview);
  }
  return out;
}

function renderSpec(spec: Spec, data: Record<string, unknown>): Rendered {
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  return compileTemplate({ subject: text(spec.subject), html: text(spec.html), text: text(spec.text) })(data);
}

/** What a reader sees: the subject, then the text part (or the HTML's text when there is none). */
function readable(r: Rendered): string {
  const body = r.text || r.html.replace(/<[^>]*>/g, "").replace(/\n{3,}/g, "\n\n");
  return `Subject: ${r.subject}\n\n${body.trimEnd()}\n`;
}
