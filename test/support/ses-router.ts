/**
 * One SES v2 endpoint for tests, in front of two emulators: each SES v2 REST path goes to the one
 * that serves it (aws-ses-v2-local: templates, sending, GetAccount; moto: configuration sets,
 * contact lists, tags, identities), so the aws adapter is configured exactly as against AWS,
 * with a single `AWS_ENDPOINT_URL_SESV2`.
 *
 * It also corrects the few emulator responses that the SDK cannot parse or that would differ
 * from SES forever (each one listed in docs/emulators.md and tested in test/support/). Operations
 * neither emulator serves are answered with 501 `NotEmulatedException` naming the operation, so a
 * test that reaches one fails loudly; those are tested with aws-sdk-client-mock instead.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type Forwarded, forward } from "./http-forward.js";

export type SesEmulator = "ses-local" | "moto";

export interface SesRoute {
  operation: string;
  target: SesEmulator | undefined;
}

export interface RoutedCall {
  method: string;
  path: string;
  operation: string;
  /** "injected": answered by a fault from `inject()`, never reaching an emulator. */
  target: SesEmulator | "none" | "injected";
  status: number;
  /**
   * The JSON request body as the SDK sent it. aws-ses-v2-local's /store drops what it does not
   * use (ConfigurationSetName, EmailTags, ListManagementOptions), so tests assert those here.
   */
  request: Record<string, unknown> | undefined;
}

/** An SES error answer, as SES sends it: status, `x-amzn-ErrorType`, JSON `message`. */
export interface InjectedFault {
  status: number;
  type: string;
  message: string;
}

export interface SesRouter {
  readonly endpoint: string;
  readonly port: number;
  /** Every request seen, in order, with where it went. */
  readonly calls: RoutedCall[];
  /**
   * Answer the next requests of `operation` (those `match` accepts) with these faults, one per
   * request, instead of forwarding them: throttling and limits no emulator produces on demand.
   */
  inject(
    operation: string,
    faults: InjectedFault[],
    match?: (call: { path: string; request: Record<string, unknown> | undefined }) => boolean,
  ): void;
  /** Drop faults not yet used. */
  clearFaults(): void;
  stop(): Promise<void>;
}

const NAME = "[^/]+";
const routes: Array<[method: string, pattern: RegExp, operation: string, target: SesEmulator | undefined]> = [
  // aws-ses-v2-local
  ["GET", /^\/v2\/email\/templates$/, "ListEmailTemplates", "ses-local"],
  ["POST", /^\/v2\/email\/templates$/, "CreateEmailTemplate", "ses-local"],
  ["GET", re(`/v2/email/templates/${NAME}`), "GetEmailTemplate", "ses-local"],
  ["PUT", re(`/v2/email/templates/${NAME}`), "UpdateEmailTemplate", "ses-local"],
  ["DELETE", re(`/v2/email/templates/${NAME}`), "DeleteEmailTemplate", "ses-local"],
  ["POST", re(`/v2/email/templates/${NAME}/render`), "TestRenderEmailTemplate", "ses-local"],
  ["POST", /^\/v2\/email\/outbound-emails$/, "SendEmail", "ses-local"],
  ["POST", /^\/v2\/email\/outbound-bulk-emails$/, "SendBulkEmail", "ses-local"],
  ["GET", /^\/v2\/email\/account$/, "GetAccount", "ses-local"],
  // moto
  ["POST", /^\/v2\/email\/configuration-sets$/, "CreateConfigurationSet", "moto"],
  ["POST", /^\/v2\/email\/list-configuration-sets$/, "ListConfigurationSets", "moto"],
  ["GET", re(`/v2/email/configuration-sets/${NAME}`), "GetConfigurationSet", "moto"],
  ["DELETE", re(`/v2/email/configuration-sets/${NAME}`), "DeleteConfigurationSet", "moto"],
  ["POST", /^\/v2\/email\/contact-lists$/, "CreateContactList", "moto"],
  ["GET", /^\/v2\/email\/contact-lists$/, "ListContactLists", "moto"],
  ["GET", re(`/v2/email/contact-lists/${NAME}`), "GetContactList", "moto"],
  ["DELETE", re(`/v2/email/contact-lists/${NAME}`), "DeleteContactList", "moto"],
  ["POST", re(`/v2/email/contact-lists/${NAME}/contacts`), "CreateContact", "moto"],
  ["POST", re(`/v2/email/contact-lists/${NAME}/contacts/list`), "ListContacts", "moto"],
  ["GET", re(`/v2/email/contact-lists/${NAME}/contacts/${NAME}`), "GetContact", "moto"],
  ["DELETE", re(`/v2/email/contact-lists/${NAME}/contacts/${NAME}`), "DeleteContact", "moto"],
  ["POST", /^\/v2\/email\/tags$/, "TagResource", "moto"],
  ["GET", /^\/v2\/email\/tags$/, "ListTagsForResource", "moto"],
  ["DELETE", /^\/v2\/email\/tags$/, "UntagResource", "moto"],
  ["POST", /^\/v2\/email\/identities$/, "CreateEmailIdentity", "moto"],
  ["GET", /^\/v2\/email\/identities$/, "ListEmailIdentities", "moto"],
  ["GET", re(`/v2/email/identities/${NAME}`), "GetEmailIdentity", "moto"],
  ["DELETE", re(`/v2/email/identities/${NAME}`), "DeleteEmailIdentity", "moto"],
  // Served by neither (moto answers 404 or 500): named so the failure says which operation.
  [
    "PUT",
    re(`/v2/email/configuration-sets/${NAME}/delivery-options`),
    "PutConfigurationSetDeliveryOptions",
    undefined,
  ],
  [
    "PUT",
    re(`/v2/email/configuration-sets/${NAME}/reputation-options`),
    "PutConfigurationSetReputationOptions",
    undefined,
  ],
  ["PUT", re(`/v2/email/configuration-sets/${NAME}/sending`), "PutConfigurationSetSendingOptions", undefined],
  [
    "PUT",
    re(`/v2/email/configuration-sets/${NAME}/suppression-options`),
    "PutConfigurationSetSuppressionOptions",
    undefined,
  ],
  [
    "PUT",
    re(`/v2/email/configuration-sets/${NAME}/tracking-options`),
    "PutConfigurationSetTrackingOptions",
    undefined,
  ],
  [
    "POST",
    re(`/v2/email/configuration-sets/${NAME}/event-destinations`),
    "CreateConfigurationSetEventDestination",
    undefined,
  ],
  [
    "GET",
    re(`/v2/email/configuration-sets/${NAME}/event-destinations`),
    "GetConfigurationSetEventDestinations",
    undefined,
  ],
  [
    "PUT",
    re(`/v2/email/configuration-sets/${NAME}/event-destinations/${NAME}`),
    "UpdateConfigurationSetEventDestination",
    undefined,
  ],
  [
    "DELETE",
    re(`/v2/email/configuration-sets/${NAME}/event-destinations/${NAME}`),
    "DeleteConfigurationSetEventDestination",
    undefined,
  ],
  ["PUT", re(`/v2/email/identities/${NAME}/dkim`), "PutEmailIdentityDkimAttributes", undefined],
  [
    "PUT",
    re(`/v2/email/identities/${NAME}/dkim/signing`),
    "PutEmailIdentityDkimSigningAttributes",
    undefined,
  ],
  ["PUT", re(`/v2/email/identities/${NAME}/mail-from`), "PutEmailIdentityMailFromAttributes", undefined],
  [
    "PUT",
    re(`/v2/email/identities/${NAME}/configuration-set`),
    "PutEmailIdentityConfigurationSetAttributes",
    undefined,
  ],
  ["PUT", re(`/v2/email/contact-lists/${NAME}`), "UpdateContactList", undefined],
  ["PUT", re(`/v2/email/contact-lists/${NAME}/contacts/${NAME}`), "UpdateContact", undefined],
  ["GET", /^\/v2\/email\/suppression\/addresses$/, "ListSuppressedDestinations", undefined],
  ["PUT", /^\/v2\/email\/suppression\/addresses$/, "PutSuppressedDestination", undefined],
  ["GET", re(`/v2/email/suppression/addresses/${NAME}`), "GetSuppressedDestination", undefined],
  ["DELETE", re(`/v2/email/suppression/addresses/${NAME}`), "DeleteSuppressedDestination", undefined],
];

function re(path: string): RegExp {
  return new RegExp(`^${path}$`);
}

/** Which emulator serves a request; `target` undefined means neither does. */
export function routeSesRequest(method: string, pathname: string): SesRoute {
  for (const [m, pattern, operation, target] of routes) {
    if (m === method && pattern.test(pathname)) return { operation, target };
  }
  return { operation: `${method} ${pathname}`, target: undefined };
}

export async function startSesRouter(upstreams: { moto: string; sesLocal: string }): Promise<SesRouter> {
  const calls: RoutedCall[] = [];
  let faults: Array<{
    operation: string;
    queue: InjectedFault[];
    match: ((call: { path: string; request: Record<string, unknown> | undefined }) => boolean) | undefined;
  }> = [];
  const base: Record<SesEmulator, URL> = {
    moto: new URL(upstreams.moto),
    "ses-local": new URL(upstreams.sesLocal),
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ message: `SES router: ${error instanceof Error ? error.message : String(error)}` }),
      );
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://router");
    const method = req.method ?? "GET";
    const body = await readBody(req);
    const route = routeSesRequest(method, url.pathname);
    const request = json(body);
    const fault = faults.find(
      (f) =>
        f.operation === route.operation &&
        f.queue.length > 0 &&
        (f.match?.({ path: url.pathname, request }) ?? true),
    );
    const injected = fault?.queue.shift();
    if (injected) {
      calls.push({
        method,
        path: url.pathname,
        operation: route.operation,
        target: "injected",
        status: injected.status,
        request,
      });
      send(
        res,
        injected.status,
        { "content-type": "application/json", "x-amzn-errortype": injected.type },
        { message: injected.message },
      );
      return;
    }
    if (route.target === undefined) {
      calls.push({
        method,
        path: url.pathname,
        operation: route.operation,
        target: "none",
        status: 501,
        request: json(body),
      });
      const message = `SES v2 ${route.operation} is served by neither aws-ses-v2-local nor moto_server; test it with aws-sdk-client-mock (see docs/emulators.md)`;
      send(
        res,
        501,
        { "content-type": "application/json", "x-amzn-errortype": "NotEmulatedException" },
        { message },
      );
      return;
    }
    let upstream: Forwarded = { method, path: url.pathname + url.search, body };
    if (route.operation === "ListConfigurationSets") upstream = listConfigurationSetsAsGet(body);
    const reply = await forward(base[route.target], upstream, req.headers);
    calls.push({
      method,
      path: url.pathname,
      operation: route.operation,
      target: route.target,
      status: reply.status,
      request: json(body),
    });
    if (route.target === "ses-local") addErrorType(reply);
    else fixMotoResponse(route.operation, reply);
    if (route.operation === "GetEmailTemplate" && reply.status === 200) {
      await addTags(base.moto, reply, req.headers, "template", "TemplateName");
    }
    if (route.operation === "GetContactList" && reply.status === 200) {
      await addTags(base.moto, reply, req.headers, "contact-list", "ContactListName");
    }
    if (route.operation === "DeleteContactList" && reply.status === 200) {
      await untagInMoto(
        base.moto,
        "contact-list",
        decodeURIComponent(url.pathname.split("/").at(-1) ?? ""),
        req.headers,
      );
    }
    if (route.operation === "CreateEmailTemplate" && reply.status === 200) {
      await tagTemplateInMoto(base.moto, body, req.headers);
    }
    if (route.operation === "DeleteEmailTemplate" && reply.status === 200) {
      await untagInMoto(
        base.moto,
        "template",
        decodeURIComponent(url.pathname.split("/").at(-1) ?? ""),
        req.headers,
      );
    }
    send(res, reply.status, reply.headers, reply.body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    calls,
    inject(operation, list, match) {
      faults.push({ operation, queue: [...list], match });
    },
    clearFaults() {
      faults = [];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer | Record<string, unknown>;
}

function send(
  res: http.ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Buffer | Record<string, unknown>,
): void {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  const out: Record<string, string> = { ...headers, "content-length": String(bytes.length) };
  if (!Buffer.isBuffer(body)) out["content-type"] = "application/json";
  res.writeHead(status, out);
  res.end(bytes);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function json(body: Buffer | Record<string, unknown>): Record<string, unknown> | undefined {
  if (!Buffer.isBuffer(body)) return body;
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * aws-ses-v2-local puts the error name in the body's `type` and sends no `x-amzn-ErrorType`
 * header, so the SDK reports every error as "Unknown". SES sends the header; add it.
 * It also says why in `detail` under a generic `message` ("Bad Request Exception"), where SES
 * says why in `message`: move it there, so error lines read as they would against SES.
 */
function addErrorType(reply: Reply): void {
  if (reply.status < 400) return;
  const body = json(reply.body);
  if (body && typeof body.detail === "string") {
    body.message = body.detail;
    delete body.detail;
    reply.body = body;
    reply.headers["content-type"] = "application/json";
  }
  if (reply.headers["x-amzn-errortype"] !== undefined) return;
  const type =
    typeof body?.type === "string"
      ? body.type
      : reply.status === 404
        ? "NotFoundException"
        : "BadRequestException";
  reply.headers["x-amzn-errortype"] = type;
}

/**
 * The SDK sends ListConfigurationSets as `POST /v2/email/list-configuration-sets` with a JSON
 * body (the current SES v2 model); moto 5.2 only knows the older `GET /v2/email/configuration-sets`.
 */
function listConfigurationSetsAsGet(body: Buffer): Forwarded {
  const input = json(body) ?? {};
  const query = new URLSearchParams();
  if (typeof input.NextToken === "string") query.set("NextToken", input.NextToken);
  if (typeof input.PageSize === "number") query.set("PageSize", String(input.PageSize));
  const search = query.size > 0 ? `?${query}` : "";
  return { method: "GET", path: `/v2/email/configuration-sets${search}`, body: Buffer.alloc(0) };
}

/** Corrections of moto responses that the SDK cannot parse or that differ from SES; see docs/emulators.md. */
function fixMotoResponse(operation: string, reply: Reply): void {
  if (operation === "DeleteConfigurationSet" && reply.status === 500) {
    // moto crashes (500, an HTML page) deleting a set that does not exist; SES answers 404 NotFoundException.
    reply.status = 404;
    reply.headers = { "content-type": "application/json", "x-amzn-errortype": "NotFoundException" };
    reply.body = { message: "Configuration set does not exist." };
    return;
  }
  if (reply.status >= 300) return;
  const body = json(reply.body);
  if (body === undefined) return;
  let changed = false;
  if (operation === "ListConfigurationSets" && body.NextToken === null) {
    delete body.NextToken;
    changed = true;
  }
  if (operation === "GetConfigurationSet") {
    // moto nests the flag one level too deep: {"SendingEnabled": {"SendingEnabled": true}}.
    const sending = body.SendingOptions as Record<string, unknown> | undefined;
    const inner = sending?.SendingEnabled;
    if (sending && typeof inner === "object" && inner !== null) {
      const flag = (inner as Record<string, unknown>).SendingEnabled;
      if (typeof flag === "boolean") sending.SendingEnabled = flag;
      else delete sending.SendingEnabled;
      changed = true;
    }
  }
  if (operation === "CreateEmailIdentity" || operation === "GetEmailIdentity") {
    // moto writes DkimAttributes.LastKeyGenerationTimestamp as an ISO string (SES: epoch seconds).
    const dkim = body.DkimAttributes as Record<string, unknown> | undefined;
    const at = dkim?.LastKeyGenerationTimestamp;
    if (dkim && typeof at === "string" && !Number.isNaN(Date.parse(at))) {
      dkim.LastKeyGenerationTimestamp = Date.parse(at) / 1000;
      changed = true;
    }
  }
  if (/ContactList|Contact/.test(operation)) {
    // moto writes timestamps as ISO strings (the SDK expects epoch seconds) and a missing Description as "None".
    changed = fixContactFields(body) || changed;
  }
  if (changed) reply.body = body;
}

function fixContactFields(value: unknown): boolean {
  if (Array.isArray(value)) return value.map(fixContactFields).some(Boolean);
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  let changed = false;
  for (const [key, field] of Object.entries(record)) {
    if ((key === "CreatedTimestamp" || key === "LastUpdatedTimestamp") && typeof field === "string") {
      const ms = Date.parse(field);
      if (!Number.isNaN(ms)) {
        record[key] = ms / 1000;
        changed = true;
      }
    } else if (key === "Description" && field === "None") {
      delete record[key];
      changed = true;
    } else if (typeof field === "object" && field !== null) {
      changed = fixContactFields(field) || changed;
    }
  }
  return changed;
}

/**
 * aws-ses-v2-local ignores CreateEmailTemplate's Tags and has no tagging API; moto tags any ARN.
 * Keep template tags in moto, so ListTagsForResource on a template ARN answers as SES does.
 */
async function tagTemplateInMoto(moto: URL, body: Buffer, headers: http.IncomingHttpHeaders): Promise<void> {
  const input = json(body);
  if (
    !input ||
    typeof input.TemplateName !== "string" ||
    !Array.isArray(input.Tags) ||
    input.Tags.length === 0
  )
    return;
  const payload = Buffer.from(
    JSON.stringify({ ResourceArn: sesArn("template", input.TemplateName, headers), Tags: input.Tags }),
  );
  const reply = await forward(
    moto,
    { method: "POST", path: "/v2/email/tags", body: payload },
    jsonHeaders(headers),
  );
  if (reply.status !== 200)
    throw new Error(`tagging template ${input.TemplateName} in moto failed: HTTP ${reply.status}`);
}

type TaggedKind = "template" | "contact-list";

/**
 * SES's GetEmailTemplate and GetContactList answer the resource's Tags. aws-ses-v2-local keeps
 * no tags (the router keeps them in moto, see tagTemplateInMoto); moto keeps a contact list's
 * tags but leaves them out of GetContactList. Add them, so ownership reads as against SES.
 */
async function addTags(
  moto: URL,
  reply: Reply,
  headers: http.IncomingHttpHeaders,
  kind: TaggedKind,
  nameField: string,
): Promise<void> {
  const body = json(reply.body);
  const name = body?.[nameField];
  if (!body || typeof name !== "string") return;
  const listed = await forward(
    moto,
    {
      method: "GET",
      path: `/v2/email/tags?${new URLSearchParams({ ResourceArn: sesArn(kind, name, headers) })}`,
      body: Buffer.alloc(0),
    },
    jsonHeaders(headers),
  );
  if (listed.status !== 200)
    throw new Error(`reading tags of ${kind} ${name} from moto failed: HTTP ${listed.status}`);
  body.Tags = (json(listed.body)?.Tags as unknown[] | undefined) ?? [];
  reply.body = body;
  reply.headers["content-type"] = "application/json";
}

/** SES drops a resource's tags with it; moto's tagger does not know the resource was deleted. */
async function untagInMoto(
  moto: URL,
  kind: TaggedKind,
  name: string,
  headers: http.IncomingHttpHeaders,
): Promise<void> {
  const arn = sesArn(kind, name, headers);
  const listed = await forward(
    moto,
    {
      method: "GET",
      path: `/v2/email/tags?${new URLSearchParams({ ResourceArn: arn })}`,
      body: Buffer.alloc(0),
    },
    jsonHeaders(headers),
  );
  const tags = (json(listed.body)?.Tags as Array<{ Key: string }> | undefined) ?? [];
  if (tags.length === 0) return;
  const query = new URLSearchParams({ ResourceArn: arn });
  for (const tag of tags) query.append("TagKeys", tag.Key);
  await forward(
    moto,
    { method: "DELETE", path: `/v2/email/tags?${query}`, body: Buffer.alloc(0) },
    jsonHeaders(headers),
  );
}

function jsonHeaders(headers: http.IncomingHttpHeaders): http.IncomingHttpHeaders {
  // Keep the signature's credential scope: moto reads the service and region from it.
  return { authorization: headers.authorization, "content-type": "application/json" };
}

/** The ARN SES gives a resource, in moto's account and the request's region (from the SigV4 scope). */
function sesArn(kind: TaggedKind, name: string, headers: http.IncomingHttpHeaders): string {
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(headers.authorization ?? "");
  return `arn:aws:ses:${scope?.[1] ?? "us-east-1"}:123456789012:${kind}/${name}`;
}
