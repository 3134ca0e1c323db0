/**
 * The one message builder: a recipient's message as SES would deliver it, as RFC 5322 bytes.
 * `mailops preview` and the local target's outbox both call it, so what a reviewer opens is what
 * a recipient gets: the same data (SES's own additions included), the same headers, the same body.
 *
 * What SES adds on top of the request, and how the local target shows it:
 * - ses-list mode (ListManagementOptions): SES fills `{{amazonSESUnsubscribeUrl}}` and adds the
 *   one-click `List-Unsubscribe` / `List-Unsubscribe-Post` headers; locally the URL is a
 *   recognisable stand-in under unsubscribe.local.invalid.
 * - link mode: the request's own per-recipient headers (List-Unsubscribe from send/message.ts).
 * - the configuration set and message tags, as `X-SES-Configuration-Set` / `X-SES-Message-Tag-*`.
 *
 * Only the Date and Message-ID are per delivery. The MIME boundary is derived from the content, so
 * equal messages are equal bytes (a preview and the sent message compare with `diff`).
 */
import { createRequire } from "node:module";
import type MailComposer from "nodemailer/lib/mail-composer/index.js";
import { createHash } from "../util/crypto.js";
import { UNSUBSCRIBE_VARIABLE } from "./builtins.js";
import type { RenderFn } from "./ses-render.js";

/** The request-level part of a send: the same for every recipient of a campaign (targets/port.ts SendRequest). */
export interface Envelope {
  from: string;
  replyTo: string[];
  configurationSet?: string;
  tags: Record<string, string>;
  /** ses-list unsubscribe: SendEmail per recipient with ListManagementOptions; SES adds the URL and headers. */
  listManagement?: { contactList: string; topic?: string };
}

/** One recipient's part (targets/port.ts OutgoingMessage). */
export interface Recipient {
  /** Ledger id: names the local stand-in unsubscribe URL. */
  id: string;
  to: string;
  data: Record<string, unknown>;
  headers: { name: string; value: string }[];
}

/** The data SES renders with: the request's, plus the unsubscribe URL SES fills in ses-list mode. */
export function sesData(envelope: Envelope, r: Recipient): Record<string, unknown> {
  const variable = UNSUBSCRIBE_VARIABLE["ses-list"];
  if (!envelope.listManagement || r.data[variable] !== undefined) return r.data;
  const { contactList, topic } = envelope.listManagement;
  return {
    ...r.data,
    [variable]: `https://unsubscribe.local.invalid/${contactList}/${topic ?? "all"}/${r.id}`,
  };
}

/** Headers of the delivered message beyond From/To/Subject: the request's and SES's. */
export function sesHeaders(
  envelope: Envelope,
  r: Recipient,
  data: Record<string, unknown>,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of r.headers) headers[h.name] = h.value;
  if (envelope.listManagement)
    for (const h of oneClickHeaders(String(data[UNSUBSCRIBE_VARIABLE["ses-list"]])))
      headers[h.name] = h.value;
  for (const [k, v] of Object.entries(envelope.tags)) headers[`X-SES-Message-Tag-${k}`] = v;
  if (envelope.configurationSet) headers["X-SES-Configuration-Set"] = envelope.configurationSet;
  return headers;
}

/** RFC 8058 one-click unsubscribe headers for `url`. */
export function oneClickHeaders(url: string): { name: string; value: string }[] {
  return [
    { name: "List-Unsubscribe", value: `<${url}>` },
    { name: "List-Unsubscribe-Post", value: "List-Unsubscribe=One-Click" },
  ];
}

export interface BuiltMessage {
  subject: string;
  html: string;
  text: string;
  eml: Buffer;
}

/** Render and compose one recipient's message. `stamp` is what differs between deliveries. */
export async function buildMessage(
  envelope: Envelope,
  r: Recipient,
  render: RenderFn,
  stamp: { messageId: string; date: Date },
): Promise<BuiltMessage> {
  const data = sesData(envelope, r);
  const rendered = render(data);
  const eml = await compose({
    from: envelope.from,
    to: r.to,
    replyTo: envelope.replyTo.length ? envelope.replyTo.join(", ") : undefined,
    subject: rendered.subject,
    text: rendered.text || undefined,
    html: rendered.html || undefined,
    headers: sesHeaders(envelope, r, data),
    messageId: `<${stamp.messageId}>`,
    date: stamp.date,
    baseBoundary: createHash("sha256")
      .update(JSON.stringify([r.to, rendered.subject, rendered.html, rendered.text]))
      .digest("hex")
      .slice(0, 16),
  });
  return { ...rendered, eml };
}

let composer: typeof MailComposer | undefined;

/** nodemailer loads when a first message is built: a dry run, a plan or a validate builds none. */
function mailComposer(): typeof MailComposer {
  composer ??= createRequire(import.meta.url)("nodemailer/lib/mail-composer/index.js") as typeof MailComposer;
  return composer;
}

function compose(options: ConstructorParameters<typeof MailComposer>[0]): Promise<Buffer> {
  const Composer = mailComposer();
  return new Promise((resolve, reject) => {
    new Composer(options).compile().build((err, message) => (err ? reject(err) : resolve(message)));
  });
}
