/** The `mailops` command line: parses arguments, runs a command, maps errors to exit codes. */
import { Command, CommanderError, Option } from "commander";
import { runApply, runPlan } from "./commands/plan-apply.js";
import { runValidate } from "./commands/validate.js";
import { FINDING_FORMATS, type FindingFormat } from "./config/format.js";
import { MailopsError } from "./errors.js";
import { PLAN_FORMATS, type PlanFormat } from "./plan/format/index.js";

const io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) };

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
    .action((opts: { dir: string; format: FindingFormat }) => {
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
    .action(async (opts: { dir: string; target?: string; plan?: string; force?: boolean }) => {
      process.exitCode = await runApply(opts, io);
    });

  return cmd;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    if (e instanceof MailopsError) {
      process.stderr.write(`mailops: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ""}`);
      return e.exitCode;
    }
    process.stderr.write(`mailops: internal error (please report it): ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
