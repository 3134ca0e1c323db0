/**
 * `mailops deploy`: the plan as progress on stderr, then what was applied and sent as text, or
 * the deploy report as JSON (`kind: "deploy"`). A refused plan or a failed change ends the command
 * as its typed error, after the JSON in `--format json`; exit 1 when a campaign was not sent
 * completely.
 */
import { failureError, refusalError } from "../commands/apply.js";
import type { TargetFactory } from "../commands/context.js";
import { type DeployResult, deploy, deployReport } from "../commands/deploy.js";
import { lockedError, sendFailed } from "../commands/send.js";
import type { Session } from "../commands/session.js";
import { formatOutcome } from "../present/apply.js";
import type { Io } from "../present/io.js";
import { type ReportFormat, reportJson } from "./format.js";
import { formatSendResults } from "./send.js";
import { cliSession } from "./session.js";

export interface DeployOptions {
  dir: string;
  target?: string;
  now?: string;
  force?: boolean;
  /** Go on although the state store appears lost (lost-state.ts): recipients are sent again. */
  stateLostOk?: boolean;
  format?: ReportFormat;
  /** `--progress`: send progress lines on stderr although it is not a terminal. */
  progress?: boolean;
}

export async function runDeploy(options: DeployOptions, io: Io, factory?: TargetFactory): Promise<number> {
  io.err("validate: checking the repository\n");
  const session = cliSession(options, io, factory);
  const result = await deploy(session, {
    force: options.force ?? false,
    ...(options.stateLostOk ? { stateLostOk: true } : {}),
  });
  return presentDeploy(session, result, options.format ?? "text", io);
}

export function presentDeploy(session: Session, result: DeployResult, format: ReportFormat, io: Io): number {
  // Another run holds the send lock: the command ends as the lock's error, before any report.
  if (result.locked) throw lockedError(result.locked);
  if (format === "json") io.out(reportJson("deploy", deployReport(session, result)));
  if (result.refused) throw refusalError(result.refused);
  if (format === "text") io.out(`apply:\n${formatOutcome(result.outcome)}`);
  const failure = failureError(result.outcome);
  if (failure) throw failure;
  if (format === "text") {
    io.out(`send:\n${formatSendResults(result.results)}`);
    if (result.outboxes.length) io.out(`Outbox: ${result.outboxes.join(", ")}\n`);
  }
  return sendFailed(result.results) ? 1 : 0;
}
