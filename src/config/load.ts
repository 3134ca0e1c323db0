/** Reads a repository and builds its model: reader (I/O) first, then the pure parse and build steps. */
import path from "node:path/posix";
import {
  attachDashboardBody,
  buildCampaign,
  buildSegment,
  buildSettings,
  buildSource,
  buildTemplate,
  dashboardBodyFile,
  templatePartFiles,
} from "./build.js";
import { error, type Finding, type Result } from "./findings.js";
import type { Entity, Project } from "./model.js";
import {
  checkRepoPath,
  type FileProblem,
  type RawFile,
  type RepoFiles,
  readRepo,
  readRepoFile,
} from "./read.js";
import { checkSchema, type FileKind } from "./schema.js";
import { parseYaml, type YamlDoc } from "./yaml.js";

interface Parsed {
  raw: RawFile;
  name: string;
  doc?: YamlDoc;
  ok: boolean;
}

export function loadProject(root: string): Result<Project> {
  const files = readRepo(root);
  const partPaths = new Set<string>();
  const findings: Finding[] = [];
  const parse = (kind: FileKind, raw: RawFile): Parsed => {
    const r = parseFile(kind, raw);
    findings.push(...r.findings);
    return r.value;
  };
  const settings = parse("project", files.settings);
  const templates = files.templates.map((f) => parse("template", f));
  for (const t of templates) for (const p of templatePartFiles(t.raw.path, t.doc)) partPaths.add(p);
  const dashboardPath = dashboardBodyFile(settings.raw.path, settings.doc);
  if (dashboardPath !== undefined) partPaths.add(dashboardPath);
  const partFiles = new Map<string, RawFile>();
  for (const p of partPaths) partFiles.set(p, readRepoFile(files.root, p, files.realDirs));
  const result = buildProject(files, settings, templates, partFiles, parse);
  findings.push(...result.findings);
  findings.push(
    ...attachDashboardBody(
      result.value.settings,
      dashboardPath === undefined ? undefined : partFiles.get(dashboardPath),
    ),
  );
  for (const source of result.value.sources.values()) {
    if (source.localPath) source.localProblem = checkRepoPath(files.root, source.localPath, files.realDirs);
  }
  return { value: result.value, findings };
}

/** How each file-system problem of a configuration file is reported (rule `file/<problem>`): message and hint. */
export const FILE_PROBLEMS: Record<FileProblem, (raw: RawFile) => [string, string]> = {
  missing: (raw) => [
    `\`${raw.path}\` not found`,
    "run mailops in the repository root, or pass --dir; a repository starts with mailops.yaml",
  ],
  "too-large": () => [
    "file is larger than 5 MB, the most mailops reads for a configuration file",
    "configuration files are small; subscriber data belongs in a source file (subscribers/<name>.yaml `source:`)",
  ],
  binary: (raw) => [
    `file is not UTF-8 text: ${raw.detail ?? "it holds bytes that are not UTF-8"}`,
    "save it as UTF-8 text, or move it out of this folder if it is not a configuration file",
  ],
  unreadable: (raw) => [
    `file cannot be read: ${raw.detail ?? "the system refused"}`,
    raw.detail?.includes("ELOOP")
      ? "fix or remove the symbolic link"
      : "check that the file is readable by the user running mailops",
  ],
  "outside-repo": () => [
    "file is a symbolic link to a place outside the repository",
    "mailops reads only files inside the repository; copy the file in instead of linking it",
  ],
  "not-a-file": () => [
    "not a regular file (a folder or device named like a YAML file)",
    "remove it, or rename it so it does not end in .yaml",
  ],
};

/** Raw file → parsed YAML checked against its schema. Pure. */
export function parseFile(kind: FileKind, raw: RawFile): Result<Parsed> {
  const name = path.basename(raw.path).replace(/\.ya?ml$/i, "");
  if (raw.text === undefined) {
    const problem = raw.problem ?? "unreadable";
    const [message, hint] = FILE_PROBLEMS[problem](raw);
    return { value: { raw, name, ok: false }, findings: [error(`file/${problem}`, at(raw), message, hint)] };
  }
  const parsed = parseYaml(raw.path, raw.text);
  if (!parsed.doc) return { value: { raw, name, ok: false }, findings: parsed.findings };
  const schemaFindings = checkSchema(kind, parsed.doc);
  return {
    value: { raw, name, doc: parsed.doc, ok: schemaFindings.length === 0 },
    findings: [...parsed.findings, ...schemaFindings],
  };
}

function at(raw: RawFile) {
  return { file: raw.path, line: raw.at?.line ?? 1, col: raw.at?.col ?? 1 };
}

function buildProject(
  files: RepoFiles,
  settingsParsed: Parsed,
  templatesParsed: Parsed[],
  partFiles: Map<string, RawFile>,
  parse: (kind: FileKind, raw: RawFile) => Parsed,
): Result<Project> {
  const findings: Finding[] = [];
  const settings = buildSettings(settingsParsed.raw.path, settingsParsed.doc, settingsParsed.ok);
  const project: Project = {
    root: files.root,
    settings,
    templates: new Map(),
    sources: new Map(),
    segments: new Map(),
    campaigns: new Map(),
    fileCount:
      1 +
      templatesParsed.length +
      files.sources.length +
      files.segments.length +
      files.campaigns.length +
      partFiles.size,
  };
  const add = <T extends Entity>(kind: string, map: Map<string, T>, entity: T) => {
    const first = map.get(entity.name);
    if (first) {
      findings.push(
        error(
          "name/duplicate",
          { file: entity.file, line: 1, col: 1 },
          `${kind} \`${entity.name}\` is defined twice: ${first.file} and ${entity.file}`,
          `names are file stems and must be unique per kind; rename one of the files`,
        ),
      );
      return;
    }
    map.set(entity.name, entity);
  };
  for (const t of templatesParsed) {
    const r = buildTemplate(t.name, t.raw.path, t.doc, t.ok, partFiles);
    findings.push(...r.findings);
    add("template", project.templates, r.value);
  }
  for (const raw of files.sources) {
    const p = parse("source", raw);
    add("subscriber source", project.sources, buildSource(p.name, raw.path, p.doc, p.ok));
  }
  for (const raw of files.segments) {
    const p = parse("segment", raw);
    add("segment", project.segments, buildSegment(p.name, raw.path, p.doc, p.ok));
  }
  for (const raw of files.campaigns) {
    const p = parse("campaign", raw);
    add("campaign", project.campaigns, buildCampaign(p.name, raw.path, p.doc, p.ok));
  }
  return { value: project, findings };
}
