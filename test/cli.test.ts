/** The built command line, as CI runs it: exit codes, output formats, and errors without stack traces. */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin/mailops.js"), ...args], {
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
