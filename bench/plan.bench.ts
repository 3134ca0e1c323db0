/**
 * `mailops plan` on 1,000 templates that are all in place (so every template is read and
 * compared, and the plan is "No changes"): on the aws target against aws-ses-v2-local through
 * the test SES router, and on the local target. docs/performance.md sets no number, only "bounded by SES
 * read limits, not by mailops": so the figures are the time per template read, mailops' own CPU
 * per read, and one run at SES's real read rate with mailops' share of a core there.
 *
 * The emulators and the router run in a child process (emulator-host.ts), so process.cpuUsage() of this process
 * is mailops' own work: loading and validating the repository, the SDK, pacing, diffing.
 * The emulators have no rate limits: the aws runs raise MAILOPS_SES_READ_RATE / _WRITE_RATE,
 * and the figure names say so.
 */
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { runApply } from "../src/cli/apply.js";
import { runPlan } from "../src/cli/plan.js";
import { DEFAULT_READ_RATE } from "../src/targets/aws/index.js";
import { emulatorEnv } from "../test/support/emulators.js";
import { setEnv, startEmulatorHost } from "./emulator-host.js";
import { generateRepo } from "./generate.js";
import type { Figure } from "./measure.js";

const TEMPLATES = 1000;
/** "Raised": the emulators have no limits; this only keeps the pacer out of the way. */
const RAISED_RATE = 100_000;

interface Run {
  ms: number;
  cpuMs: number;
}

const quiet = { out: () => {}, err: () => {} };

export async function benchPlan(): Promise<Figure[]> {
  const root = await mkdtemp(path.join(tmpdir(), "mailops-bench-plan-"));
  const host = await startEmulatorHost();
  let restoreEnv = () => {};
  try {
    const awsRepo = repo(path.join(root, "aws"));
    const localRepo = repo(path.join(root, "local"));
    restoreEnv = setEnv({
      ...emulatorEnv({ sesv2: host.endpoints.sesv2, cloudwatch: host.endpoints.moto }),
      MAILOPS_SES_READ_RATE: String(RAISED_RATE),
      MAILOPS_SES_WRITE_RATE: String(RAISED_RATE),
    });

    const setup = await measure(() => runApply({ dir: awsRepo, target: "aws" }, quiet));
    // Each run checks it found every template in place ("No changes").
    const raised = median3(await repeat(3, () => plan(awsRepo, "aws")));
    // At SES's real read limit, once: this is the figure a user waits for.
    process.env.MAILOPS_SES_READ_RATE = String(DEFAULT_READ_RATE);
    const paced = await plan(awsRepo, "aws");

    await runApply({ dir: localRepo, target: "local" }, quiet);
    const local = median3(await repeat(3, () => plan(localRepo, "local")));

    const n = TEMPLATES.toLocaleString("en-US");
    const share = (r: Run) => `${((r.cpuMs / r.ms) * 100).toFixed(0)}%`;
    return [
      { name: "aws target on aws-ses-v2-local, via the SES router", value: "" },
      { name: `  apply ${n} templates, write rate raised (setup)`, ms: setup.ms },
      { name: `  plan ${n} templates, read rate raised (med. of 3)`, ms: raised.ms },
      { name: "    per template read (wall)", value: `${(raised.ms / TEMPLATES).toFixed(2)} ms` },
      {
        name: "    mailops CPU per read (validate + SDK + diff)",
        value: `${(raised.cpuMs / TEMPLATES).toFixed(2)} ms`,
      },
      { name: "    mailops CPU / wall", value: share(raised) },
      { name: `  plan ${n} templates at SES's ${DEFAULT_READ_RATE} reads/s (default)`, ms: paced.ms },
      {
        name: `    floor set by the pace (${n} / ${DEFAULT_READ_RATE} per s)`,
        ms: (TEMPLATES / DEFAULT_READ_RATE) * 1000,
      },
      { name: "    mailops CPU / wall (share of one core)", value: share(paced) },
      { name: "local target", value: "" },
      { name: `  plan ${n} templates (median of 3)`, ms: local.ms },
      { name: "    per template", value: `${(local.ms / TEMPLATES).toFixed(3)} ms` },
    ];
  } finally {
    restoreEnv();
    await host.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/** 1,000 templates and their contact list; nothing else (event destinations are not emulated). */
function repo(dir: string): string {
  generateRepo(dir, { templates: TEMPLATES, campaigns: 0, segments: 0 });
  writeFileSync(
    path.join(dir, "mailops.yaml"),
    `project: bench
aws: { region: us-east-1 }
sender:
  from: "Bench <news@example.com>"
  identity: example.com
  postal_address: "Bench Inc, 1 Main St, Springfield"
unsubscribe:
  mode: ses-list
  contact_list: bench
  topics: { promotions: Promotions }
`,
  );
  return dir;
}

async function plan(dir: string, target: "aws" | "local"): Promise<Run> {
  return measure(async () => {
    const code = await runPlan({ dir, target, format: "text", detailedExitcode: true }, quiet);
    if (code !== 0) throw new Error(`plan on ${target} should show no changes, exit code ${code}`);
  });
}

async function measure(fn: () => Promise<unknown>): Promise<Run> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

async function repeat(n: number, fn: () => Promise<Run>): Promise<Run[]> {
  const out: Run[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}

function median3(runs: Run[]): Run {
  return [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)] as Run;
}
