/** `mailops deploy`: what a merge runs. validate → plan → apply → send --due, one summary. */
import { existsSync } from "node:fs";
import path from "node:path";
import { formatPlanText } from "../plan/format/text.js";
import { applyPlan, assertApplicable, failureError, formatOutcome } from "./apply.js";
import { type Io, loadValid, openTarget, projectStore, type TargetFactory, targetName } from "./context.js";
import { makePlan } from "./plan.js";
import { formatSendResults, sendCampaigns } from "./send.js";

export interface DeployOptions {
  dir: string;
  target?: string;
  now?: string;
  force?: boolean;
}

export async function runDeploy(
  options: DeployOptions,
  io: Io,
  factory: TargetFactory = openTarget,
): Promise<number> {
  io.err("validate: checking the repository\n");
  const project = loadValid(options.dir, io);
  const target = await factory(targetName(project, options.target), project);
  const store = projectStore(project);
  const { plan, inventory } = await makePlan(project, target, store, {
    force: options.force ?? false,
    now: new Date(),
  });
  io.err(formatPlanText(plan));
  assertApplicable(plan);
  const outcome = await applyPlan(plan, target, store, inventory, {
    project: project.settings.project,
    now: () => new Date(),
    progress: (line) => io.err(`${line}\n`),
  });
  io.out(`apply:\n${formatOutcome(outcome)}`);
  const failure = failureError(outcome);
  if (failure) throw failure;
  const results = await sendCampaigns(
    project,
    { dir: options.dir, target: target.name, due: true, now: options.now },
    io,
    async () => target,
  );
  io.out(`send:\n${formatSendResults(results, false)}`);
  if (target.name === "local") {
    // Where to look: the outbox index of every campaign that has one.
    const indexes = [...project.campaigns.keys()]
      .map((c) => path.join(project.root, ".mailops", "outbox", c, "index.html"))
      .filter((p) => existsSync(p));
    if (indexes.length) io.out(`Outbox: ${indexes.join(", ")}\n`);
  }
  return results.some((r) => r.state === "refused" || r.state === "stopped" || r.state === "partial") ? 1 : 0;
}
