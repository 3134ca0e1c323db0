/**
 * What `mailops init` writes (commands/init.ts): the example repository as this package ships it
 * (mailops.yaml, templates, subscribers, segments, campaigns, schemas), its workflows naming the
 * Action by reference (workflows.ts), a package.json that pins mailops, a README for the people who
 * write the campaigns (scaffold/README.md), a .gitignore and a Dependabot configuration. Read from
 * the package at run time, so what init writes is the example, never a copy of it that drifts.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { campaignWorkflow, WORKFLOWS } from "./workflows.js";

export interface ScaffoldFile {
  /** Relative to the new repository, with `/`. */
  path: string;
  content: string | Buffer;
}

export interface ScaffoldOptions {
  project: string;
  /** mailops' GitHub repository, `owner/name`. */
  repository: string;
  /** The Action as the workflows name it: `owner/mailops@tag`. */
  uses: string;
  /** mailops as package.json's dependencies name it. */
  dependency: string;
}

/** The example's folders and files that a campaign repository starts from. */
const EXAMPLE = ["mailops.yaml", "templates", "subscribers", "campaigns", "schemas"];
/**
 * Example files that only make sense in this repository: the PostgreSQL source is loaded by its
 * scripts/load-example-postgres.mjs, which a campaign repository does not have.
 */
const EXAMPLE_ONLY = new Set(["subscribers/crm.yaml"]);

/** What init writes besides the example, kept in the package's scaffold/ folder. */
const SCAFFOLD_DIR = "scaffold";

/** A project name (`^[A-Za-z0-9_-]{1,64}$`, schemas/mailops.schema.json) from a folder's name. */
export function projectName(dir: string): string {
  const name = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64);
  return name || "campaigns";
}

function walk(root: string, rel: string): string[] {
  const abs = path.join(root, rel);
  if (!statSync(abs).isDirectory()) return [rel];
  return readdirSync(abs)
    .sort()
    .flatMap((name) => walk(root, `${rel}/${name}`));
}

/** The example's `project:` line, naming this project instead. */
export function withProject(mailopsYaml: string, project: string): string {
  const line = /^project: .*$/m;
  if (!line.test(mailopsYaml)) throw new Error("the example mailops.yaml has no `project:` line");
  return mailopsYaml.replace(line, `project: ${project}`);
}

function exampleFiles(packageRoot: string, project: string): ScaffoldFile[] {
  return EXAMPLE.flatMap((entry) => walk(packageRoot, entry))
    .filter((rel) => !EXAMPLE_ONLY.has(rel))
    .map((rel) => {
      const content = readFileSync(path.join(packageRoot, rel));
      return rel === "mailops.yaml"
        ? { path: rel, content: withProject(content.toString("utf8"), project) }
        : { path: rel, content };
    });
}

function workflowFiles(packageRoot: string, uses: string): ScaffoldFile[] {
  return WORKFLOWS.map((file) => ({
    path: `.github/workflows/${file}`,
    content: campaignWorkflow(
      file,
      readFileSync(path.join(packageRoot, ".github/workflows", file), "utf8"),
      uses,
    ),
  }));
}

/** The campaign repository's package.json: mailops pinned, and the commands as npm scripts. */
export function packageJson(o: ScaffoldOptions): string {
  const pkg = {
    name: o.project,
    private: true,
    description: "Email campaigns as code for Amazon SES, with mailops",
    scripts: {
      validate: "mailops validate",
      plan: "mailops plan",
      deploy: "mailops deploy",
      status: "mailops status",
    },
    dependencies: { mailops: o.dependency },
    engines: { node: ">=20" },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** `%project%`, `%repository%`, `%uses%` and `%dependency%` in a scaffold file, filled in. */
export function fill(text: string, o: ScaffoldOptions): string {
  return text
    .replaceAll("%project%", o.project)
    .replaceAll("%repository%", o.repository)
    .replaceAll("%uses%", o.uses)
    .replaceAll("%dependency%", o.dependency);
}

function scaffoldText(packageRoot: string, file: string, o: ScaffoldOptions): string {
  return fill(readFileSync(path.join(packageRoot, SCAFFOLD_DIR, file), "utf8"), o);
}

/** Every file of a new campaign repository, in the order init writes them. */
export function scaffoldFiles(packageRoot: string, o: ScaffoldOptions): ScaffoldFile[] {
  return [
    { path: "README.md", content: scaffoldText(packageRoot, "README.md", o) },
    { path: "package.json", content: packageJson(o) },
    // npm leaves a package's .gitignore out of it: the scaffold keeps it without the dot.
    { path: ".gitignore", content: scaffoldText(packageRoot, "gitignore", o) },
    { path: ".github/dependabot.yml", content: scaffoldText(packageRoot, "dependabot.yml", o) },
    ...workflowFiles(packageRoot, o.uses),
    ...exampleFiles(packageRoot, o.project),
  ];
}
