/**
 * Sending through SES v2. `link` mode: SendBulkEmail, up to 50 destinations a call, complete
 * data and List-Unsubscribe headers per entry. `ses-list` mode: SendEmail per recipient with
 * ListManagementOptions (SendBulkEmail has none), SES then adds the one-click headers itself.
 * Every entry's status is checked; only retryable ones are retried. Each recipient's result is
 * its own call's outcome (port.ts EntryResult): sent, rejected, unsent (not processed, safe to
 * send again) or unknown (the call may have gone out). Nothing is retried here: the run does
 * that (send/calls.ts), paced and with the ledger's knowledge.
 */

import { type CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  type SESv2Client,
  SendBulkEmailCommand,
  type SendBulkEmailCommandOutput,
  SendEmailCommand,
} from "@aws-sdk/client-sesv2";
import type {
  CampaignMetrics,
  EntryResult,
  ProofMessage,
  ProofResult,
  Sender,
  SendRequest,
} from "../port.js";
import { classifySendError, describeAwsError } from "./errors.js";

const RETRY: string[] = ["TRANSIENT_FAILURE", "ACCOUNT_THROTTLED"];
const STOP: string[] = [
  "ACCOUNT_SUSPENDED",
  "ACCOUNT_SENDING_PAUSED",
  "ACCOUNT_DAILY_QUOTA_EXCEEDED",
  "CONFIGURATION_SET_SENDING_PAUSED",
];

export function entryResult(
  status: string | undefined,
  messageId: string | undefined,
  error: string | undefined,
): EntryResult {
  if (status === "SUCCESS" && messageId) return { status: "sent", messageId };
  const why = `${status ?? "UNKNOWN"}${error ? `: ${error}` : ""}`;
  if (status && RETRY.includes(status)) return { status: "retry", error: why };
  if (status && STOP.includes(status)) return { status: "stop", error: why };
  return { status: "failed", error: why };
}

/** SendEmail calls in flight at once in ses-list mode. */
const SEND_EACH_CONCURRENCY = 10;

/**
 * What a failed call leaves each of its recipients with (errors.ts classifySendError). `first`:
 * no call of this sender got an answer yet, so an unreachable endpoint is likely misconfigured,
 * and the error says what to check; later, the same failure is a network fault, not a setting.
 */
function failedCall(e: unknown, bulk: boolean, first: boolean): EntryResult {
  const f = classifySendError(e);
  switch (f.kind) {
    case "unsent":
      return { status: "unsent", why: f.why, error: first && f.hint ? `${f.error}; ${f.hint}` : f.error };
    case "ambiguous":
      return { status: "unknown", error: f.error };
    case "stop":
      return { status: "stop", error: f.error };
    case "rejected":
      // A SendEmail is one recipient's message: its rejection is that recipient's. A whole
      // SendBulkEmail rejected is the request's fault (per-entry problems come back as entry
      // statuses): recording fifty recipients failed would never send them; stop instead.
      return bulk ? { status: "stop", error: f.error } : { status: "failed", error: f.error };
  }
}

export class AwsSender implements Sender {
  /** Whether SES ever answered a send call of this sender (with a result or an error). */
  private reached = false;

  constructor(
    private readonly ses: SESv2Client,
    private readonly cw: CloudWatchClient,
  ) {}

  async send(request: SendRequest): Promise<EntryResult[]> {
    if (request.listManagement) return this.sendEach(request);
    return this.sendBulk(request);
  }

  private tags(request: SendRequest) {
    return Object.entries(request.tags).map(([Name, Value]) => ({ Name, Value }));
  }

  /** link mode: one call. A failed call answers every entry alike: they shared its fate. */
  private async sendBulk(request: SendRequest): Promise<EntryResult[]> {
    let r: SendBulkEmailCommandOutput;
    try {
      r = await this.ses.send(
        new SendBulkEmailCommand({
          FromEmailAddress: request.from,
          ReplyToAddresses: request.replyTo.length ? request.replyTo : undefined,
          ConfigurationSetName: request.configurationSet,
          DefaultEmailTags: this.tags(request),
          DefaultContent: { Template: { TemplateName: request.template, TemplateData: "{}" } },
          BulkEmailEntries: request.messages.map((m) => ({
            Destination: { ToAddresses: [m.to] },
            ReplacementEmailContent: {
              ReplacementTemplate: { ReplacementTemplateData: JSON.stringify(m.data) },
            },
            ...(m.headers.length
              ? { ReplacementHeaders: m.headers.map((h) => ({ Name: h.name, Value: h.value })) }
              : {}),
          })),
        }),
      );
    } catch (e) {
      const each = this.failed(e, true);
      return request.messages.map(() => each);
    }
    this.reached = true;
    const results = r.BulkEmailEntryResults ?? [];
    return request.messages.map((_, i) => {
      const e = results[i];
      return entryResult(e?.Status, e?.MessageId, e?.Error);
    });
  }

  /**
   * ses-list mode: one SendEmail per recipient, SEND_EACH_CONCURRENCY at a time (one after another,
   * SES's ~50 ms a call would cap a run near 20/s whatever the account's rate). Results keep the
   * messages' order, each its own call's outcome: a call that failed never costs its siblings the
   * MessageIds they got. After any answer but a success or a rejection (a stop, throttling, a
   * failed call) no new call starts: the calls in flight finish, and the unstarted come back
   * `unsent` (`not-attempted`), or with the stop, so the run decides whether and when to go on.
   */
  private async sendEach(request: SendRequest): Promise<EntryResult[]> {
    const out: EntryResult[] = new Array(request.messages.length);
    let next = 0;
    let halt: Exclude<EntryResult, { status: "sent" }> | undefined;
    const worker = async () => {
      while (!halt && next < request.messages.length) {
        const i = next++;
        const result = await this.sendOne(request, request.messages[i] as SendRequest["messages"][number]);
        out[i] = result;
        if (result.status !== "sent" && result.status !== "failed") halt ??= result;
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(SEND_EACH_CONCURRENCY, request.messages.length) }, worker),
    );
    const unstarted: EntryResult =
      halt?.status === "stop"
        ? halt
        : {
            status: "unsent",
            why: "not-attempted",
            error: `not attempted: ${halt?.error ?? "no call made"}`,
          };
    for (let i = next; i < out.length; i++) out[i] = unstarted;
    return out;
  }

  private async sendOne(request: SendRequest, m: SendRequest["messages"][number]): Promise<EntryResult> {
    const lm = request.listManagement as { contactList: string; topic?: string };
    try {
      const r = await this.ses.send(
        new SendEmailCommand({
          FromEmailAddress: request.from,
          ReplyToAddresses: request.replyTo.length ? request.replyTo : undefined,
          Destination: { ToAddresses: [m.to] },
          ConfigurationSetName: request.configurationSet,
          EmailTags: this.tags(request),
          Content: {
            Template: {
              TemplateName: request.template,
              TemplateData: JSON.stringify(m.data),
              ...(m.headers.length
                ? { Headers: m.headers.map((h) => ({ Name: h.name, Value: h.value })) }
                : {}),
            },
          },
          ListManagementOptions: { ContactListName: lm.contactList, TopicName: lm.topic },
        }),
      );
      this.reached = true;
      // A 200 without a MessageId: SES took the call, but nothing proves a message went out.
      return r.MessageId
        ? { status: "sent", messageId: r.MessageId }
        : { status: "unknown", error: "SES answered without a MessageId" };
    } catch (e) {
      return this.failed(e, false);
    }
  }

  /**
   * A proof: SendEmail with `Simple` content per address (the message as rendered locally, not the
   * stored template), without ListManagementOptions: a proof is nobody's subscription. The mailbox
   * simulator's addresses are SES's own to answer.
   */
  async sendProof(proof: ProofMessage): Promise<ProofResult[]> {
    const out: ProofResult[] = [];
    const utf8 = (Data: string) => ({ Data, Charset: "UTF-8" });
    for (const to of proof.to) {
      try {
        const r = await this.ses.send(
          new SendEmailCommand({
            FromEmailAddress: proof.from,
            ReplyToAddresses: proof.replyTo.length ? proof.replyTo : undefined,
            Destination: { ToAddresses: [to] },
            ConfigurationSetName: proof.configurationSet,
            EmailTags: Object.entries(proof.tags).map(([Name, Value]) => ({ Name, Value })),
            Content: {
              Simple: {
                Subject: utf8(proof.subject),
                Body: {
                  ...(proof.html ? { Html: utf8(proof.html) } : {}),
                  ...(proof.text ? { Text: utf8(proof.text) } : {}),
                },
                ...(proof.headers.length
                  ? { Headers: proof.headers.map((h) => ({ Name: h.name, Value: h.value })) }
                  : {}),
              },
            },
          }),
        );
        out.push(
          r.MessageId
            ? { to, status: "sent", messageId: r.MessageId }
            : { to, status: "failed", error: "SES answered without a MessageId" },
        );
      } catch (e) {
        out.push({ to, status: "failed", error: describeAwsError(e, "sending a proof (SendEmail)").message });
      }
    }
    return out;
  }

  private failed(e: unknown, bulk: boolean): EntryResult {
    const result = failedCall(e, bulk, !this.reached);
    if ((e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode !== undefined)
      this.reached = true;
    return result;
  }

  async campaignMetrics(
    campaign: { dimension?: string; value: string; variant?: string },
    since: Date,
    until?: Date,
  ): Promise<CampaignMetrics | undefined> {
    if (!campaign.dimension) return undefined;
    const dims = [{ Name: campaign.dimension, Value: campaign.value }];
    // A variant's metrics are the variants' destination's: CloudWatch keeps each combination of
    // dimensions as a metric of its own, so campaign and variant are asked for together.
    if (campaign.variant !== undefined) dims.push({ Name: "variant", Value: campaign.variant }); // config/variants.ts VARIANT_TAG
    const names = {
      delivered: "Delivery",
      bounced: "Bounce",
      complained: "Complaint",
      opened: "Open",
      clicked: "Click",
    } as const;
    try {
      const r = await this.cw.send(
        new GetMetricDataCommand({
          ...window(since, 86400, until),
          MetricDataQueries: Object.entries(names).map(([id, MetricName]) => ({
            Id: id,
            MetricStat: {
              Metric: { Namespace: "AWS/SES", MetricName, Dimensions: dims },
              Period: 86400,
              Stat: "Sum",
            },
          })),
        }),
      );
      const sum = (id: string) =>
        (r.MetricDataResults ?? []).find((m) => m.Id === id)?.Values?.reduce((a, b) => a + b, 0) ?? 0;
      return {
        delivered: sum("delivered"),
        bounced: sum("bounced"),
        complained: sum("complained"),
        opened: sum("opened"),
        clicked: sum("clicked"),
      };
    } catch (e) {
      throw describeAwsError(e, "reading campaign metrics (GetMetricData)");
    }
  }

  async rates(configurationSet: string | undefined, since: Date) {
    const dims = configurationSet ? [{ Name: "ses:configuration-set", Value: configurationSet }] : [];
    const metric = (Id: string, MetricName: string, Stat: string) => ({
      Id,
      MetricStat: { Metric: { Namespace: "AWS/SES", MetricName, Dimensions: dims }, Period: 300, Stat },
    });
    try {
      const r = await this.cw.send(
        new GetMetricDataCommand({
          ...window(since, 300),
          MetricDataQueries: [
            metric("send", "Send", "Sum"),
            metric("bounce", "Bounce", "Sum"),
            metric("complaint", "Complaint", "Sum"),
          ],
        }),
      );
      const sum = (id: string) =>
        (r.MetricDataResults ?? []).find((m) => m.Id === id)?.Values?.reduce((a, b) => a + b, 0) ?? 0;
      const sent = sum("send");
      return {
        sent,
        bounceRate: sent ? sum("bounce") / sent : 0,
        complaintRate: sent ? sum("complaint") / sent : 0,
      };
    } catch {
      // Guardrail data is best effort: a metrics hiccup must not stop a send.
      return undefined;
    }
  }
}

/** CloudWatch wants a start before the end, on period boundaries: widen [since, until or now] to whole periods. */
function window(since: Date, periodSeconds: number, until?: Date): { StartTime: Date; EndTime: Date } {
  const p = periodSeconds * 1000;
  const start = Math.floor(since.getTime() / p) * p;
  const end = Math.max(start + p, Math.ceil((until?.getTime() ?? Date.now()) / p) * p);
  return { StartTime: new Date(start), EndTime: new Date(end) };
}
