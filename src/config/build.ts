/**
 * Parsed YAML → typed model. Pure: file contents come in as data. Lenient by design: a field
 * with the wrong type is left out (the schema check has already reported it) so one mistake
 * does not cascade into unrelated findings.
 */
import path from "node:path/posix";
import { analyzeTemplate } from "../render/analyze.js";
import { error, type Finding, type Result } from "./findings.js";
import { parseLocalSendAt } from "./local-time.js";
import {
  type Alarm,
  type Campaign,
  type Condition,
  type ConfigurationSet,
  DEFAULT_DMARC,
  DEFAULT_MAX_INVALID_ROWS,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  type EventDestination,
  type ExcludeSent,
  type Field,
  type FieldType,
  type Identity,
  type MaxInvalidRows,
  OPERATORS,
  type Operator,
  type PartName,
  type Segment,
  type SendAt,
  type Settings,
  type Source,
  type Template,
  type TemplatePart,
} from "./model.js";
import type { FileProblem, RawFile } from "./read.js";
import { parseInstant, parseSchedule } from "./schedule.js";
import { buildVariants } from "./variants.js";
import type { PathSegment, YamlDoc } from "./yaml.js";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const bool = (v: unknown, dflt: boolean): boolean => (typeof v === "boolean" ? v : dflt);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const strList = (v: unknown): string[] =>
  typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
const data = (doc: YamlDoc | undefined): Obj => (doc && isObj(doc.data) ? doc.data : {});

export function parseDuration(text: string | undefined): number | undefined {
  const m = text ? /^(\d+)(s|m|h|d)$/.exec(text) : null;
  if (!m) return undefined;
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s" | "m" | "h" | "d"];
  return Number(m[1]) * unit;
}

/** `250` (rows) or `0.5%` (of the rows read); undefined for anything else. */
export function parseMaxInvalidRows(v: unknown): MaxInvalidRows | undefined {
  if (typeof v === "number") return Number.isInteger(v) && v >= 0 ? { rows: v } : undefined;
  const m = typeof v === "string" ? /^([0-9]+(?:\.[0-9]+)?)%$/.exec(v) : null;
  return m ? { percent: Number(m[1]) } : undefined;
}

export function buildSettings(file: string, doc: YamlDoc | undefined, ok: boolean): Settings {
  const d = data(doc);
  const sender = isObj(d.sender) ? d.sender : {};
  const unsub = isObj(d.unsubscribe) ? d.unsubscribe : {};
  const guard = isObj(d.guardrails) ? d.guardrails : {};
  const stopOn = isObj(guard.stop_on) ? guard.stop_on : {};
  const aws = isObj(d.aws) ? d.aws : {};
  const sending = isObj(d.sending) ? d.sending : {};
  const configurationSets: Record<string, ConfigurationSet> = {};
  for (const [name, v] of Object.entries(isObj(d.configuration_sets) ? d.configuration_sets : {})) {
    configurationSets[name] = buildConfigurationSet(name, isObj(v) ? v : {});
  }
  const identities: Record<string, Identity> = {};
  for (const [name, v] of Object.entries(isObj(d.identities) ? d.identities : {})) {
    identities[name] = buildIdentity(name, isObj(v) ? v : {});
  }
  const alarms: Record<string, Alarm> = {};
  for (const [name, v] of Object.entries(isObj(d.alarms) ? d.alarms : {})) {
    const a = isObj(v) ? v : {};
    alarms[name] = {
      name,
      description: str(a.description),
      metric: a.metric === "complaint_rate" ? "complaint_rate" : "bounce_rate",
      above: num(a.above) ?? 0,
      periodSeconds: parseDuration(str(a.period)) ?? 3600,
      evaluationPeriods: num(a.evaluation_periods) ?? 1,
      configurationSet: str(a.configuration_set),
      actions: strList(a.actions),
      adopt: bool(a.adopt, false),
    };
  }
  const topics: Record<string, string> = {};
  for (const [k, v] of Object.entries(isObj(unsub.topics) ? unsub.topics : {}))
    if (typeof v === "string") topics[k] = v;
  const dashboard = isObj(d.dashboard) ? d.dashboard : { name: d.dashboard };
  return {
    file,
    doc,
    ok,
    project: str(d.project) ?? "mailops",
    target: d.target === "aws" ? "aws" : "local",
    region: str(aws.region) ?? "us-east-1",
    state: str(d.state) ?? ".mailops/state",
    sender: {
      from: str(sender.from),
      identity: str(sender.identity),
      replyTo: strList(sender.reply_to),
      postalAddress: str(sender.postal_address),
    },
    unsubscribe: {
      mode: unsub.mode === "link" ? "link" : "ses-list",
      contactList: str(unsub.contact_list),
      topics,
      url: str(unsub.url),
      ...(str(unsub.description) !== undefined ? { description: str(unsub.description) } : {}),
      adopt: bool(unsub.adopt, false),
    },
    configurationSets,
    identities,
    alarms,
    dashboard: str(dashboard.name),
    dashboardAdopt: bool(dashboard.adopt, false),
    guardrails: {
      maxDeletePercent: num(guard.max_delete_percent) ?? 30,
      requireReviewedPlan: bool(guard.require_reviewed_plan, false),
      maxLatenessSeconds: parseDuration(str(guard.max_lateness)) ?? 86400,
      stopOn: { bounceRate: num(stopOn.bounce_rate), complaintRate: num(stopOn.complaint_rate) },
      maxInvalidRows: parseMaxInvalidRows(guard.max_invalid_rows) ?? DEFAULT_MAX_INVALID_ROWS,
    },
    localRate: num(sending.local_rate),
    proofRecipients: strList(d.proof_recipients),
  };
}

function buildIdentity(name: string, v: Obj): Identity {
  const mailFrom = isObj(v.mail_from) ? v.mail_from : undefined;
  const mailFromDomain = mailFrom ? str(mailFrom.domain) : undefined;
  return {
    name,
    type: name.includes("@") ? "address" : "domain",
    dkim: v.dkim === false ? false : v.dkim === "rsa_1024" ? "rsa_1024" : "rsa_2048",
    ...(mailFromDomain
      ? {
          mailFrom: {
            domain: mailFromDomain,
            onMxFailure:
              mailFrom?.on_mx_failure === "reject" ? ("reject" as const) : ("use_default" as const),
          },
        }
      : {}),
    ...(str(v.configuration_set) ? { configurationSet: str(v.configuration_set) } : {}),
    dmarc: v.dmarc === false ? false : (str(v.dmarc) ?? DEFAULT_DMARC),
    adopt: bool(v.adopt, false),
  };
}

function buildConfigurationSet(name: string, c: Obj): ConfigurationSet {
  const tracking = isObj(c.tracking) ? c.tracking : undefined;
  const events: EventDestination[] = [];
  for (const e of Array.isArray(c.events) ? c.events : []) {
    if (!isObj(e)) continue;
    const cw = isObj(e.cloudwatch) ? e.cloudwatch : undefined;
    const sns = isObj(e.sns) ? e.sns : undefined;
    const eb = isObj(e.eventbridge) ? e.eventbridge : undefined;
    events.push({
      name: str(e.name) ?? "",
      enabled: bool(e.enabled, true),
      types: strList(e.types) as EventDestination["types"],
      cloudwatch: cw
        ? {
            dimensions: Object.fromEntries(
              Object.entries(isObj(cw.dimensions) ? cw.dimensions : {})
                .filter(([, v]) => isObj(v))
                .map(([k, v]) => {
                  const dim = v as Obj;
                  const from = (str(dim.from) ?? "message_tag") as
                    | "message_tag"
                    | "email_header"
                    | "link_tag";
                  return [k, { from, default: str(dim.default) ?? "none" }];
                }),
            ),
          }
        : undefined,
      sns: snsTarget(sns),
      eventbridge: eb ? { eventBusArn: str(eb.event_bus_arn) } : undefined,
    });
  }
  return {
    name,
    tls: c.tls === "optional" ? "optional" : "require",
    reputationMetrics: bool(c.reputation_metrics, true),
    sendingEnabled: bool(c.sending_enabled, true),
    suppress: strList(c.suppress).filter(
      (s): s is "bounce" | "complaint" => s === "bounce" || s === "complaint",
    ),
    tracking:
      tracking && str(tracking.custom_redirect_domain)
        ? {
            customRedirectDomain: str(tracking.custom_redirect_domain) as string,
            httpsPolicy: (str(tracking.https_policy) ?? "require") as
              | "require"
              | "require_open_only"
              | "optional",
          }
        : undefined,
    adopt: bool(c.adopt, false),
    events,
  };
}

function snsTarget(sns: Obj | undefined): EventDestination["sns"] {
  if (!sns) return undefined;
  const arn = str(sns.topic_arn);
  if (arn) return { topicArn: arn };
  const topic = str(sns.topic);
  return topic ? { topic, adopt: bool(sns.adopt, false) } : undefined;
}

/** The repo-relative path of the dashboard body file mailops.yaml names, for the reader to fetch. */
export function dashboardBodyFile(file: string, doc: YamlDoc | undefined): string | undefined {
  const dashboard = data(doc).dashboard;
  const body = isObj(dashboard) ? str(dashboard.body) : undefined;
  return body === undefined || !body.endsWith(".json") ? undefined : resolvePart(file, body);
}

/**
 * The dashboard body from its file (`dashboard.body`): a JSON object, as CloudWatch takes it. Sets
 * `settings.dashboardBody`, or reports why it cannot (rule `dashboard/body`).
 */
export function attachDashboardBody(settings: Settings, raw: RawFile | undefined): Finding[] {
  const body = isObj(data(settings.doc).dashboard)
    ? str((data(settings.doc).dashboard as Obj).body)
    : undefined;
  if (body === undefined || !settings.doc || !body.endsWith(".json")) return [];
  const at = settings.doc.pos(["dashboard", "body"]);
  const problem = (message: string, hint: string) => [error("dashboard/body", at, message, hint)];
  if (raw === undefined) return problem(...partProblem["outside-repo"](body));
  if (raw.text === undefined) return problem(...partProblem[raw.problem ?? "missing"](body, raw));
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.text);
  } catch {
    return problem(
      `\`${body}\` is not valid JSON`,
      'the file holds the dashboard body as CloudWatch takes it: `{ "widgets": [ ... ] }`',
    );
  }
  if (!isObj(parsed) || !Array.isArray(parsed.widgets)) {
    return problem(
      `\`${body}\` is not a dashboard body: a JSON object with \`widgets\``,
      'the file holds the dashboard body as CloudWatch takes it: `{ "widgets": [ ... ] }`',
    );
  }
  settings.dashboardBody = parsed;
  return [];
}

const PART_EXTENSION = /\.(html?|txt|hbs|handlebars)$/i;
const SINGLE_TOKEN = /^[^\s<>{}]+$/;

/**
 * When a template's `html`/`text` value names a file rather than holding the body: a single path
 * ending in a template extension, or any single token with a `/` (so `../../etc/passwd` is refused
 * as a path instead of being sent as a body).
 */
export function partReference(value: string): { path: string; extensionOk: boolean; url?: true } | undefined {
  const v = value.trim();
  if (!SINGLE_TOKEN.test(v)) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return { path: v, extensionOk: false, url: true };
  if (PART_EXTENSION.test(v)) return { path: v, extensionOk: true };
  if (v.includes("/") || v.includes("\\")) return { path: v, extensionOk: false };
  return undefined;
}

/** Whether a template's `html`/`text` value names a sibling file rather than holding the body. */
export function isPartFile(value: string): boolean {
  return partReference(value) !== undefined;
}

/** Absolute on any platform: `/x`, `\\x` or `C:…` (a repository is read the same everywhere). */
function isAbsolutePath(ref: string): boolean {
  return ref.startsWith("/") || ref.startsWith("\\") || /^[A-Za-z]:/.test(ref);
}

/** The repo-relative path a template names, or undefined when it is absolute or climbs out of the repository. */
function resolvePart(file: string, ref: string): string | undefined {
  if (isAbsolutePath(ref)) return undefined;
  const rel = path.normalize(path.join(path.dirname(file), ref.replace(/\\/g, "/")));
  return rel === ".." || rel.startsWith("../") ? undefined : rel;
}

/** Repo-relative paths of the body files a template names, for the reader to fetch. */
export function templatePartFiles(file: string, doc: YamlDoc | undefined): string[] {
  const d = data(doc);
  const out: string[] = [];
  for (const key of ["html", "text"] as const) {
    const v = d[key];
    const ref = typeof v === "string" ? partReference(v) : undefined;
    const rel = ref?.extensionOk ? resolvePart(file, ref.path) : undefined;
    if (rel !== undefined) out.push(rel);
  }
  return out;
}

const partProblem: Record<FileProblem, (p: string, raw?: RawFile) => [string, string]> = {
  missing: (p) => [
    `\`${p}\` does not exist`,
    "create the file, or fix the name (it is relative to this YAML file)",
  ],
  "outside-repo": (p) => [
    `\`${p}\` is outside the repository`,
    "mailops reads template files only from inside the repository; move the file in and name it relative to this YAML file",
  ],
  "too-large": (p) => [`\`${p}\` is larger than 5 MB`, "SES templates are limited to 500 KB"],
  binary: (p, raw) => [
    `\`${p}\` is not UTF-8 text${raw?.detail ? `: ${raw.detail}${raw.at ? ` (line ${raw.at.line}, column ${raw.at.col})` : ""}` : ""}`,
    "save it as UTF-8 text",
  ],
  unreadable: (p, raw) => [
    `\`${p}\` cannot be read${raw?.detail ? `: ${raw.detail}` : ""}`,
    "check that the file is readable by the user running mailops",
  ],
  "not-a-file": (p) => [`\`${p}\` is not a file`, "point at a file, not a folder"],
};

export function buildTemplate(
  name: string,
  file: string,
  doc: YamlDoc | undefined,
  ok: boolean,
  partFiles: ReadonlyMap<string, RawFile>,
): Result<Template> {
  const d = data(doc);
  const findings: Finding[] = [];
  const parts: Template["parts"] = {};
  for (const key of ["subject", "html", "text"] as PartName[]) {
    const v = d[key];
    if (typeof v !== "string" || !doc) continue;
    const ref = key === "subject" ? undefined : partReference(v);
    if (!ref) {
      parts[key] = part(key, v, file, (line, col) => doc.scalarPosition([key], line, col));
      continue;
    }
    const rel = resolvePart(file, ref.path);
    const raw = rel === undefined ? undefined : partFiles.get(rel);
    let problem: [string, string] | undefined;
    if (ref.url) {
      problem = [
        `\`${ref.path}\` is a URL; mailops does not fetch template bodies`,
        "save the body in a file next to this YAML file and name that file, or write it inline",
      ];
    } else if (rel === undefined) problem = partProblem["outside-repo"](ref.path);
    else if (!ref.extensionOk) {
      problem = [
        `\`${ref.path}\` looks like a file name, but template files end in .html, .htm, .txt, .hbs or .handlebars`,
        "rename the file, or write the body inline",
      ];
    } else if (!raw || raw.text === undefined)
      problem = partProblem[raw?.problem ?? "missing"](ref.path, raw);
    if (problem || raw?.text === undefined || rel === undefined) {
      const [message, hint] = problem ?? partProblem.missing(ref.path);
      findings.push(error("template/file", doc.pos([key]), `${key}: ${message}`, hint));
      continue;
    }
    parts[key] = part(key, raw.text, rel, (line, col) => ({ line, col }));
  }
  return {
    value: {
      name,
      file,
      doc,
      ok,
      parts,
      sample: isObj(d.sample) ? d.sample : undefined,
      adopt: d.adopt === true,
    },
    findings,
  };
}

function part(
  name: PartName,
  source: string,
  file: string,
  locate: (line: number, col: number) => { line: number; col: number },
): TemplatePart {
  return { part: name, source, file, locate, analysis: analyzeTemplate(source, "auto", name) };
}

const FORMATS = ["csv", "json", "jsonl"] as const;

export function buildSource(name: string, file: string, doc: YamlDoc | undefined, ok: boolean): Source {
  const d = data(doc);
  const location = str(d.source);
  const fields = new Map<string, Field>();
  for (const [fname, v] of Object.entries(isObj(d.fields) ? d.fields : {})) {
    if (!isObj(v) || typeof v.type !== "string") continue;
    fields.set(fname, {
      name: fname,
      type: v.type as FieldType,
      required: bool(v.required, false),
      hasDefault: "default" in v,
      default: v.default,
    });
  }
  const emails = [...fields.values()].filter((f) => f.type === "email");
  let gzip = false;
  let format = str(d.format) as Source["format"];
  let localPath: string | undefined;
  if (location) {
    let base = location.replace(/[?#].*$/, "");
    if (/\.gz$/i.test(base)) {
      gzip = true;
      base = base.slice(0, -3);
    }
    const ext = base.split(".").pop()?.toLowerCase();
    if (!format && FORMATS.includes(ext as (typeof FORMATS)[number])) format = ext as Source["format"];
    // An absolute path stays absolute, so it is reported as outside the repository, not as missing.
    if (!location.startsWith("s3://"))
      localPath = isAbsolutePath(location)
        ? location
        : path.normalize(path.join(path.dirname(file), location));
  }
  const source: Source = {
    name,
    file,
    doc,
    ok,
    location,
    localPath,
    format,
    gzip,
    fields,
    emailField: emails.length === 1 ? emails[0]?.name : undefined,
  };
  if (d.kind === "postgres") {
    source.postgres = {
      urlEnv: str(d.url_env) ?? "",
      query: str(d.query) ?? "",
      key: str(d.key) ?? "",
      statementTimeoutMs:
        (parseDuration(str(d.statement_timeout)) ?? DEFAULT_STATEMENT_TIMEOUT_MS / 1000) * 1000,
    };
  }
  return source;
}

export function buildSegment(name: string, file: string, doc: YamlDoc | undefined, ok: boolean): Segment {
  const d = data(doc);
  return {
    name,
    file,
    doc,
    ok,
    from: str(d.from),
    where: isObj(d.where) ? buildCondition(d.where, ["where"]) : undefined,
  };
}

function buildCondition(c: Obj, p: PathSegment[]): Condition | undefined {
  const [key, value] = Object.entries(c)[0] ?? [];
  if (key === undefined) return undefined; // `{}`: the schema reports it; lint has nothing to add
  if (key === "all" || key === "any") {
    const list = Array.isArray(value) ? value : [];
    const items = list
      .map((item, i) => (isObj(item) ? buildCondition(item, [...p, key, i]) : undefined))
      .filter((x): x is Condition => x !== undefined);
    return { kind: key, items, path: [...p, key] };
  }
  if (key === "not") {
    const item = isObj(value) ? buildCondition(value, [...p, key]) : undefined;
    return item ? { kind: "not", item, path: [...p, key] } : undefined;
  }
  const tests = Object.entries(isObj(value) ? value : {})
    .filter(([op]) => (OPERATORS as readonly string[]).includes(op))
    .map(([op, v]) => ({ op: op as Operator, value: v }));
  return { kind: "field", field: key, tests, path: [...p, key] };
}

/** `on-merge`, or an ISO 8601 date-time with an explicit offset that names a real instant. */
export function parseSendAt(text: string): SendAt | undefined {
  if (text === "on-merge") return { kind: "on-merge" };
  const at = parseInstant(text);
  return at ? { kind: "at", ...at } : undefined;
}

export function buildCampaign(name: string, file: string, doc: YamlDoc | undefined, ok: boolean): Campaign {
  const d = data(doc);
  const sendAt =
    typeof d.send_at === "string"
      ? parseSendAt(d.send_at)
      : isObj(d.send_at)
        ? parseLocalSendAt(d.send_at).sendAt
        : undefined;
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(isObj(d.tags) ? d.tags : {})) if (typeof v === "string") tags[k] = v;
  return {
    name,
    file,
    doc,
    ok,
    template: str(d.template),
    to: strList(d.to),
    exclude: strList(d.exclude),
    topic: str(d.topic),
    configurationSet: str(d.configuration_set),
    sendAt,
    from: str(d.from),
    replyTo: strList(d.reply_to),
    data: isObj(d.data) ? d.data : {},
    tags,
    maxRecipients: num(d.max_recipients),
    ...(d.missed === "acknowledged" ? { missedAcknowledged: true } : {}),
    ...(isObj(d.schedule) ? { schedule: parseSchedule(d.schedule).schedule } : {}),
    ...(d.exclude_sent !== undefined ? { excludeSent: buildExcludeSent(d.exclude_sent) } : {}),
    ...(Array.isArray(d.variants) ? { variants: buildVariants(d, file, doc, parseDuration) } : {}),
  };
}

/** `exclude_sent`: one `{campaign, within}` or a list of them; entries without a campaign are left out. */
export function buildExcludeSent(v: unknown): ExcludeSent[] {
  const out: ExcludeSent[] = [];
  for (const e of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
    if (!isObj(e) || typeof e.campaign !== "string") continue;
    const within = parseDuration(str(e.within));
    out.push({ campaign: e.campaign, ...(within !== undefined ? { withinSeconds: within } : {}) });
  }
  return out;
}
