/** The built command line, as CI runs it: exit codes, output formats, and errors without stack traces. */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { switchToLinkMode } from "./support/link-mode.js";
import { copyExampleRepo } from "./support/repo.js";

const ROOT = path.join(import.meta.dirname, "..");
const FIXTURES = path.join(ROOT, "test/fixtures");

function mailops(
  args: string[],
  cwd = ROOT,
  env: Record<string, string | undefined> = process.env,
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin/mailops.cjs"), ...args], {
    cwd,
    encoding: "utf8",
    env,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStackTrace = (text: string) => {
  expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(text).not.toContain("internal error");
};

let scratch: string;
beforeAll(() => {
  const build = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, encoding: "utf8" });
  expect(build.status, build.stderr).toBe(0);
  scratch = mkdtempSync(path.join(tmpdir(), "mailops-cli-"));
}, 120_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("mailops validate", () => {
  it("exits 0 on the example repository and prints the summary", () => {
    const r = mailops(["validate"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^0 errors, 0 warnings, 1 info in \d+ files$/m);
    expect(r.stderr).toBe("");
  });

  it("exits 1 on a repository with an error, with the same text as the golden file", () => {
    const fixture = path.join(FIXTURES, "invalid/campaign-unknown-template");
    const r = mailops(["validate", "--dir", fixture]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      "campaigns/hello.yaml:1:11 error campaign/unknown-template template `helo` does not exist\n" +
        "  hint: did you mean `hello`?\n" +
        "1 error, 0 warnings in 4 files\n",
    );
  });

  it("exits 0 when there are only warnings", () => {
    const r = mailops(["validate", "--dir", path.join(FIXTURES, "invalid/template-no-text")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("0 errors, 1 warning in 4 files");
  });

  it("--format json prints an array of findings", () => {
    const r = mailops([
      "validate",
      "--dir",
      path.join(FIXTURES, "invalid/campaign-unknown-segment"),
      "--format",
      "json",
    ]);
    expect(r.code).toBe(1);
    const findings = JSON.parse(r.stdout);
    expect(Array.isArray(findings)).toBe(true);
    expect(findings).toEqual([
      {
        severity: "error",
        rule: "campaign/unknown-segment",
        file: "campaigns/hello.yaml",
        line: 2,
        col: 14,
        message: "segment or subscriber source `peeple` does not exist",
        hint: "did you mean `people`?",
      },
      {
        severity: "error",
        rule: "campaign/unknown-segment",
        file: "campaigns/hello.yaml",
        line: 3,
        col: 11,
        message: "segment or subscriber source `bounced` does not exist",
        hint: "known: `people`",
      },
    ]);
  });

  it("--format json prints an empty array for a clean repository", () => {
    const r = mailops(["validate", "--dir", path.join(FIXTURES, "valid/minimal"), "--format", "json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it("--format github prints one workflow command per finding, escaped", () => {
    // A file name with `,` and `:` and a message with `%` exercise the property and data escaping.
    const repo = path.join(scratch, "github");
    cpSync(path.join(FIXTURES, "valid/minimal"), repo, { recursive: true });
    writeFileSync(
      path.join(repo, "campaigns/a,b:c.yaml"),
      "template: 100%-off\nto: people\nsend_at: on-merge\n",
    );
    const r = mailops(["validate", "--dir", repo, "--format", "github"], repo);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      "::error file=campaigns/a%2Cb%3Ac.yaml,line=1,col=1,title=name/invalid::campaign name `a,b:c` is not a valid SES name%0ASES names use only letters, digits, `-` and `_`, at most 64 characters; rename the file\n" +
        "::error file=campaigns/a%2Cb%3Ac.yaml,line=1,col=11,title=campaign/unknown-template::template `100%25-off` does not exist%0Aknown: `hello`\n",
    );
  });

  it("--format github maps warnings to ::warning and infos to ::notice", () => {
    const noText = path.join(FIXTURES, "invalid/template-no-text");
    const warning = mailops(["validate", "--format", "github"], noText);
    expect(warning.stdout).toMatch(
      /^::warning file=templates\/hello\.yaml,line=2,col=1,title=template\/no-text::/,
    );
    const draft = path.join(FIXTURES, "invalid/campaign-draft");
    const info = mailops(["validate", "--format", "github"], draft);
    expect(info.stdout).toMatch(/^::notice file=campaigns\/hello\.yaml,line=2,col=1,title=campaign\/draft::/);
  });

  it("--format github names files from the working directory, where GitHub looks for them", () => {
    const r = mailops(
      ["validate", "--dir", "test/fixtures/invalid/campaign-unknown-template", "--format", "github"],
      ROOT,
    );
    expect(r.stdout).toMatch(
      /^::error file=test\/fixtures\/invalid\/campaign-unknown-template\/campaigns\/hello\.yaml,line=1,col=11,/,
    );
  });

  it("an unknown --format is a usage error: exit 1, the valid choices, no stack trace", () => {
    const r = mailops(["validate", "--format", "xml"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("'xml' is invalid");
    expect(r.stderr).toContain("text, json, github");
    noStackTrace(r.stderr);
  });

  it("--dir that does not exist is a clear error without a stack trace", () => {
    const r = mailops(["validate", "--dir", "/nonexistent"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "mailops: /nonexistent is not a directory\n  hint: pass the repository root with --dir, or run mailops inside it\n",
    );
  });

  it("--dir naming a file is the same clear error", () => {
    const r = mailops(["validate", "--dir", "mailops.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`mailops: ${path.join(ROOT, "mailops.yaml")} is not a directory`);
    noStackTrace(r.stderr);
  });

  it("an unknown option is a usage error without a stack trace", () => {
    const r = mailops(["validate", "--bogus"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown option '--bogus'");
    noStackTrace(r.stderr);
  });

  it("a repository full of problems still reports them all, exit 1, no stack trace", () => {
    const r = mailops(["validate", "--dir", path.join(FIXTURES, "invalid/many-problems")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^11 errors, 0 warnings in 8 files$/m);
    expect(r.stderr).toBe("");
  });
});

/** A scratch copy of the example repository's configuration, for commands that write state. */
function exampleCopy(name: string): string {
  const dir = path.join(scratch, name);
  for (const entry of ["mailops.yaml", "templates", "subscribers", "campaigns"])
    cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  return dir;
}

const localFiles = (dir: string, kind: string) => {
  const at = path.join(dir, ".mailops/local", kind);
  return existsSync(at) ? readdirSync(at).sort() : [];
};
const inventoryKeys = (dir: string) =>
  Object.keys(
    JSON.parse(readFileSync(path.join(dir, ".mailops/state/inventory.json"), "utf8")).resources,
  ).sort();

describe("MAILOPS_TARGET", () => {
  it("empty is unset: `target:` from mailops.yaml, as a workflow's undefined variable gives it", () => {
    const dir = exampleCopy("target-empty");
    const r = mailops(["plan", "--dir", dir], ROOT, { ...process.env, MAILOPS_TARGET: "" });
    expect(r.stderr).not.toContain("unknown target");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("mailops plan for project acme-marketing on target local");
  });

  it("a wrong value is still refused", () => {
    const r = mailops(["plan", "--dir", exampleCopy("target-wrong")], ROOT, {
      ...process.env,
      MAILOPS_TARGET: "awz",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("mailops: unknown target `awz`");
  });
});

describe("mailops apply", () => {
  it("--plan applies the saved plan: exit 0, the resources and inventory written", () => {
    const dir = exampleCopy("apply-plan");
    const out = path.join(dir, "plan.json");
    const planned = mailops(["plan", "--dir", dir, "--target", "local", "--out", out]);
    expect(planned.code, planned.stderr).toBe(0);
    const r = mailops(["apply", "--dir", dir, "--target", "local", "--plan", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Apply complete: 12 changes applied.");
    // spring-sale's two variants with their own subjects are templates of their own.
    expect(localFiles(dir, "template")).toEqual([
      "product-promotion--deadline.json",
      "product-promotion--offer.json",
      "product-promotion.json",
      "welcome-campaign.json",
    ]);
    expect(inventoryKeys(dir)).toHaveLength(12);
  });

  it("--plan refuses an edited plan file: exit 1, what differs, nothing written", () => {
    const dir = exampleCopy("apply-plan-edited");
    const out = path.join(dir, "plan.json");
    expect(mailops(["plan", "--dir", dir, "--target", "local", "--out", out]).code).toBe(0);
    const plan = JSON.parse(readFileSync(out, "utf8"));
    const welcome = plan.changes.find((c: { name: string }) => c.name === "welcome-campaign");
    welcome.after.html = "<p>Not what was reviewed</p>";
    writeFileSync(out, JSON.stringify(plan));
    const r = mailops(["apply", "--dir", dir, "--target", "local", "--plan", out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`mailops: ${out} is not the plan of the repository as it is now`);
    expect(r.stderr).toContain(
      "  - email template `welcome-campaign`: the plan file's html differs from the repository's\n",
    );
    expect(r.stderr).toContain("  hint: run `mailops plan --out plan.json` again");
    noStackTrace(r.stderr);
    expect(existsSync(path.join(dir, ".mailops/local"))).toBe(false);
    expect(existsSync(path.join(dir, ".mailops/state/inventory.json"))).toBe(false);
  });

  it("--force applies the deletes guardrails.max_delete_percent refuses without it", () => {
    const dir = exampleCopy("apply-force");
    expect(mailops(["apply", "--dir", dir, "--target", "local"]).code).toBe(0);
    expect(localFiles(dir, "alarm")).toHaveLength(2);
    // Both alarms go: 100% of the managed alarms.
    const file = path.join(dir, "mailops.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/\nalarms:\n(?: {2}.*\n)+/, "\n"));
    const refused = mailops(["apply", "--dir", dir, "--target", "local"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "mailops: apply refused: 2 of 2 managed CloudWatch alarms would be deleted",
    );
    expect(refused.stderr).toContain(
      "hint: check the deletes are intended, then run `mailops apply --force`",
    );
    noStackTrace(refused.stderr);
    expect(localFiles(dir, "alarm")).toHaveLength(2);
    const forced = mailops(["apply", "--dir", dir, "--target", "local", "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain("Apply complete: 2 changes applied.");
    expect(localFiles(dir, "alarm")).toEqual([]);
    expect(inventoryKeys(dir).filter((k) => k.startsWith("alarm/"))).toEqual([]);
  });
});

describe("mailops deploy", () => {
  const NOW = "2026-06-01T12:00:00Z";
  const eml = (dir: string, campaign: string) => {
    const at = path.join(dir, ".mailops/outbox", campaign);
    return existsSync(at) ? readdirSync(at).filter((f) => f.endsWith(".eml")) : [];
  };

  it("applies and sends what is due by --now: exit 0, the outbox written", () => {
    const dir = exampleCopy("deploy");
    // Five minutes after holiday-promo's send_at: it is due then, and only then.
    const r = mailops(["deploy", "--dir", dir, "--target", "local", "--now", "2026-12-01T09:05:00Z"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Apply complete: 12 changes applied.");
    expect(inventoryKeys(dir)).toHaveLength(12);
    expect(eml(dir, "welcome-new-customers")).toHaveLength(2);
    expect(eml(dir, "holiday-promo")).toHaveLength(1);
  });

  it("refuses under guardrails.require_reviewed_plan: no reviewed plan on the command line", () => {
    const dir = exampleCopy("deploy-reviewed");
    const file = path.join(dir, "mailops.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("\nguardrails:\n", "\nguardrails:\n  require_reviewed_plan: true\n"),
    );
    const r = mailops(["deploy", "--dir", dir, "--target", "local", "--now", NOW]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("mailops: deploy refused: there is no reviewed plan to compare with");
    expect(r.stderr).toContain("on the command line there is no pull request");
    expect(r.stderr).toContain("hint: apply a reviewed plan file instead: `mailops plan --out plan.json`");
    noStackTrace(r.stderr);
    expect(existsSync(path.join(dir, ".mailops/local"))).toBe(false);
    expect(eml(dir, "welcome-new-customers")).toHaveLength(0);
  });
});

describe("mailops send in link unsubscribe mode", () => {
  const secretEnv = (secret: string | undefined) => {
    const env = { ...process.env };
    delete env.MAILOPS_UNSUBSCRIBE_SECRET;
    return secret === undefined ? env : { ...env, MAILOPS_UNSUBSCRIBE_SECRET: secret };
  };
  const cases: [string, string | undefined, string][] = [
    ["unset", undefined, "mailops: the unsubscribe signing secret (MAILOPS_UNSUBSCRIBE_SECRET) is not set"],
    ["empty", "", "mailops: the unsubscribe signing secret (MAILOPS_UNSUBSCRIBE_SECRET) is not set"],
    [
      "31 bytes",
      "x".repeat(31),
      "mailops: the unsubscribe signing secret is 31 bytes; at least 32 are needed",
    ],
  ];

  it.each(cases)(
    "refuses a secret that is %s: exit 1, a hint, nothing sent or recorded",
    (_, secret, message) => {
      const repo = copyExampleRepo();
      try {
        switchToLinkMode(repo.dir);
        expect(mailops(["apply", "--dir", repo.dir, "--target", "local"]).code).toBe(0);
        const r = mailops(
          ["send", "--campaign", "welcome-new-customers", "--dir", repo.dir, "--target", "local"],
          ROOT,
          secretEnv(secret),
        );
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`${message}\n  hint: generate one with \`openssl rand -base64 48\``);
        noStackTrace(r.stderr);
        expect(existsSync(path.join(repo.dir, ".mailops/outbox"))).toBe(false);
        expect(existsSync(path.join(repo.dir, ".mailops/state/ledger"))).toBe(false);
      } finally {
        repo.cleanup();
      }
    },
  );

  it("sends with a secret of 32 bytes", () => {
    const repo = copyExampleRepo();
    try {
      switchToLinkMode(repo.dir);
      expect(mailops(["apply", "--dir", repo.dir, "--target", "local"]).code).toBe(0);
      const r = mailops(
        ["send", "--campaign", "welcome-new-customers", "--dir", repo.dir, "--target", "local"],
        ROOT,
        secretEnv("x".repeat(32)),
      );
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(path.join(repo.dir, ".mailops/outbox/welcome-new-customers"))).toBe(true);
    } finally {
      repo.cleanup();
    }
  });
});

describe("mailops import", () => {
  it("without a terminal, a missing setting is an error naming its option (exit 1, no stack); with them, it imports", () => {
    const applied = exampleCopy("import-from");
    expect(mailops(["apply", "--dir", applied, "--target", "local"]).code).toBe(0);
    const dir = path.join(scratch, "import-into");
    cpSync(path.join(applied, ".mailops"), path.join(dir, ".mailops"), { recursive: true });
    const env = { ...process.env, MAILOPS_TARGET: undefined };

    const missing = mailops(
      ["import", "--dir", dir, "--target", "local", "--sender", "A <a@example.com>"],
      ROOT,
      env,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      "mailops: --project is missing: mailops.yaml's `project`, which no target holds\n" +
        "  hint: pass --project NAME: letters, digits, - and _ (the owner id written into the mailops:project tag)\n",
    );
    noStackTrace(missing.stderr);

    const args = ["import", "--dir", dir, "--target", "local", "--project", "acme-marketing"];
    const r = mailops(
      [...args, "--sender", "Acme Marketing <marketing@example.com>", "--format", "json"],
      ROOT,
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      kind: "import",
      validation: { errors: 0 },
      differences: [],
    });
    expect(mailops(["plan", "--dir", dir, "--detailed-exitcode"], ROOT, env).code).toBe(0);
  });
});
