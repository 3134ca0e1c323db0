/**
 * Errors a user can act on. Thrown anywhere, caught only in the entries (cli.ts), which print
 * the message and hint and exit with `exitCode`; anything else is a bug and shows its stack.
 */
export class MailopsError extends Error {
  readonly exitCode: number = 1;

  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** The message and its hint on one line (`message; hint`), for a report that carries the error as text. */
  withHint(): string {
    return this.hint ? `${this.message}; ${this.hint}` : this.message;
  }
}

/** Bad command-line usage: unknown option values, missing arguments. */
export class UsageError extends MailopsError {}

/** The repository cannot be used at all (no such directory). Per-file problems are findings instead. */
export class ProjectError extends MailopsError {}

/** The repository has validation errors: the entry shows them (commands/validate.ts InvalidProjectError carries them). */
export class ValidationFailedError extends MailopsError {}

/** apply refused to run: a stale plan file, guardrails, unmanaged resources. */
export class ApplyRefusedError extends MailopsError {}

/** A call to SES, CloudWatch or another service failed in a way the user can act on. */
export class TargetError extends MailopsError {}
