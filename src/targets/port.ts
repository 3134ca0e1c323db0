/**
 * The one interface every target implements (DNSControl's small provider interface):
 * read what exists, apply one change, and report account facts. Capabilities are data.
 */
import type { Change } from "../plan/plan.js";
import type { KindName, LiveResource } from "../plan/resource.js";

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
  verified: boolean;
}

export interface Target {
  readonly name: "local" | "aws";
  /** Live state of the named resources; absent ones are simply not returned. */
  read(wanted: { kind: KindName; name: string }[]): Promise<LiveResource[]>;
  /** Apply one change; `tags` are added on create. Throws on failure, having changed nothing or exactly this one resource. */
  apply(change: Change, tags: Record<string, string>): Promise<void>;
  account(): Promise<AccountFacts>;
  identity(identity: string): Promise<IdentityFacts>;
}
