/**
 * Sending through SES v2. `link` mode: SendBulkEmail, up to 50 destinations a call, complete
 * data and List-Unsubscribe headers per entry. `ses-list` mode: SendEmail per recipient with
 * ListManagementOptions (SendBulkEmail has none), SES then adds the one-click headers itself.
 * Every entry's status is checked; only retryable ones are retried.
 */
import { type CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { type SESv2Client, SendBulkEmailCommand, SendEmailCommand } from "@aws-sdk/client-sesv2";
import type { CampaignMetrics, EntryResult, Sender, SendRequest } from "../port.js";
import { ThrottledError } from "../port.js";
import { describeAwsError } from "./errors.js";

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

const isThrottle = (e: unknown) => {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === "TooManyRequestsException" || err?.$metadata?.httpStatusCode === 429;
};

const STOP_ERRORS = [
  "AccountSuspendedException",
  "SendingPausedException",
  "MailFromDomainNotVerifiedException",
];

/** SendEmail calls in flight at once in ses-list mode. */
const SEND_EACH_CONCURRENCY = 10;

export class AwsSender implements Sender {
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

  private async sendBulk(request: SendRequest): Promise<EntryResult[]> {
    try {
      const r = await this.ses.send(
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
      const results = r.BulkEmailEntryResults ?? [];
      return request.messages.map((_, i) => {
        const e = results[i];
        return entryResult(e?.Status, e?.MessageId, e?.Error);
      });
    } catch (e) {
      throw this.callError(e, request.messages.length);
    }
  }

  /**
   * ses-list mode: one SendEmail per recipient, SEND_EACH_CONCURRENCY at a time (one after another,
   * SES's ~50 ms a call would cap a run near 20/s whatever the account's rate). Results keep the
   * messages' order. After a stop answer nothing more starts; the unstarted get the same stop (not
   * sent, so a later run sends them). An unexpected error waits for the calls in flight, then throws.
   */
  private async sendEach(request: SendRequest): Promise<EntryResult[]> {
    const out: EntryResult[] = new Array(request.messages.length);
    let next = 0;
    let stop: EntryResult | undefined;
    let failure: { error: unknown } | undefined;
    const worker = async () => {
      while (!stop && !failure && next < request.messages.length) {
        const i = next++;
        try {
          const result = await this.sendOne(request, request.messages[i] as SendRequest["messages"][number]);
          out[i] = result;
          if (result.status === "stop") stop ??= result;
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(SEND_EACH_CONCURRENCY, request.messages.length) }, worker),
    );
    if (failure) throw failure.error;
    for (let i = next; i < out.length; i++) out[i] = stop as EntryResult;
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
      return r.MessageId
        ? { status: "sent", messageId: r.MessageId }
        : { status: "failed", error: "no MessageId returned" };
    } catch (e) {
      const name = (e as { name?: string }).name ?? "Error";
      if (isThrottle(e)) return { status: "retry", error: "TooManyRequestsException" };
      if (STOP_ERRORS.includes(name)) return { status: "stop", error: `${name}: ${(e as Error).message}` };
      if (name === "MessageRejected" || name === "BadRequestException" || name === "NotFoundException") {
        return { status: "failed", error: `${name}: ${(e as Error).message}` };
      }
      throw describeAwsError(e, "sending");
    }
  }

  private callError(e: unknown, n: number): Error {
    if (isThrottle(e)) return new ThrottledError(`SES throttled a call of ${n} recipients`);
    return describeAwsError(e, "sending");
  }

  async campaignMetrics(
    campaign: { dimension?: string; value: string },
    since: Date,
    until?: Date,
  ): Promise<CampaignMetrics | undefined> {
    if (!campaign.dimension) return undefined;
    const dims = [{ Name: campaign.dimension, Value: campaign.value }];
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
