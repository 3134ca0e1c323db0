/**
 * `mailops import`: the repository files for what a target already holds (an SES account, or the
 * local target's `.mailops/local`), so a team already on SES starts from its own resources, as
 * `terraform import` and octoDNS's dump do. Lists and reads the target, turns what it found into
 * files (import/, pure), writes those that do not exist yet (all of them with `force`), then
 * validates the repository and compares what it declares with what was read: the report says
 * what a first `mailops plan` would still change, which for a fresh import is nothing.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  type ImportedFile,
  importFiles,
  type NotImported,
  SECTION_KINDS,
  type Section,
} from "../import/index.js";
import { desiredResources, needsAccount, withAccount } from "../plan/desired.js";
import { changedFields, KIND_INFO } from "../plan/kinds.js";
import { type KindName, type LiveResource, resourceKey } from "../plan/resource.js";
import type { Target } from "../targets/port.js";
import { openTargetAt, type TargetName } from "./context.js";
import {
  type ImportOptions,
  importTarget,
  projectSettings,
  readExisting,
  sectionsOf,
} from "./import-settings.js";
import { validateProject } from "./validate.js";

export type { NotImported } from "../import/index.js";
export type { ImportOptions } from "./import-settings.js";

export interface ImportedFileEntry {
  path: string;
  /** The resources it declares, `kind/name`. */
  resources: string[];
}

/** What a plan of the repository would change in what was read (beyond adopting it). */
export interface Difference {
  kind: KindName;
  name: string;
  action: "create" | "update";
  fields: string[];
}

export interface ImportReport {
  target: TargetName;
  /** The region read (aws). */
  region?: string;
  dir: string;
  written: ImportedFileEntry[];
  /** Files that existed and were kept (no --force). */
  skipped: ImportedFileEntry[];
  notImported: NotImported[];
  notes: string[];
  /** The repository's validation after the import. */
  validation: { errors: number; warnings: number };
  /** Empty when the repository declares exactly what was read; unknown while it has errors. */
  differences: Difference[];
}

/** How the target is opened: the real adapters unless a test replaces them. */
export type ImportTargetFactory = (name: TargetName, at: { root: string; region: string }) => Promise<Target>;

const SETTINGS_SECTIONS: Section[] = [
  "configuration_sets",
  "contact_list",
  "identities",
  "alarms",
  "dashboard",
];

export async function importRepository(
  options: ImportOptions,
  factory: ImportTargetFactory = openTargetAt,
): Promise<ImportReport> {
  const dir = path.resolve(options.dir);
  const sections = sectionsOf(options.only);
  const existing = readExisting(dir);
  const { name, region } = importTarget(options, existing);
  // mailops.yaml is made when there is none, or when a part it holds is asked for.
  const withSettings = !existing.file || sections.some((s) => SETTINGS_SECTIONS.includes(s));
  const writing = withSettings && (!existing.file || options.force === true);
  const settings = await projectSettings(options, existing, name, writing);
  const target = await factory(name, { root: dir, region });
  const account = await target.accountId?.();
  const live = await readTarget(target, sections);
  const result = importFiles({ target: name, region, account, settings, sections, withSettings, live });
  // An existing `mailops.yml` is the settings file: never a second one beside it.
  const files = result.files.map((f) =>
    f.path === "mailops.yaml" && existing.file ? { ...f, path: existing.file } : f,
  );
  const { written, skipped } = writeFiles(dir, files, options.force === true);
  const read = new Set(sections.flatMap((s) => SECTION_KINDS[s]).filter((k) => k !== "sns-topic"));
  const check = checkRepository(dir, live, account, read);
  return {
    target: name,
    ...(name === "aws" ? { region } : {}),
    dir,
    written,
    skipped,
    notImported: result.notImported,
    notes: result.notes,
    ...check,
  };
}

/** Every resource of the parts asked for, then the SNS topics their event destinations name. */
async function readTarget(target: Target, sections: Section[]): Promise<LiveResource[]> {
  const kinds = sections.flatMap((s) => SECTION_KINDS[s]).filter((k) => k !== "sns-topic");
  const wanted = (
    await Promise.all(kinds.map(async (kind) => (await target.list(kind)).map((name) => ({ kind, name }))))
  ).flat();
  const live = await target.read(wanted);
  const topics = new Set<string>();
  for (const r of live) {
    const arn =
      r.kind === "event-destination" ? (r.spec.sns as { topicArn?: unknown } | null)?.topicArn : undefined;
    if (typeof arn === "string") topics.add(arn.split(":").at(-1) ?? "");
  }
  const topicsRead = topics.size
    ? await target.read([...topics].map((name) => ({ kind: "sns-topic" as const, name })))
    : [];
  return [...live, ...topicsRead];
}

/** Writes the files that do not exist (or every one, with `force`); never a path outside `dir`. */
function writeFiles(dir: string, files: ImportedFile[], force: boolean) {
  const written: ImportedFileEntry[] = [];
  const skipped: ImportedFileEntry[] = [];
  for (const f of files) {
    const abs = path.resolve(dir, f.path);
    if (!abs.startsWith(dir + path.sep)) throw new Error(`import would write outside ${dir}: ${f.path}`);
    const entry = { path: f.path, resources: f.resources };
    if (existsSync(abs) && !force) {
      skipped.push(entry);
      continue;
    }
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, f.text);
    written.push(entry);
  }
  return { written, skipped };
}

/** Validates the repository, and compares what it declares with what was read. */
function checkRepository(
  dir: string,
  live: LiveResource[],
  account: string | undefined,
  listed: Set<KindName>,
): Pick<ImportReport, "validation" | "differences"> {
  const result = validateProject(dir);
  const validation = {
    errors: result.errors,
    warnings: result.findings.filter((f) => f.severity === "warning").length,
  };
  if (result.errors > 0) return { validation, differences: [] };
  let desired = desiredResources(result.project);
  if (account && needsAccount(desired)) desired = withAccount(desired, account);
  const byKey = new Map(live.map((r) => [resourceKey(r), r]));
  const differences: Difference[] = [];
  for (const d of desired) {
    const current = byKey.get(resourceKey(d));
    // A kind not listed (not asked for; SNS topics only as destinations name them) is not known to be absent.
    if (!current && !listed.has(d.kind)) continue;
    if (!current) {
      differences.push({ kind: d.kind, name: d.name, action: "create", fields: [] });
      continue;
    }
    const normalize = KIND_INFO[d.kind].normalize;
    const fields = changedFields(normalize(current.spec), normalize(d.spec));
    if (fields.length > 0) differences.push({ kind: d.kind, name: d.name, action: "update", fields });
  }
  return { validation, differences };
}
