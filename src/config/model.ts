/** The typed model of a mailops repository, built from its YAML files. */
import type { Analysis } from "../render/analyze.js";
import type { UnsubscribeMode } from "../render/builtins.js";
import type { Position } from "./findings.js";
import type { LocalSendAt } from "./local-time.js";
import type { Schedule } from "./schedule.js";
import type { Variants } from "./variants.js";
import type { PathSegment, YamlDoc } from "./yaml.js";

// Defined beside the renderer that needs them, so render/ never imports the model.
export { UNSUBSCRIBE_VARIABLE, type UnsubscribeMode } from "../render/builtins.js";

export interface Entity {
  /** The file stem: SES resource name, reference name. */
  name: string;
  file: string;
  /** Absent when the file could not be parsed; the entity then exists only as a name. */
  doc?: YamlDoc;
  /** True when the file parsed and passed its schema, so deeper checks are meaningful. */
  ok: boolean;
}

export type PartName = "subject" | "html" | "text";

export interface TemplatePart {
  part: PartName;
  source: string;
  /** The sibling file, or the YAML file for an inline part. */
  file: string;
  /**
   * Where a line/column of `source` is in `file`: the same for a sibling file; through the YAML
   * quoting and indentation for an inline part. Computed on demand (only findings need it).
   */
  locate: (line: number, col: number) => { line: number; col: number };
  analysis: Analysis;
}

export interface Template extends Entity {
  parts: Partial<Record<PartName, TemplatePart>>;
  /** Take over an existing SES template of the same name. */
  adopt: boolean;
  sample?: Record<string, unknown>;
}

export const FIELD_TYPES = ["email", "string", "number", "boolean", "date", "list"] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface Field {
  name: string;
  type: FieldType;
  required: boolean;
  hasDefault: boolean;
  default?: unknown;
}

export type SourceFormat = "csv" | "json" | "jsonl";

/** A source of `kind: postgres`: rows of a query, read in pages by `key` (audience/postgres.ts). */
export interface PostgresQuery {
  /** The environment variable that holds the database URL; the URL is never in the repository. */
  urlEnv: string;
  /** As written: a table or view name, or one SELECT. */
  query: string;
  /** A column of the result whose values are unique and never change: pages are ordered by it. */
  key: string;
  /** Each page's statement timeout. */
  statementTimeoutMs: number;
}

export const DEFAULT_STATEMENT_TIMEOUT_MS = 60_000;

export interface Source extends Entity {
  /** Set for `kind: postgres`; a file source (the default) has `location` instead. */
  postgres?: PostgresQuery;
  /** As written: a path relative to the source file's folder, or s3://bucket/key. */
  location?: string;
  /** Repo-relative path for local files. */
  localPath?: string;
  format?: SourceFormat;
  gzip: boolean;
  fields: Map<string, Field>;
  /** The one field of type `email`: the recipient address. */
  emailField?: string;
  /** Set by the loader when a local data file is missing or outside the repository. */
  localProblem?: "missing" | "outside-repo" | "not-a-file" | "unreadable" | "too-large" | "binary";
}

export const OPERATORS = [
  "eq",
  "ne",
  "in",
  "not_in",
  "contains",
  "exists",
  "gt",
  "gte",
  "lt",
  "lte",
  "before",
  "after",
  "starts_with",
  "ends_with",
] as const;
export type Operator = (typeof OPERATORS)[number];

export type Condition =
  | { kind: "all" | "any"; items: Condition[]; path: PathSegment[] }
  | { kind: "not"; item: Condition; path: PathSegment[] }
  | { kind: "field"; field: string; tests: { op: Operator; value: unknown }[]; path: PathSegment[] };

export interface Segment extends Entity {
  from?: string;
  where?: Condition;
}

export type { LocalSendAt } from "./local-time.js";

/** `on-merge`, one instant, or a wall-clock time in each recipient's zone (config/local-time.ts). */
export type SendAt = { kind: "on-merge" } | { kind: "at"; iso: string; epochMs: number } | LocalSendAt;

export interface Campaign extends Entity {
  template?: string;
  to: string[];
  exclude: string[];
  topic?: string;
  configurationSet?: string;
  /** Undefined: a draft (unless it has a schedule). Invalid values are reported and also left undefined. */
  sendAt?: SendAt;
  /** A recurring campaign (`schedule:`, instead of send_at): each occurrence is a run of its own. */
  schedule?: Schedule;
  /** `exclude_sent`: recipients of earlier runs of these campaigns are left out of the audience. */
  excludeSent?: ExcludeSent[];
  from?: string;
  replyTo: string[];
  data: Record<string, unknown>;
  tags: Record<string, string>;
  maxRecipients?: number;
  /** `missed: acknowledged`: a missed send_at is known; send runs neither list nor warn about it. */
  missedAcknowledged?: boolean;
  /** `variants:` (and `test:`): an A/B test (config/variants.ts). */
  variants?: Variants;
}

/** `exclude_sent: {campaign, within}`: whoever a run of `campaign` reached (within that long before this run) is left out. */
export interface ExcludeSent {
  campaign: string;
  /** Absent: every earlier run of it. */
  withinSeconds?: number;
}

export type EventType =
  | "send"
  | "reject"
  | "bounce"
  | "complaint"
  | "delivery"
  | "open"
  | "click"
  | "rendering_failure"
  | "delivery_delay"
  | "subscription";

export interface EventDestination {
  name: string;
  enabled: boolean;
  types: EventType[];
  cloudwatch?: {
    dimensions: Record<string, { from: "message_tag" | "email_header" | "link_tag"; default: string }>;
  };
  /** A topic made elsewhere (`topic_arn`), or one mailops makes and owns (`topic`). */
  sns?: { topicArn: string } | { topic: string; adopt: boolean };
  eventbridge?: { eventBusArn?: string };
}

export interface ConfigurationSet {
  name: string;
  tls: "require" | "optional";
  reputationMetrics: boolean;
  sendingEnabled: boolean;
  suppress: ("bounce" | "complaint")[];
  tracking?: { customRedirectDomain: string; httpsPolicy: "require" | "require_open_only" | "optional" };
  adopt: boolean;
  events: EventDestination[];
}

/** The DMARC record recommended when `dmarc:` is not given: monitoring only, enough for Gmail and Yahoo. */
export const DEFAULT_DMARC = "v=DMARC1; p=none;";

/** An SES sender identity: a domain (`example.com`) or an address (`news@example.com`). */
export interface Identity {
  name: string;
  type: "domain" | "address";
  /** Easy DKIM's key length, or false for no DKIM signing. Domains only. */
  dkim: "rsa_2048" | "rsa_1024" | false;
  /** A custom MAIL FROM domain (a subdomain), and what SES does when its MX record is missing. */
  mailFrom?: { domain: string; onMxFailure: "use_default" | "reject" };
  /** The configuration set SES uses for mail from this identity when a send names none. */
  configurationSet?: string;
  /** The DMARC TXT record to publish at `_dmarc.<domain>`, or false to recommend none. Domains only. */
  dmarc: string | false;
  adopt: boolean;
}

export interface Alarm {
  name: string;
  description?: string;
  metric: "bounce_rate" | "complaint_rate";
  above: number;
  periodSeconds: number;
  evaluationPeriods: number;
  configurationSet?: string;
  actions: string[];
  adopt: boolean;
}

export interface Settings {
  file: string;
  doc?: YamlDoc;
  ok: boolean;
  project: string;
  target: "local" | "aws";
  region: string;
  state: string;
  sender: { from?: string; identity?: string; replyTo: string[]; postalAddress?: string };
  unsubscribe: {
    mode: UnsubscribeMode;
    contactList?: string;
    topics: Record<string, string>;
    url?: string;
    /** The contact list's description in SES; `Opt-outs for <project>` when not given. */
    description?: string;
    /** Take over an existing contact list mailops did not create. */
    adopt: boolean;
  };
  configurationSets: Record<string, ConfigurationSet>;
  identities: Record<string, Identity>;
  alarms: Record<string, Alarm>;
  dashboard?: string;
  /**
   * The dashboard's body as written in the file `dashboard.body` names (parsed JSON), instead of
   * the one mailops draws; undefined when none is named or it could not be read.
   */
  dashboardBody?: DashboardBody;
  /** Take over an existing dashboard mailops did not create. */
  dashboardAdopt: boolean;
  guardrails: {
    maxDeletePercent: number;
    /** Deploy refuses a plan that is not the one reviewed in the merged pull request's comment. */
    requireReviewedPlan: boolean;
    maxLatenessSeconds: number;
    stopOn: { bounceRate?: number; complaintRate?: number };
    maxInvalidRows: MaxInvalidRows;
  };
  localRate?: number;
  /**
   * `proof_recipients`: who a proof (`send --proof-to`) may go to: whole addresses (their address
   * keys) and `*@domain` entries; the SES mailbox simulator is always allowed.
   */
  proofRecipients: string[];
}

/** A dashboard body read from its file: plain JSON, as CloudWatch takes it. */
export type DashboardBody = { [key: string]: unknown };

/** guardrails.max_invalid_rows: a number of rows, or a percentage of the rows read (`1%`). */
export type MaxInvalidRows = { rows: number } | { percent: number };

export const DEFAULT_MAX_INVALID_ROWS: MaxInvalidRows = { percent: 1 };

export interface Project {
  root: string;
  settings: Settings;
  templates: Map<string, Template>;
  sources: Map<string, Source>;
  segments: Map<string, Segment>;
  campaigns: Map<string, Campaign>;
  /** Every file read, for the summary line. */
  fileCount: number;
}

export function positionOf(
  entity: { file: string; doc?: YamlDoc },
  path: PathSegment[],
  part?: "key" | "value",
): Position {
  return entity.doc ? entity.doc.pos(path, part) : { file: entity.file, line: 1, col: 1 };
}
