/** The `mailops` command line: parses arguments, runs a command, maps errors to exit codes. */
import { Command, CommanderError, Option } from "commander";
import { REPORT_FORMATS, type ReportFormat } from "./cli/format.js";
import { FINDING_FORMATS, type FindingFormat } from "./present/findings.js";
import type { Io } from "./present/io.js";
import { PLAN_FORMATS, type PlanFormat } from "./present/plan/formats.js";

// Command modules load on use: `validate` must not pay for the AWS SDK, nodemailer and friends.

const io: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  // A CI log is not watched live, even through a pseudo-terminal.
  tty: process.stderr.isTTY === true && !process.env.CI,
};

const VERSION = "0.1.0";

function program(): Command {
  const cmd = new Command("mailops")
    .description("Email marketing campaigns as code for Amazon SES.")
    .version(VERSION)
    .showHelpAfterError("(run `mailops --help` for usage)")
    .exitOverride();

  cmd
    .command("validate")
    .description(
      "check every file in the repository: YAML, schemas, references, templates, variables, compliance",
    )
    .option("--dir <dir>", "repository root", ".")
    .addOption(new Option("--format <format>", "output format").choices(FINDING_FORMATS).default("text"))
    .action(async (opts: { dir: string; format: FindingFormat }) => {
      const { runValidate } = await import("./cli/validate.js");
      process.exitCode = runValidate(opts, (s) => process.stdout.write(s));
    });

  cmd
    .command("plan")
    .description("show what apply would change in SES and CloudWatch")
    .option("--dir <dir>", "repository root", ".")
    .option("--target <target>", "local or aws (default: MAILOPS_TARGET, then mailops.yaml)")
    .addOption(new Option("--format <format>", "output format").choices(PLAN_FORMATS).default("text"))
    .option("--out <file>", "also write the plan as JSON, for `apply --plan`")
    .option("--detailed-exitcode", "exit 2 when there are changes, 0 when none")
    .action(
      async (opts: {
        dir: string;
        target?: string;
        format: PlanFormat;
        out?: string;
        detailedExitcode?: boolean;
      }) => {
        const { runPlan } = await import("./cli/plan.js");
        process.exitCode = await runPlan(opts, io);
      },
    );

  cmd
    .command("apply")
    .description("apply the plan: create, update and delete SES and CloudWatch resources")
    .option("--dir <dir>", "repository root", ".")
    .option("--target <target>", "local or aws (default: MAILOPS_TARGET, then mailops.yaml)")
    .option("--plan <file>", "apply a plan written by `plan --out`, refusing it if live state moved since")
    .option("--force", "apply even when deletes exceed guardrails.max_delete_percent")
    .option(
      "--state-lost-ok",
      "go on although the state store appears lost (empty while the target holds this project's resources): every recipient not in the new ledger is sent again",
    )
    .addOption(new Option("--format <format>", "output format").choices(REPORT_FORMATS).default("text"))
    .action(
      async (opts: {
        dir: string;
        target?: string;
        plan?: string;
        force?: boolean;
        stateLostOk?: boolean;
        format: ReportFormat;
      }) => {
        const { runApply } = await import("./cli/apply.js");
        process.exitCode = await runApply(opts, io);
      },
    );

  cmd
    .command("send")
    .description("send due campaigns (or one by name) exactly once per recipient")
    .option("--dir <dir>", "repository root", ".")
    .option("--target <target>", "local or aws (default: MAILOPS_TARGET, then mailops.yaml)")
    .option(
      "--campaign <name>",
      "send this campaign, even if it is past guardrails.max_lateness (not a recurring one's occurrence)",
    )
    .option("--due", "send every campaign whose send_at has come (or on-merge), not already complete")
    .option("--before-send-at", "with --campaign: send it now although its send_at has not come")
    .option("--now <iso>", "the time to judge what is due by (default: now)")
    .option(
      "--dry-run",
      "every campaign's state and audience counts, checked against the repository; sends and records nothing",
    )
    .option(
      "--proof-to <addresses>",
      "with --campaign: send one proof, `[proof]` in its subject, to these addresses (comma-separated) only; each must be on proof_recipients (or the SES mailbox simulator); never recorded in the ledger",
    )
    .option("--subscriber <email>", "with --proof-to: render the proof with this subscriber's data")
    .option("--resend-unknown", "send again to recipients of a batch interrupted mid-send")
    .option("--allow-partial", "start even if the audience does not fit the 24-hour quota")
    .option("--allow-content-change", "finish a run whose template or data changed since it started")
    .option(
      "--state-lost-ok",
      "go on although the state store appears lost (empty while the target holds this project's resources): every recipient not in the new ledger is sent again",
    )
    .option(
      "--progress",
      "progress lines on stderr every few seconds, also when it is not a terminal (a CI log)",
    )
    .addOption(new Option("--format <format>", "output format").choices(REPORT_FORMATS).default("text"))
    .action(async (opts) => {
      const { runSend } = await import("./cli/send.js");
      process.exitCode = await runSend(opts, io);
    });

  cmd
    .command("deploy")
    .description("what a merge runs: validate, plan, apply, then send what is due")
    .option("--dir <dir>", "repository root", ".")
    .option("--target <target>", "local or aws (default: MAILOPS_TARGET, then mailops.yaml)")
    .option("--now <iso>", "the time to judge what is due by (default: now)")
    .option("--force", "apply even when deletes exceed guardrails.max_delete_percent")
    .option(
      "--state-lost-ok",
      "go on although the state store appears lost (empty while the target holds this project's resources): every recipient not in the new ledger is sent again",
    )
    .option(
      "--progress",
      "progress lines on stderr every few seconds, also when it is not a terminal (a CI log)",
    )
    .addOption(new Option("--format <format>", "output format").choices(REPORT_FORMATS).default("text"))
    .action(async (opts) => {
      const { runDeploy } = await import("./cli/deploy.js");
      process.exitCode = await runDeploy(opts, io);
    });

  cmd
    .command("preview")
    .description("render a template (sample data) or campaign to .html, .txt and .eml")
    .argument("<name>", "template or campaign name")
    .option("--dir <dir>", "repository root", ".")
    .option("--subscriber <email>", "render a campaign with this subscriber's data")
    .option("--variant <name>", "only this variant of an A/B campaign (default: each variant)")
    .option("--out <dir>", "where to write the files (default: .mailops/preview/<name>)")
    .option("--target <target>", "where suppression and opt-outs are read, with --subscriber")
    .addOption(new Option("--format <format>", "output format").choices(REPORT_FORMATS).default("text"))
    .action(async (name: string, opts) => {
      const { runPreview } = await import("./cli/preview.js");
      process.exitCode = await runPreview({ ...opts, name }, io);
    });

  cmd
    .command("status")
    .description("per campaign run: sent, failed, skipped by reason, unknown")
    .argument("[campaign]", "only this campaign")
    .option("--dir <dir>", "repository root", ".")
    .option("--target <target>", "where engagement metrics are read (CloudWatch on aws)")
    .addOption(new Option("--format <format>", "output format").choices(REPORT_FORMATS).default("text"))
    .action(async (campaign: string | undefined, opts) => {
      const { runStatus } = await import("./cli/status.js");
      process.exitCode = await runStatus({ ...opts, campaign }, io);
    });

  cmd
    .command("init")
    .description(
      "scaffold a campaign repository of its own: the example's files, schemas and workflows, a README, and a package.json that pins mailops",
    )
    .argument("[dir]", "the new repository's folder (made if missing)", ".")
    .option("--force", "add the missing files to a folder that is not empty; none is overwritten")
    .option(
      "--mailops <owner/name@tag>",
      "the GitHub repository and release tag the workflows' Action and package.json take mailops from (default: this package's repository, at v<its version>)",
    )
    .option(
      "--package <spec>",
      "how package.json names mailops instead of the git dependency on that tag (an npm version, a tarball)",
    )
    .addOption(new Option("--format <format>", "output format").choices(REPORT_FORMATS).default("text"))
    .action(
      async (
        dir: string,
        opts: { force?: boolean; mailops?: string; package?: string; format: ReportFormat },
      ) => {
        const { runInit } = await import("./cli/init.js");
        process.exitCode = runInit(
          {
            dir,
            format: opts.format,
            ...(opts.force ? { force: true } : {}),
            ...(opts.mailops ? { mailops: opts.mailops } : {}),
            ...(opts.package ? { packageSpec: opts.package } : {}),
          },
          io,
        );
      },
    );

  cmd
    .command("import")
    .description(
      "write the repository files for what an SES account (or the local target) already holds, each marked adopt: true",
    )
    .option("--dir <dir>", "repository root to write into", ".")
    .option("--target <target>", "aws (an SES account) or local (this folder's .mailops/local)")
    .option("--region <region>", "the SES account's region (default: mailops.yaml, then AWS_REGION)")
    .option("--project <name>", "mailops.yaml's project: the owner id in tags and state keys")
    .option("--state <store>", "mailops.yaml's state: s3://bucket/prefix or a folder")
    .option("--sender <from>", 'mailops.yaml\'s sender.from, e.g. "Acme <news@example.com>"')
    .option(
      "--unsubscribe-url <url>",
      "unsubscribe mode link with this URL, when the account has no contact list",
    )
    .option(
      "--only <parts>",
      "only these parts, comma-separated: templates, configuration_sets, contact_list, identities, alarms, dashboard",
    )
    .option("--force", "replace files that exist (by default they are kept and listed)")
    .addOption(new Option("--format <format>", "output format").choices(REPORT_FORMATS).default("text"))
    .addHelpText(
      "after",
      "\nFiles that exist are never replaced without --force. Missing mailops.yaml settings are asked for on a\nterminal; elsewhere a missing one is an error naming its option. See docs/import.md.",
    )
    .action(async (opts) => {
      const { runImport } = await import("./cli/import.js");
      process.exitCode = await runImport(opts, io);
    });

  cmd
    .command("bootstrap")
    .description(
      "aws: set up the S3 state bucket, and print the CloudFormation template of the GitHub OIDC roles",
    )
    .option("--dir <dir>", "repository root", ".")
    .option("--repo <org/repo>", "the GitHub repository the roles trust (default: GITHUB_REPOSITORY)")
    .option("--adopt", "add the missing settings and the tag to an existing bucket bootstrap did not create")
    .option("--out <file>", "write the template to this file instead of printing it")
    .option("--noncurrent-days <days>", "days old versions of state objects are kept", "90")
    .addOption(new Option("--format <format>", "output format").choices(REPORT_FORMATS).default("text"))
    .action(async (opts) => {
      const { runBootstrap } = await import("./cli/bootstrap.js");
      process.exitCode = await runBootstrap(opts, io);
    });

  return cmd;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    const { presentFailure } = await import("./cli/failure.js");
    return presentFailure(e, (s) => process.stderr.write(s));
  }
}
