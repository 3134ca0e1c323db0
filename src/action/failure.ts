/**
 * A failed run, told in the Action's words: what failed and what to do, naming the workflow, input
 * or repository variable to change. Errors carry the command line's hints (`--target`, `--dir`);
 * those are translated here where the Action has a counterpart, and kept where it has none.
 */
import type { HeldLock } from "../commands/send.js";
import { MailopsError, ProjectError } from "../errors.js";
import { fenced } from "../util/markdown.js";
import type { ActionCommand } from "./inputs.js";
import { lockHolder } from "./send-report.js";

/** The workflow that runs each command (.github/workflows/), and its AWS role's repository variable. */
export const WORKFLOW: Record<ActionCommand, { name: string; role: string }> = {
  pr: { name: "Pull request", role: "MAILOPS_PLAN_ROLE_ARN" },
  deploy: { name: "Deploy", role: "MAILOPS_DEPLOY_ROLE_ARN" },
  send: { name: "Scheduled send", role: "MAILOPS_SEND_ROLE_ARN" },
  drift: { name: "Drift", role: "MAILOPS_DRIFT_ROLE_ARN" },
};

const TARGET_INPUT =
  "the action's `target` input (in the workflows, the repository variable `MAILOPS_TARGET`; empty: `target:` in mailops.yaml)";

/** Command-line phrases and their Action counterparts, applied in order. */
const TRANSLATIONS: [RegExp, string][] = [
  [/use --target local or --target aws/g, `set ${TARGET_INPUT} to \`local\` or \`aws\``],
  [/;? ?use --target local to work offline/g, ""],
  [/--target (local|aws)/g, `${TARGET_INPUT} set to \`$1\``],
  [
    /pass the repository root with --dir/g,
    "set the action's `working-directory` input to the repository root",
  ],
  [/pass --dir/g, "set the action's `working-directory` input"],
  [
    /run `mailops (?:apply|deploy) --force`/g,
    "re-run the **Deploy** workflow (Actions → Deploy → Run workflow) with `force: true`",
  ],
  [
    /pass --before-send-at to send it now/g,
    "run the **Scheduled send** workflow again (Actions → Scheduled send → Run workflow) with the same `campaign` and `send-early: true` to send it now",
  ],
];

/** A command-line hint with the flags the Action has inputs for replaced by those inputs. */
export function actionHint(hint: string): string {
  let out = hint;
  for (const [from, to] of TRANSLATIONS) out = out.replace(from, to);
  return out;
}

const NO_CREDENTIALS = /no AWS credentials found/;

/** What to do about `e` in this command's workflow. */
export function remedy(command: ActionCommand, e: unknown, workingDirectory?: string): string {
  const workflow = WORKFLOW[command];
  if (e instanceof MailopsError && NO_CREDENTIALS.test(e.message)) {
    return `The job has no AWS credentials: the **${workflow.name}** workflow's credentials step runs only when the repository variable \`${workflow.role}\` is set (with \`AWS_REGION\`); set it to the role's ARN (docs/github-setup.md, sections 2 and 3), or set ${TARGET_INPUT} to \`local\`.`;
  }
  if (e instanceof ProjectError && / is not a directory$/.test(e.message)) {
    return `Set the action's \`working-directory\` input to the folder that holds mailops.yaml, relative to the repository root${workingDirectory ? ` (it is \`${workingDirectory}\` now)` : ""}.`;
  }
  if (e instanceof MailopsError && e.hint) return actionHint(e.hint);
  if (e instanceof MailopsError) return "fix the cause above and run the workflow again";
  return "this is a bug in mailops: please report it with the job log";
}

/** What failed, for the job summary (Markdown) and the step's error (text). */
export function failureMessage(e: unknown): string {
  if (e instanceof MailopsError) return e.message;
  return `internal error: ${(e as Error)?.stack ?? String(e)}`;
}

const sentence = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}${/[.!?)]$/.test(s) ? "" : "."}`;

/** The job summary of a run that failed before (or without) writing its own. */
export function failureSummary(
  command: ActionCommand | undefined,
  e: unknown,
  workingDirectory?: string,
): string {
  const todo = command
    ? remedy(command, e, workingDirectory)
    : e instanceof MailopsError && e.hint
      ? actionHint(e.hint)
      : "check the action's inputs in the workflow";
  return summaryOf(command, fenced("text", failureMessage(e)), todo);
}

const summaryOf = (command: ActionCommand | undefined, what: string, todo: string) =>
  `### ❌ mailops${command ? ` ${command}` : ""} failed\n\n${what}\n\n**What to do:** ${sentence(todo)}\n`;

/**
 * What to do about another run holding the send lock. Only the Scheduled send workflow fails on
 * it, and only for a named campaign: deploy and a due send leave what is due for the next run.
 */
function lockRemedy(lock: HeldLock): string {
  const { name } = WORKFLOW.send;
  const until = lock.holder ? ` If that run died, its lease lapses in ${lock.holder.lapsesInS} s.` : "";
  return `Wait for that run to finish, then run the **${name}** workflow again (Actions → ${name} → Run workflow) with the same \`campaign\` input.${until}`;
}

/**
 * A send of a named campaign that could not run because another holds the send lock, as a
 * failure: the job summary (the holder as Markdown with a link) and the step's error (text, with
 * what to do).
 */
export function lockFailure(lock: HeldLock): { summary: string; error: string } {
  const todo = lockRemedy(lock);
  const held = (markdown: boolean) =>
    lock.holder ? `another mailops run holds the send lock: ${lockHolder(lock, markdown)}` : lock.message;
  return {
    summary: summaryOf("send", lock.holder ? held(true) : fenced("text", held(true)), todo),
    error: `${held(false)}\nhint: ${todo}`,
  };
}
