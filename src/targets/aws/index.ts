/** The `aws` target: SES v2 and CloudWatch through the AWS SDK v3, paced within SES's limits. */
import { GetAccountCommand, GetEmailIdentityCommand } from "@aws-sdk/client-sesv2";
import type { Change } from "../../plan/plan.js";
import type { KindName, LiveResource } from "../../plan/resource.js";
import type { AccountFacts, IdentityFacts, Sender, SuppressionCheck, Target } from "../port.js";
import { cloudWatchClient, sendClient, sesClient } from "./clients.js";
import { applyAlarm, applyDashboard, readAlarms, readDashboard } from "./cloudwatch.js";
import { describeAwsError, isNotFound } from "./errors.js";
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
import { awsSuppressedKeys } from "./suppression.js";

export interface AwsTargetOptions {
  region: string;
  /** SES control-plane reads per second (GetEmailTemplate and friends allow about 50). */
  readRate?: number;
  /** SES template writes per second (about 1). */
  writeRate?: number;
}

const envRate = (name: string): number | undefined => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : undefined;
};

export class AwsTarget implements Target {
  readonly name = "aws" as const;
  private readonly ses;
  private readonly cw;
  private readonly reads: Pacer;
  private readonly writes: Pacer;

  constructor(private readonly options: AwsTargetOptions) {
    this.ses = sesClient(options);
    this.cw = cloudWatchClient(options);
    // Overridable for emulators, which have no such limits.
    this.reads = new Pacer(options.readRate ?? envRate("MAILOPS_SES_READ_RATE") ?? 40);
    this.writes = new Pacer(options.writeRate ?? envRate("MAILOPS_SES_WRITE_RATE") ?? 1);
  }

  async read(wanted: { kind: KindName; name: string }[]): Promise<LiveResource[]> {
    const by = (kind: KindName) => wanted.filter((w) => w.kind === kind).map((w) => w.name);
    const out: LiveResource[] = [];
    try {
      const sesReads: (() => Promise<LiveResource | LiveResource[] | undefined>)[] = [
        ...by("template").map((n) => () => readTemplate(this.ses, n)),
        ...by("configuration-set").map((n) => () => readConfigurationSet(this.ses, n)),
        ...by("contact-list").map((n) => () => readContactList(this.ses, n)),
      ];
      const destinationSets = [...new Set(by("event-destination").map((n) => n.split("/")[0] ?? ""))];
      const wantedDestinations = new Set(by("event-destination"));
      sesReads.push(
        ...destinationSets.map(
          (set) => async () =>
            (await readEventDestinations(this.ses, set)).filter((d) => wantedDestinations.has(d.name)),
        ),
      );
      const results = await mapLimit(sesReads, 8, async (read) => {
        await this.reads.wait();
        return read();
      });
      for (const r of results) {
        if (Array.isArray(r)) out.push(...r);
        else if (r) out.push(r);
      }
      const alarms = by("alarm");
      if (alarms.length) out.push(...(await readAlarms(this.cw, alarms)));
      for (const d of by("dashboard")) {
        const r = await readDashboard(this.cw, d);
        if (r) out.push(r);
      }
    } catch (e) {
      throw describeAwsError(e, "reading SES and CloudWatch resources");
    }
    return out;
  }

  async apply(change: Change, tags: Record<string, string>): Promise<void> {
    try {
      switch (change.kind) {
        case "template":
          await this.writes.wait();
          return await applyTemplate(this.ses, change, tags);
        case "configuration-set":
          return await applyConfigurationSet(this.ses, change, tags);
        case "event-destination":
          return await applyEventDestination(this.ses, change);
        case "contact-list":
          return await applyContactList(this.ses, change, tags);
        case "alarm":
          return await applyAlarm(this.cw, change, tags);
        case "dashboard":
          return await applyDashboard(this.cw, change);
      }
    } catch (e) {
      throw describeAwsError(e, `${change.action} ${change.kind} ${change.name}`);
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

  async identity(identity: string): Promise<IdentityFacts> {
    try {
      const r = await this.ses.send(new GetEmailIdentityCommand({ EmailIdentity: identity }));
      return { identity, verified: r.VerifiedForSendingStatus === true };
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
