/** `mailops preview`: a template or campaign rendered to .html, .txt and .eml, as a recipient would get it. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import type { Campaign, Project, Template } from "../config/model.js";
import { UsageError } from "../errors.js";
import { previewBuiltins, previewData } from "../render/preview-data.js";
import { compileTemplate, firstMissing, requiredPaths } from "../render/ses-render.js";
import { messagePlan } from "../send/message.js";
import { SECRET_ENV } from "../send/unsubscribe.js";
import { normalizeAddress } from "../util/email.js";
import { openAudience } from "./audience.js";
import { type Io, loadValid, openTarget, type TargetFactory, targetName } from "./context.js";

export interface PreviewOptions {
  dir: string;
  name: string;
  subscriber?: string;
  out?: string;
  target?: string;
}

export async function runPreview(
  options: PreviewOptions,
  io: Io,
  factory: TargetFactory = openTarget,
): Promise<number> {
  const project = loadValid(options.dir, io);
  const campaign = project.campaigns.get(options.name);
  const template = campaign
    ? project.templates.get(campaign.template ?? "")
    : project.templates.get(options.name);
  if (!template) {
    throw new UsageError(
      `\`${options.name}\` is neither a campaign nor a template`,
      `campaigns: ${[...project.campaigns.keys()].join(", ") || "none"}; templates: ${[...project.templates.keys()].join(", ") || "none"}`,
    );
  }
  const data = campaign
    ? await campaignData(project, campaign, template, options, factory)
    : previewData(project, template.name, template.sample);
  const content = {
    subject: template.parts.subject?.source ?? "",
    html: template.parts.html?.source ?? "",
    text: template.parts.text?.source ?? "",
  };
  const missing = firstMissing(requiredPaths(Object.values(template.parts).map((p) => p.analysis)), data);
  if (missing) {
    throw new UsageError(
      `cannot preview ${options.name}: no value for \`${missing}\` (SES would drop this mail)`,
      campaign ? "add it to the campaign's data or the subscriber" : "add it to the template's `sample`",
    );
  }
  const rendered = compileTemplate(content)(data);
  const out = path.resolve(options.out ?? path.join(project.root, ".mailops", "preview", options.name));
  mkdirSync(out, { recursive: true });
  const from = campaign?.from ?? project.settings.sender.from ?? "preview@example.com";
  const to = options.subscriber ? "the subscriber" : "preview@example.com";
  const files = {
    html: path.join(out, `${options.name}.html`),
    text: path.join(out, `${options.name}.txt`),
    eml: path.join(out, `${options.name}.eml`),
  };
  writeFileSync(files.html, rendered.html);
  writeFileSync(files.text, rendered.text);
  const eml = await new Promise<Buffer>((resolve, reject) =>
    new MailComposer({
      from,
      to: options.subscriber ?? "preview@example.com",
      subject: rendered.subject,
      html: rendered.html || undefined,
      text: rendered.text || undefined,
    })
      .compile()
      .build((e, m) => (e ? reject(e) : resolve(m))),
  );
  writeFileSync(files.eml, eml);
  io.out(`Subject: ${rendered.subject}\n${files.html}\n${files.text}\n${files.eml}\n`);
  io.err(`preview of ${campaign ? `campaign ${campaign.name}` : `template ${template.name}`} for ${to}\n`);
  return 0;
}

async function campaignData(
  project: Project,
  campaign: Campaign,
  template: Template,
  options: PreviewOptions,
  factory: TargetFactory,
): Promise<Record<string, unknown>> {
  const base = { ...previewBuiltins(project, campaign.name), ...(template.sample ?? {}), ...campaign.data };
  if (!options.subscriber) return base;
  const key = normalizeAddress(options.subscriber);
  const target = await factory(targetName(project, options.target), project);
  const audience = await openAudience(project, campaign, target);
  // The real per-recipient path: the same data mailops would send, link-mode URL included.
  const secret =
    process.env[SECRET_ENV] ??
    (project.settings.unsubscribe.mode === "link" ? "preview-only-secret" : undefined);
  const plan = messagePlan(project, campaign, template, secret);
  for await (const r of audience.recipients()) {
    if (r.key !== key) continue;
    const prepared = plan.prepare(r);
    if (!prepared.ok) throw new UsageError(`this subscriber would be skipped: ${prepared.reason}`);
    return { ...previewBuiltins(project, campaign.name), ...prepared.data };
  }
  throw new UsageError(
    "that subscriber is not in the campaign's audience (or is excluded, suppressed or invalid)",
    "check the address, and the campaign's `to` and `exclude`",
  );
}
