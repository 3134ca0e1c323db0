/**
 * A repository on GitHub before AWS is set up: the workflows run on the `local` target, whose
 * outbox, ledger and inventory live on the runner's disk and are gone after the job. Sending there
 * reaches no one and is forgotten, so every deploy would "send" again; the flows that act only
 * validate and plan, and say what to set up to really send.
 */
import * as core from "@actions/core";
import type { TargetName } from "../commands/context.js";
import type { ActionCommand } from "./inputs.js";

/**
 * Not set up for sending: on a runner, on the local target that mailops.yaml chose. A target the
 * workflow chose (the `target` input, i.e. the repository variable MAILOPS_TARGET, or the
 * MAILOPS_TARGET environment variable) is a deliberate choice, `local` included.
 */
export function awaitingSetup(target: TargetName, input: string | undefined): boolean {
  const chosen = Boolean(input?.trim() || process.env.MAILOPS_TARGET?.trim());
  return process.env.GITHUB_ACTIONS === "true" && target === "local" && !chosen;
}

const SETUP = "docs/github-setup.md";

/** What this run did not do, and what to set up so that it does. */
export function setupNotice(command: Exclude<ActionCommand, "pr">, markdown = true): string {
  const c = (s: string) => (markdown ? `\`${s}\`` : s);
  const skipped =
    command === "drift"
      ? "compared nothing with live SES"
      : command === "deploy"
        ? "applied nothing and sent nothing"
        : "sent nothing";
  return [
    `AWS is not set up for this repository yet, so this run validated and planned only and ${skipped}:`,
    `on a runner the ${c("local")} target's outbox and state are discarded after the job.`,
    `To really send, follow ${SETUP}: ${c("mailops bootstrap")} sets up the state bucket and prints the roles' template;`,
    `then set the repository variables ${c("MAILOPS_TARGET")} to ${c("aws")}, ${c("AWS_REGION")} and the role ARNs`,
    `(${c("MAILOPS_PLAN_ROLE_ARN")}, ${c("MAILOPS_DEPLOY_ROLE_ARN")}, ${c("MAILOPS_SEND_ROLE_ARN")}, ${c("MAILOPS_DRIFT_ROLE_ARN")}).`,
  ].join(" ");
}

/** The notice as an annotation, and as the job summary's opening section. */
export function announceSetup(command: Exclude<ActionCommand, "pr">): string {
  core.notice(setupNotice(command, false), { title: "mailops: not sending yet" });
  return `> ℹ️ **Not sending yet.** ${setupNotice(command)}\n`;
}
