/**
 * The workflow roles' permissions (src/targets/aws/permissions.ts) against the code that needs them
 * and the docs that show them.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  actionsFor,
  DOC_VALUES,
  PERMISSIONS,
  type PolicyDocument,
  policyFor,
  USE_CASES,
  type UseCase,
  WITHHELD,
} from "../../src/targets/aws/permissions.js";

const root = path.resolve(import.meta.dirname, "../..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}

/** Every value (not `type`) imported from an @aws-sdk/client-* package in src/ that names a call. */
function importedSdkCalls(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const importRe = /import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/client-[a-z0-9-]+"/g;
  for (const file of sourceFiles(path.join(root, "src"))) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(importRe)) {
      for (const raw of (m[1] ?? "").split(",")) {
        const name = raw.trim();
        if (name === "" || name.startsWith("type ")) continue;
        if (!/Command$/.test(name) && !/^paginate/.test(name)) continue;
        found.set(name, [...(found.get(name) ?? []), path.relative(root, file)]);
      }
    }
  }
  return found;
}

/** The JSON policy under each `## <use case>` heading of docs/iam.md. */
function docPolicies(): Map<UseCase, PolicyDocument> {
  const text = readFileSync(path.join(root, "docs/iam.md"), "utf8");
  const out = new Map<UseCase, PolicyDocument>();
  for (const section of text.split(/^## /m).slice(1)) {
    const word = section.split(/\s/)[0] as UseCase;
    if (!USE_CASES.includes(word)) continue;
    const blocks = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1] ?? ""));
    expect(blocks, `docs/iam.md section ${word}: one JSON policy`).toHaveLength(1);
    out.set(word, blocks[0]);
  }
  return out;
}

describe("IAM permissions", () => {
  it("every SDK call imported in src/ is granted to some workflow role, or withheld with a reason", () => {
    const calls = importedSdkCalls();
    expect(calls.size).toBeGreaterThan(20);
    const granted = new Set(PERMISSIONS.flatMap((p) => p.commands));
    const missing = [...calls.keys()].filter((c) => !granted.has(c) && WITHHELD[c] === undefined);
    expect(missing, "add these to PERMISSIONS in src/targets/aws/permissions.ts").toEqual([]);
  });

  it("every row is needed by some use case and names the calls it serves", () => {
    for (const p of PERMISSIONS) {
      expect(p.useCases.length, p.action).toBeGreaterThan(0);
      if (p.commands.length === 0) expect(p.why, `${p.action}: say which call implies it`).toBeTruthy();
      for (const c of p.commands) expect(WITHHELD[c], `${c} is both granted and withheld`).toBeUndefined();
    }
  });

  it("SES, SNS and CloudWatch actions are the command's name", () => {
    for (const p of PERMISSIONS) {
      const [service, action] = p.action.split(":");
      if (service === "s3") continue;
      for (const c of p.commands)
        expect(c.replace(/^paginate/, "").replace(/Command$/, ""), service).toBe(action);
    }
  });

  it("rows of one statement share its resources", () => {
    const bySid = new Map<string, string>();
    for (const p of PERMISSIONS) {
      const key = JSON.stringify([p.resources, p.condition ?? null]);
      expect(bySid.get(p.sid) ?? key, p.sid).toBe(key);
      bySid.set(p.sid, key);
    }
  });

  it("only account-level actions have Resource *", () => {
    const star = PERMISSIONS.filter((p) => p.resources.includes("*")).map((p) => p.action);
    expect(star.sort()).toEqual([
      "cloudwatch:GetMetricData",
      "ses:GetAccount",
      "ses:ListSuppressedDestinations",
      "sns:ListTopics",
    ]);
  });

  it("read-only roles cannot change or send anything, and no role deletes state", () => {
    const writes = /:(Create|Update|Delete|Put|Send|Tag)/;
    for (const useCase of ["plan", "drift"] as const)
      expect(
        [...actionsFor(useCase)].filter((a) => writes.test(a)),
        useCase,
      ).toEqual([]);
    expect([...actionsFor("send")].filter((a) => writes.test(a)).sort()).toEqual([
      "s3:PutObject",
      "ses:SendBulkEmail",
      "ses:SendEmail",
    ]);
    for (const useCase of USE_CASES) expect(actionsFor(useCase).has("s3:DeleteObject")).toBe(false);
    // Drift reads no personal data: no suppression list, contacts or subscriber files.
    expect(actionsFor("drift").has("ses:ListContacts")).toBe(false);
    expect(JSON.stringify(policyFor("drift", DOC_VALUES))).not.toContain("SOURCE-BUCKET");
  });

  it("docs/iam.md shows each role's policy as the table makes it", () => {
    const docs = docPolicies();
    expect([...docs.keys()].sort()).toEqual([...USE_CASES].sort());
    for (const useCase of USE_CASES) {
      const doc = docs.get(useCase) as PolicyDocument;
      const actions = new Set(doc.Statement.flatMap((s) => s.Action));
      expect([...actions].sort(), `actions of ${useCase} in docs/iam.md`).toEqual(
        [...actionsFor(useCase)].sort(),
      );
      expect(doc, `policy of ${useCase} in docs/iam.md`).toEqual(policyFor(useCase, DOC_VALUES));
    }
  });
});
