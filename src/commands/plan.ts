import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Project } from "../config/model.js";
import { TargetError } from "../errors.js";
import { desiredResources, needsAccount, withAccount } from "../plan/desired.js";
import { identityReports } from "../plan/identities.js";
import { emptyInventory, INVENTORY_KEY, type Inventory, parseInventory } from "../plan/inventory.js";
import { buildPlan, hasChanges, type Plan } from "../plan/plan.js";
import { writePlanFile } from "../plan/planfile.js";
import { type DesiredResource, type KindName, type LiveResource, resourceKey } from "../plan/resource.js";
import type { Store } from "../store/index.js";
import type { Target } from "../targets/port.js";
import { identityCoverage } from "./identity-coverage.js";
import {
  type LostState,
  lostStateOfPlan,
  lostStateWarning,
  storeIsEmpty,
  TAGGED_KINDS,
} from "./lost-state.js";
import type { Session } from "./session.js";

/** The plan use case's report: the Plan, plain data (plan/plan.ts) that the front ends present. */
export type { Plan } from "../plan/plan.js";

export interface InventoryState {
  inventory: Inventory;
  /** Store etag of the inventory read, for compare-and-swap writes; undefined when none exists yet. */
  etag?: string;
}

export async function readInventory(store: Store, project: string): Promise<InventoryState> {
  const got = await store.get(INVENTORY_KEY);
  if (!got) return { inventory: emptyInventory(project) };
  try {
    return { inventory: parseInventory(got.body, project, store.location), etag: got.etag };
  } catch (e) {
    throw new TargetError(
      (e as Error).message,
      `inspect ${store.location}/${INVENTORY_KEY}; restore it from a backup or delete it to start over`,
    );
  }
}

/** Account facts a reviewer should see before approving (sandbox, paused sending, unverified identity). */
export async function accountWarnings(target: Target, project: Project): Promise<string[]> {
  const warnings: string[] = [];
  const account = await target.account();
  if (!account.productionAccess) {
    warnings.push(
      "the SES account is in the sandbox: it sends only to verified addresses, at most 200 a day",
    );
  }
  if (!account.sendingEnabled) warnings.push("sending is disabled for this SES account");
  if (account.enforcementStatus && account.enforcementStatus !== "HEALTHY") {
    warnings.push(`the SES account is under review (enforcement status ${account.enforcementStatus})`);
  }
  const identity =
    project.settings.sender.identity ?? project.settings.sender.from?.replace(/^.*<|>.*$/g, "").split("@")[1];
  if (identity) {
    const facts = await target.identity(identity);
    if (!facts.verified)
      warnings.push(`the sender identity ${identity} is not verified in SES: sending from it will fail`);
  }
  return warnings;
}

export interface PlanContext {
  plan: Plan;
  inventory: InventoryState;
  /** The store is empty while the target holds this project's resources (lost-state.ts). */
  lost?: LostState;
}

/**
 * The plan of the session's project against its target and state store, made at `session.now()`.
 * An offline session (a pull request from a fork) reads nothing: the desired state against an
 * empty live state and inventory, without account warnings.
 */
export async function makePlan(
  session: Session,
  options: {
    force: boolean;
    /**
     * The caller goes on past a lost store (--state-lost-ok): what takes no tag (event destinations,
     * dashboards) was ours by the lost inventory alone, so the plan adopts it, in plain sight.
     */
    stateLostOk?: boolean;
  },
): Promise<PlanContext> {
  const { project } = session;
  const now = session.now();
  if (session.offline) return offlinePlan(session, options.force);
  const target = await session.target();
  const desired = await withTargetAccount(target, desiredResources(project));
  const store = session.store();
  const inventory = await readInventory(store, project.settings.project);
  const wanted = new Map<string, { kind: KindName; name: string }>();
  for (const r of desired) wanted.set(resourceKey(r), { kind: r.kind, name: r.name });
  for (const e of Object.values(inventory.inventory.resources))
    wanted.set(resourceKey(e), { kind: e.kind, name: e.name });
  const [live, warnings, empty] = await Promise.all([
    target.read([...wanted.values()]),
    accountWarnings(target, project),
    inventory.etag === undefined ? storeIsEmpty(store, true) : false,
  ]);
  // Before apply writes an inventory: once written, a lost store no longer looks lost.
  const lost = empty ? await lostStateOfPlan(project, target, store, live, now) : undefined;
  if (lost) warnings.push(lostStateWarning(lost));
  const plan = buildPlan({
    project: project.settings.project,
    target: target.name,
    desired: lost && options.stateLostOk ? adoptUntagged(desired) : desired,
    live,
    inventory: inventory.inventory,
    maxDeletePercent: project.settings.guardrails.maxDeletePercent,
    force: options.force,
    warnings,
    now,
  });
  await addIdentities(plan, project, target, live, options.force);
  return { plan, inventory, ...(lost ? { lost } : {}) };
}

/** A fork's pull request: the desired state against nothing live, no account warnings. */
function offlinePlan(session: Session, force: boolean): PlanContext {
  const { project } = session;
  const inventory = { inventory: emptyInventory(project.settings.project) };
  const plan = buildPlan({
    project: project.settings.project,
    target: session.targetName,
    desired: desiredResources(project),
    live: [],
    inventory: inventory.inventory,
    maxDeletePercent: project.settings.guardrails.maxDeletePercent,
    force,
    warnings: [],
    now: session.now(),
  });
  if (Object.keys(project.settings.identities).length > 0)
    plan.identities = identityReports(project.settings, [], {
      verifiesAtOnce: session.targetName === "local",
    });
  return { plan, inventory };
}

/** SNS topics mailops makes are named by ARN, which carries the account id (desired.ts). */
async function withTargetAccount(target: Target, desired: DesiredResource[]): Promise<DesiredResource[]> {
  if (!needsAccount(desired) || !target.accountId) return desired;
  const account = await target.accountId();
  return account ? withAccount(desired, account) : desired;
}

/**
 * The identities' report, and the From coverage (identity-coverage.ts): with identities declared,
 * and also when none is any more, since deleting the last one may leave a From without one.
 */
async function addIdentities(
  plan: Plan,
  project: Project,
  target: Target,
  live: LiveResource[],
  force: boolean,
): Promise<void> {
  const declares = Object.keys(project.settings.identities).length > 0;
  if (!declares && !plan.changes.some((c) => c.kind === "identity")) return;
  if (declares)
    plan.identities = identityReports(project.settings, live, { verifiesAtOnce: target.name === "local" });
  const coverage = await identityCoverage(project, target, plan);
  plan.warnings.push(...coverage.warnings);
  if (!force) plan.blocked.push(...coverage.blocked);
}

const adoptUntagged = (desired: DesiredResource[]): DesiredResource[] =>
  desired.map((d) => (TAGGED_KINDS.has(d.kind) ? d : { ...d, adopt: true }));

/** What plan made: the Plan, and whether it changes anything. */
export interface PlanReport {
  plan: Plan;
  /** Changes, or resources in the way: `plan --detailed-exitcode` exits 2. */
  changed: boolean;
}

/** The plan use case: the plan of the session's project; `writePlan` writes it as the plan file. */
export async function planProject(session: Session): Promise<PlanReport> {
  const { plan } = await makePlan(session, { force: false });
  return { plan, changed: hasChanges(plan) };
}

/** A plan written as the plan file, and whether it changes anything (as `plan --detailed-exitcode` counts). */
export interface PlanFileReport extends PlanReport {
  /** The plan file written. */
  file: string;
}

/** The session's plan (makePlan), written at `file` as the plan file `apply --plan` reads. */
export async function planToFile(session: Session, file: string): Promise<PlanFileReport> {
  const report = await planProject(session);
  return { ...report, file: savePlan(report.plan, file) };
}

/** Writes `plan` at `file` as the plan file `apply --plan` reads (`plan --out`). Returns the file. */
export function writePlan(plan: Plan, file: string): string {
  writePlanFile(file, plan);
  return file;
}

/** writePlan, its folder made when missing: the Action's `plan-path` output. */
export function savePlan(plan: Plan, file: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  return writePlan(plan, file);
}
