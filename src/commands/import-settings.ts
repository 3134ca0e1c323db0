/**
 * What `mailops import` needs before it reads anything: the target, its region, the parts to
 * import, and mailops.yaml's own settings (project, state, sender), which no target holds. Each
 * comes from its option, else from an existing mailops.yaml; a setting still missing is asked
 * for on a terminal, and otherwise an error that names the option to pass.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { UsageError } from "../errors.js";
import { parseSections, SECTIONS, type Section } from "../import/index.js";
import type { TargetName } from "./context.js";

export interface ImportOptions {
  dir: string;
  target?: string;
  region?: string;
  project?: string;
  state?: string;
  /** sender.from */
  sender?: string;
  unsubscribeUrl?: string;
  /** `--only templates,configuration_sets` */
  only?: string;
  force?: boolean;
  /** Asks for a missing setting (on a terminal); without it, a missing one is an error. */
  ask?: (question: string) => Promise<string>;
}

/** The values an existing mailops.yaml gives, read leniently (it may not be valid yet). */
interface Existing {
  file?: string;
  project?: string;
  state?: string;
  from?: string;
  target?: string;
  region?: string;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v : undefined);

export function readExisting(dir: string): Existing {
  const file = ["mailops.yaml", "mailops.yml"].find((f) => existsSync(path.join(dir, f)));
  if (!file) return {};
  let data: Record<string, unknown> = {};
  try {
    const parsed: unknown = parse(readFileSync(path.join(dir, file), "utf8"));
    if (parsed && typeof parsed === "object") data = parsed as Record<string, unknown>;
  } catch {
    // Unreadable: its values are not known, and options or questions give them.
  }
  const obj = (v: unknown) => (v && typeof v === "object" ? (v as Record<string, unknown>) : {});
  return {
    file,
    project: str(data.project),
    state: str(data.state),
    from: str(obj(data.sender).from),
    target: str(data.target),
    region: str(obj(data.aws).region),
  };
}

export function sectionsOf(only: string | undefined): Section[] {
  if (only === undefined) return [...SECTIONS];
  const { sections, unknown } = parseSections(only);
  if (unknown.length > 0 || sections.length === 0) {
    throw new UsageError(
      `--only ${unknown.length ? `names no part \`${unknown.join("`, `")}\`` : "names nothing"}`,
      `the parts are ${SECTIONS.join(", ")} (comma-separated)`,
    );
  }
  return sections;
}

export function importTarget(
  options: ImportOptions,
  existing: Existing,
): { name: TargetName; region: string } {
  const name = options.target?.trim() || process.env.MAILOPS_TARGET?.trim() || existing.target;
  if (name !== "local" && name !== "aws") {
    throw new UsageError(
      name ? `unknown target \`${name}\`` : "no target to import from",
      "pass --target aws (an SES account) or --target local (this folder's .mailops/local)",
    );
  }
  const region =
    options.region?.trim() ||
    existing.region ||
    process.env.AWS_REGION?.trim() ||
    process.env.AWS_DEFAULT_REGION?.trim() ||
    (name === "local" ? "us-east-1" : undefined);
  if (!region) {
    throw new UsageError(
      "no AWS region to import from",
      "pass --region (the SES account's region, e.g. us-east-1)",
    );
  }
  return { name, region };
}

/** One setting: its option, else mailops.yaml's, else asked, else an error naming the option. */
async function setting(
  given: string | undefined,
  fallback: string | undefined,
  ask: ImportOptions["ask"],
  what: { option: string; field: string; question: string; hint: string },
): Promise<string> {
  const value = given?.trim() || fallback;
  if (value) return value;
  const answer = ask ? (await ask(what.question)).trim() : "";
  if (answer) return answer;
  throw new UsageError(
    `${what.option} is missing: mailops.yaml's \`${what.field}\`, which no target holds`,
    what.hint,
  );
}

/**
 * mailops.yaml's settings. The project is needed always (it judges whose a resource is and names
 * alarms); state and sender only when mailops.yaml is written.
 */
export async function projectSettings(
  options: ImportOptions,
  existing: Existing,
  target: TargetName,
  writing: boolean,
): Promise<{ project: string; state: string; from: string; unsubscribeUrl?: string }> {
  const project = await setting(options.project, existing.project, options.ask, {
    option: "--project",
    field: "project",
    question: "Project name (the owner id in tags and state keys, e.g. acme-marketing): ",
    hint: "pass --project NAME: letters, digits, - and _ (the owner id written into the mailops:project tag)",
  });
  const ask = writing ? options.ask : undefined;
  const state = writing
    ? await setting(
        options.state,
        existing.state ?? (target === "local" ? ".mailops/state" : undefined),
        ask,
        {
          option: "--state",
          field: "state",
          question: "State store (s3://bucket/prefix, or a folder): ",
          hint: "pass --state s3://BUCKET/PREFIX (where the inventory, ledger and lock live; `mailops bootstrap` makes the bucket)",
        },
      )
    : (existing.state ?? "");
  const from = writing
    ? await setting(options.sender, existing.from, ask, {
        option: "--sender",
        field: "sender.from",
        question: 'Sender (From address, e.g. "Acme <news@example.com>"): ',
        hint: 'pass --sender "Display Name <address@your-domain>" (sender.from)',
      })
    : (existing.from ?? "");
  return {
    project,
    state,
    from,
    ...(options.unsubscribeUrl ? { unsubscribeUrl: options.unsubscribeUrl } : {}),
  };
}
