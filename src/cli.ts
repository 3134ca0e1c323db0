/** The `mailops` command line: parses arguments, runs a command, maps errors to exit codes. */
import { Command, CommanderError, Option } from "commander";
import { runValidate } from "./commands/validate.js";
import { FINDING_FORMATS, type FindingFormat } from "./config/format.js";
import { MailopsError } from "./errors.js";

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
