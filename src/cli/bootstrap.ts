/**
 * `mailops bootstrap`: what was done to the state bucket, and the roles' template, as text or
 * JSON (`kind: "bootstrap"`). In text, the template goes to stdout and the bucket lines to stderr,
 * so the template can be piped; with `--out` the template is in the file and every line on stdout.
 */
import {
  type BootstrapOptions,
  type BootstrapReport,
  bootstrap,
  templateText,
} from "../commands/bootstrap.js";
import type { Io } from "../present/io.js";
import { type ReportFormat, reportJson } from "./format.js";

export interface BootstrapCliOptions extends BootstrapOptions {
  format?: ReportFormat;
}

export async function runBootstrap(options: BootstrapCliOptions, io: Io): Promise<number> {
  const report = await bootstrap(options);
  if (options.format === "json") io.out(reportJson("bootstrap", report));
  else presentBootstrap(report, io);
  return 0;
}

export function presentBootstrap(r: BootstrapReport, io: Io): void {
  const say = r.written ? io.out : io.err;
  const { name, state, set, tag } = r.bucket;
  if (state === "created") say(`Created bucket ${name}.\n`);
  if (state === "unchanged")
    say(`Bucket ${name} is set up already (${tag.key}=${tag.value}): nothing changed.\n`);
  else say(`Bucket ${name}: set ${set.join(", ")}.\n`);
  if (r.written) {
    say(
      `Wrote the roles' CloudFormation template to ${r.written}: aws cloudformation deploy --template-file ${r.written} --stack-name ${r.stack} --capabilities CAPABILITY_IAM\n`,
    );
  } else {
    io.out(templateText(r.template));
  }
}
