/** The `aws` target: SES v2, SNS and CloudWatch through the AWS SDK v3, paced within SES's limits. */
import { GetAccountCommand, GetEmailIdentityCommand } from "@aws-sdk/client-sesv2";
import type { SuppressionCheck } from "../../audience/index.js";
import type { Change } from "../../plan/plan.js";
import type { KindName, LiveResource } from "../../plan/resource.js";
import type { AccountFacts, Capabilities, IdentityFacts, Sender, Target } from "../port.js";
import { cloudWatchClient, sendClient, sesClient, snsClient } from "./clients.js";
import { applyAlarm, applyDashboard, readAlarms, readDashboard } from "./cloudwatch.js";
import { describeAwsError, isNotFound, type Service } from "./errors.js";
import { applyIdentity, readIdentity } from "./identities.js";
import { mapLimit, Pacer } from "./pace.js";
import { AwsSender } from "./sender.js";
import {
  applyConfigurationSet,
  applyContactList,
  applyEventDestination,
  applyTemplate,
  readConfigurationSet,
  readContactList,
  readEventDestinations,
  readTemplate,
} from "./ses.js";
import { SnsTopics } from "./sns.js";
import { awsSuppressedKeys } from "./suppression.js";

export interface AwsTargetOptions {
  region: string;
  /** SES control-plane reads per second; default 40 (SES allows about 50), or MAILOPS_SES_READ_RATE. */
  readRate?: number;
  /** SES writes per second; default 1 (SES allows about 1 template write a second), or MAILOPS_SES_WRITE_RATE. */
  writeRate?: number;
}

export const DEFAULT_READ_RATE = 40;
export const DEFAULT_WRITE_RATE = 1;
/** Reads in flight: enough to keep the read rate busy at AWS latencies (40/s × ~100 ms). */
const READ_CONCURRENCY = 8;

/** A positive number from the environment (emulators have no limits: tests and benchmarks raise them). */
const envRate = (name: string): number | undefined => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const v = Number(raw);
  return v > 0 ? v : undefined;
};

const serviceOf = (kind: KindName): Service =>
  kind === "alarm" || kind === "dashboard" ? "CloudWatch" : kind === "sns-topic" ? "SNS" : "SES";

export class AwsTarget implements Target {
  readonly name = "aws" as const;
  /** SES paces a send at the account's maximum send rate; the metrics are CloudWatch's. */
  readonly capabilities: Capabilities = { sendRate: "account", metrics: "cloudwatch" };
  private readonly ses;
  private readonly cw;
  private readonly topics: SnsTopics;
  /** The rates in force, after options and environment. */
  readonly pacing: { readsPerSecond: number; writesPerSecond: number };

  constructor(private readonly options: AwsTargetOptions) {
    const reads = new Pacer(options.readRate ?? envRate("MAILOPS_SES_READ_RATE") ?? DEFAULT_READ_RATE);
    const writes = new Pacer(options.writeRate ?? envRate("MAILOPS_SES_WRITE_RATE") ?? DEFAULT_WRITE_RATE);
    this.pacing = { readsPerSecond: reads.perSecond, writesPerSecond: writes.perSecond };
    this.ses = sesClient(options, { reads, writes });
    this.cw = cloudWatchClient(options);
    this.topics = new SnsTopics(snsClient(options));
  }

  async read(wanted: { kind: KindName; name: string }[]): Promise<LiveResource[]> {
    const by = (kind: KindName) => wanted.filter((w) => w.kind === kind).map((w) => w.name);
    type Read = {
      what: string;
      service?: Service;
      run: () => Promise<LiveResource | LiveResource[] | undefined>;
    };
    const reads: Read[] = [
      ...by("template").map((n) => ({ what: `email template ${n}`, run: () => readTemplate(this.ses, n) })),
      ...by("configuration-set").map((n) => ({
        what: `configuration set ${n}`,
        run: () => readConfigurationSet(this.ses, n),
      })),
      ...by("contact-list").map((n) => ({
        what: `contact list ${n}`,
        run: () => readContactList(this.ses, n),
      })),
      ...by("identity").map((n) => ({ what: `email identity ${n}`, run: () => readIdentity(this.ses, n) })),
      ...by("sns-topic").map((n) => ({
        what: `SNS topic ${n}`,
        service: "SNS" as const,
        run: () => this.topics.read(n),
      })),
    ];
    // One call reads all destinations of a set; keep only the ones asked for.
    const wantedDestinations = new Set(by("event-destination"));
    const destinationSets = [...new Set([...wantedDestinations].map((n) => n.split("/")[0] ?? ""))];
    for (const set of destinationSets) {
      reads.push({
        what: `event destinations of configuration set ${set}`,
        run: async () =>
          (await readEventDestinations(this.ses, set)).filter((d) => wantedDestinations.has(d.name)),
      });
    }
    const alarms = by("alarm");
    if (alarms.length) {
      reads.push({
        what: `CloudWatch alarms ${alarms.join(", ")}`,
        service: "CloudWatch",
        run: () => readAlarms(this.cw, alarms),
      });
    }
    for (const d of by("dashboard")) {
      reads.push({
        what: `CloudWatch dashboard ${d}`,
        service: "CloudWatch",
        run: () => readDashboard(this.cw, d),
      });
    }
    // SES reads are paced by the client (pace.ts); parallel so the pace, not latency, sets the time.
    const results = await mapLimit(reads, READ_CONCURRENCY, async (r) => {
      try {
        return await r.run();
      } catch (e) {
        throw describeAwsError(e, `reading ${r.what}`, r.service);
      }
    });
    const out: LiveResource[] = [];
    for (const r of results) {
      if (Array.isArray(r)) out.push(...r);
      else if (r) out.push(r);
    }
    return out;
  }

  async apply(change: Change, tags: Record<string, string>): Promise<void> {
    try {
      switch (change.kind) {
        case "template":
          return await applyTemplate(this.ses, change, tags);
        case "configuration-set":
          return await applyConfigurationSet(this.ses, change, tags);
        case "event-destination":
          // A plan made before any topic existed names its topic's account by placeholder.
          return await applyEventDestination(this.ses, {
            ...change,
            after: this.topics.filledSpec(change.after),
          });
        case "identity":
          return await applyIdentity(this.ses, change, tags);
        case "sns-topic":
          return await this.topics.apply(change, tags);
        case "contact-list":
          return await applyContactList(this.ses, change, tags);
        case "alarm":
          return await applyAlarm(this.cw, change, tags);
        case "dashboard":
          return await applyDashboard(this.cw, change);
      }
    } catch (e) {
      // The caller names the change ("could not create email template x: …").
      throw describeAwsError(e, undefined, serviceOf(change.kind));
    }
  }

  async account(): Promise<AccountFacts> {
    try {
      const r = await this.ses.send(new GetAccountCommand({}));
      const q = r.SendQuota ?? {};
      return {
        productionAccess: r.ProductionAccessEnabled ?? false,
        sendingEnabled: r.SendingEnabled ?? false,
        maxSendRate: q.MaxSendRate,
        max24HourSend: q.Max24HourSend === undefined || q.Max24HourSend < 0 ? undefined : q.Max24HourSend,
        sentLast24Hours: q.SentLast24Hours ?? 0,
        enforcementStatus: r.EnforcementStatus,
      };
    } catch (e) {
      throw describeAwsError(e, "reading the SES account (GetAccount)");
    }
  }

  async accountId(): Promise<string | undefined> {
    try {
      return await this.topics.accountId();
    } catch (e) {
      throw describeAwsError(e, "listing SNS topics (to name the account in topic ARNs)", "SNS");
    }
  }

  async identity(identity: string): Promise<IdentityFacts> {
    try {
      const r = await this.ses.send(new GetEmailIdentityCommand({ EmailIdentity: identity }));
      return {
        identity,
        verified: r.VerifiedForSendingStatus === true,
        ...(r.VerificationStatus ? { status: r.VerificationStatus } : {}),
      };
    } catch (e) {
      if (isNotFound(e)) return { identity, verified: false };
      throw describeAwsError(e, `reading the SES identity ${identity}`);
    }
  }

  sender(): Sender {
    return new AwsSender(sendClient(this.options), this.cw);
  }

  async suppression(list?: { contactList: string; topic?: string }): Promise<SuppressionCheck> {
    return awsSuppressedKeys(this.ses, list);
  }

  get region(): string {
    return this.options.region;
  }
}
