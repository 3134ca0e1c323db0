/**
 * The one interface every target implements (DNSControl's small provider interface):
 * read what exists, apply one change, and report account facts. Capabilities are data.
 */
import type { SuppressionCheck } from "../audience/index.js";
import type { Change } from "../plan/plan.js";
import type { KindName, LiveResource } from "../plan/resource.js";
import type { Envelope } from "../render/eml.js";

export interface AccountFacts {
  /** False while the SES account is in the sandbox (200 recipients a day, verified recipients only). */
  productionAccess: boolean;
  sendingEnabled: boolean;
  /** Recipients per second; undefined for unlimited. */
  maxSendRate?: number;
  /** Recipients per 24 hours; undefined for unlimited. */
  max24HourSend?: number;
  sentLast24Hours: number;
  enforcementStatus?: string;
}

export interface IdentityFacts {
  identity: string;
  /** Verified for sending: SES takes mail from it. */
  verified: boolean;
  /** SES's verification state (PENDING, FAILED, …); undefined when the identity does not exist. */
  status?: string;
}

/**
 * What a target can do, declared: a caller that depends on it reads these, never the target's
 * name (which is for people: "on the aws target").
 */
export interface Capabilities {
  /**
   * What paces a send (send/pacing.ts sendRate): `account`, the account's own rate (AccountFacts
   * maxSendRate, 1 a second when it gives none); `setting`, the project's `sending.local_rate`,
   * unlimited when unset; `none`, a target that sends nothing (its sender refuses).
   */
  readonly sendRate: "account" | "setting" | "none";
  /** Where the sender's campaign metrics come from: CloudWatch, the target's own event records, none. */
  readonly metrics: "cloudwatch" | "local-events" | "none";
}

export interface Target {
  readonly name: "local" | "aws";
  readonly capabilities: Capabilities;
  /** Live state of the named resources; absent ones are simply not returned. */
  read(wanted: { kind: KindName; name: string }[]): Promise<LiveResource[]>;
  /**
   * The names of every resource of a kind that exists (`mailops import`), sorted; what `read`
   * takes. Alarms: those on SES metrics only. Event destinations: `<set>/<destination>` of every
   * configuration set. Whoever owns them: ownership is for the plan to judge.
   */
  list(kind: KindName): Promise<string[]>;
  /** Apply one change; `tags` are added on create. Throws on failure, having changed nothing or exactly this one resource. */
  apply(change: Change, tags: Record<string, string>): Promise<void>;
  account(): Promise<AccountFacts>;
  /**
   * The account id that fills ACCOUNT_PLACEHOLDER in desired specs (SNS topic ARNs and policies);
   * undefined while the target cannot tell yet (aws: no topic exists in the region to name it).
   */
  accountId?(): Promise<string | undefined>;
  identity(identity: string): Promise<IdentityFacts>;
  /** The sending side of the target. */
  sender(): Sender;
  /** Normalized addresses that must not get mail: suppression list and, with a topic, its opt-outs. */
  suppression(list?: { contactList: string; topic?: string }): Promise<SuppressionCheck>;
}

/** One recipient's message in a send call. */
export interface OutgoingMessage {
  /** Ledger id (salted hash), for outcome bookkeeping and the local outbox file name. */
  id: string;
  to: string;
  /** The complete template data for this recipient (never merged with defaults by SES). */
  data: Record<string, unknown>;
  /** Extra headers, e.g. List-Unsubscribe in link mode. */
  headers: { name: string; value: string }[];
}

/** A send call: the campaign's envelope (what every message shares, as preview builds it too). */
export interface SendRequest extends Envelope {
  campaign: string;
  /** The run's key (see send/ledger.ts runKey): with the recipient id, names one delivery. */
  run: string;
  template: string;
  messages: OutgoingMessage[];
}

/**
 * Per-entry outcome of a send call. A sender answers for each recipient by its own call's
 * outcome: one failed call never changes what its siblings got.
 */
export type EntryResult =
  | { status: "sent"; messageId: string }
  /** SES answered for this entry: worth retrying a few times in this run (TRANSIENT_FAILURE). */
  | { status: "retry"; error: string }
  /** Final for this recipient (rejected, invalid). */
  | { status: "failed"; error: string }
  /** The account or configuration set cannot send: stop the run. */
  | { status: "stop"; error: string }
  /** Not sent, and safe to send again: its call was not processed by SES, or never made. */
  | { status: "unsent"; error: string; why: UnsentWhy }
  /**
   * Its call may or may not have gone out (the connection broke or timed out after the request
   * was sent, a 500): recorded unknown, never resent unless asked.
   */
  | { status: "unknown"; error: string };

/**
 * Why an entry is unsent: `throttled` (429: slow down), `unavailable` (503, connect timeout:
 * SES did not take it), `unreachable` (nothing listens at the endpoint, or its name does not
 * resolve), `not-attempted` (an earlier call of the same send failed, so this one was not made).
 */
export type UnsentWhy = "throttled" | "unavailable" | "unreachable" | "not-attempted";

/** The whole call was throttled (429): nothing was sent; slow down and retry. */
export class ThrottledError extends Error {}

/**
 * A proof (`send --proof-to`, send/proof.ts): one campaign message, rendered locally from the
 * repository's template, sent as inline content (SES SendEmail `Simple`, never the stored
 * template) to each address on its own. Never recorded in the ledger; carries no list management.
 */
export interface ProofMessage {
  campaign: string;
  from: string;
  replyTo: string[];
  /** One message each. */
  to: string[];
  subject: string;
  html: string;
  text: string;
  headers: { name: string; value: string }[];
  configurationSet?: string;
  tags: Record<string, string>;
}

/** Each proof address's outcome: sent (with where the local target wrote it), or failed. */
export type ProofResult =
  | { to: string; status: "sent"; messageId: string; file?: string }
  | { to: string; status: "failed"; error: string };

export interface Sender {
  send(request: SendRequest): Promise<EntryResult[]>;
  /** Send a proof (ProofMessage); absent on a target that cannot. */
  sendProof?(proof: ProofMessage): Promise<ProofResult[]>;
  /** For `--resend-unknown` decisions: whether a message for this recipient id went out (local only). */
  wasDelivered?(campaign: string, run: string, id: string): Promise<boolean>;
  /** Bounce and complaint rates since `since`, for guardrails.stop_on; undefined when not known. */
  rates?(
    configurationSet: string | undefined,
    since: Date,
  ): Promise<{ bounceRate: number; complaintRate: number; sent: number } | undefined>;
  /**
   * Engagement counts for one campaign from `since` (to `until`, else now), from the event
   * destination's CloudWatch metrics (or local events).
   */
  campaignMetrics?(
    /**
     * With `variant`: that variant's only (the `variant` message tag, beside the campaign's); with
     * `run`, a target that knows each event's run (local) counts that run's events, whatever their time.
     */
    campaign: { dimension?: string; value: string; name: string; variant?: string; run?: string },
    since: Date,
    until?: Date,
  ): Promise<CampaignMetrics | undefined>;
  /** After a campaign: anything to show the user (the local outbox index). */
  finish?(campaign: string): string | undefined;
}

export interface CampaignMetrics {
  delivered: number;
  bounced: number;
  complained: number;
  opened: number;
  clicked: number;
}
