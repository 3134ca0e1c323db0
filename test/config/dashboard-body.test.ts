/**
 * The settings `mailops import` writes that a hand-written mailops.yaml rarely needs: a dashboard
 * whose body is a file (`dashboard: { name, body, adopt }`), and a contact list's description and
 * `adopt`. Each reaches the desired resources as written.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { validateProject } from "../../src/commands/validate.js";
import { dashboardBody, desiredResources } from "../../src/plan/desired.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const BASE = `project: acme
sender:
  from: "Acme <news@example.com>"
`;

function repo(settings: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), "mailops-dashboard-"));
  dirs.push(dir);
  writeFileSync(path.join(dir, "mailops.yaml"), BASE + settings);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const UNSUBSCRIBE = "unsubscribe:\n  mode: ses-list\n  contact_list: acme\n";
const BODY = { widgets: [{ type: "text", x: 0, y: 0, width: 6, height: 2, properties: { markdown: "hi" } }] };

const desiredOf = (dir: string) => {
  const result = validateProject(dir);
  expect(result.findings.filter((f) => f.severity === "error")).toEqual([]);
  return desiredResources(result.project);
};

describe("dashboard body from a file", () => {
  it("is the desired body, and adopt is taken", () => {
    const dir = repo(`${UNSUBSCRIBE}dashboard:\n  name: ops\n  body: dashboards/ops.json\n  adopt: true\n`, {
      "dashboards/ops.json": JSON.stringify(BODY, null, 2),
    });
    const dashboard = desiredOf(dir).find((r) => r.kind === "dashboard");
    expect(dashboard).toEqual({ kind: "dashboard", name: "ops", adopt: true, spec: { body: BODY } });
  });

  it("a bare name is still the dashboard mailops draws, not adopted", () => {
    const dir = repo(`${UNSUBSCRIBE}dashboard: ops\n`);
    const result = validateProject(dir);
    const dashboard = desiredResources(result.project).find((r) => r.kind === "dashboard");
    expect(dashboard).toEqual({
      kind: "dashboard",
      name: "ops",
      adopt: false,
      spec: { body: dashboardBody(result.project) },
    });
  });

  it.each([
    ["a missing file", {}, "`dashboards/ops.json` does not exist"],
    ["a body without widgets", { "dashboards/ops.json": '{"start": "-PT3H"}' }, "is not a dashboard body"],
    ["invalid JSON", { "dashboards/ops.json": "{ widgets: [] }" }, "is not valid JSON"],
  ])("%s is an error at dashboard.body", (_, files, message) => {
    const dir = repo(`${UNSUBSCRIBE}dashboard:\n  name: ops\n  body: dashboards/ops.json\n`, files);
    const errors = validateProject(dir).findings.filter((f) => f.severity === "error");
    expect(errors.map((f) => [f.rule, f.line])).toEqual([["dashboard/body", 9]]);
    expect(errors[0]?.message).toContain(message);
  });

  it("a body outside the repository is refused", () => {
    const dir = repo(`${UNSUBSCRIBE}dashboard:\n  name: ops\n  body: ../ops.json\n`);
    writeFileSync(path.join(dir, "..", "ops.json"), JSON.stringify(BODY));
    const errors = validateProject(dir).findings.filter((f) => f.severity === "error");
    expect(errors.map((f) => f.rule)).toEqual(["dashboard/body"]);
    expect(errors[0]?.message).toContain("outside the repository");
  });
});

describe("contact list settings", () => {
  it("description and adopt reach the desired contact list", () => {
    const dir = repo(`${UNSUBSCRIBE}  description: Newsletter opt-outs\n  adopt: true\n`);
    const list = desiredOf(dir).find((r) => r.kind === "contact-list");
    expect(list?.adopt).toBe(true);
    expect(list?.spec.description).toBe("Newsletter opt-outs");
  });

  it("without them: the project's description, not adopted", () => {
    const list = desiredOf(repo(UNSUBSCRIBE)).find((r) => r.kind === "contact-list");
    expect(list?.adopt).toBe(false);
    expect(list?.spec.description).toBe("Opt-outs for acme");
  });
});
