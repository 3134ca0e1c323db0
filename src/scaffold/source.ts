/**
 * Where a campaign repository takes mailops from: this package's GitHub repository (package.json
 * `repository`) at the release tag of its version, until mailops is published to npm. The
 * workflows name the Action as `<owner>/<name>@<tag>`; package.json names the package as a git
 * dependency on the same tag, which npm builds with its `prepare` script.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../errors.js";

export interface MailopsSource {
  /** `owner/name` of mailops on GitHub. */
  repository: string;
  /** The release tag: `v<version>`. */
  ref: string;
  version: string;
}

interface PackageJson {
  version?: string;
  repository?: string | { url?: string };
}

/** `git+https://github.com/o/n.git`, `github:o/n`, `o/n` → `o/n`; undefined for anything else. */
export function githubRepository(repository: PackageJson["repository"]): string | undefined {
  const url = typeof repository === "string" ? repository : repository?.url;
  const m =
    /^(?:github:|git\+https:\/\/github\.com\/|https:\/\/github\.com\/)?([\w.-]+\/[\w.-]+?)(?:\.git)?$/.exec(
      url ?? "",
    );
  return m?.[1];
}

/** What this package says of itself: its GitHub repository and the tag of its version. */
export function packageSource(packageRoot: string): MailopsSource {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot, "package.json"), "utf8")) as PackageJson;
  const repository = githubRepository(pkg.repository);
  if (!repository || !pkg.version) {
    throw new UsageError(
      `${path.join(packageRoot, "package.json")} names no GitHub repository or version to take mailops from`,
      "pass --mailops OWNER/NAME@TAG",
    );
  }
  return { repository, ref: `v${pkg.version}`, version: pkg.version };
}

/** `owner/name@ref` as `--mailops` gives it. */
export function parseSource(text: string): Omit<MailopsSource, "version"> {
  const m = /^([\w.-]+\/[\w.-]+)@([\w./-]+)$/.exec(text.trim());
  if (!m) throw new UsageError(`--mailops ${text}: expected OWNER/NAME@TAG, e.g. acme/mailops@v0.2.0`);
  return { repository: m[1] as string, ref: m[2] as string };
}

/** The Action as a workflow step names it. */
export const actionUses = (s: Pick<MailopsSource, "repository" | "ref">): string =>
  `${s.repository}@${s.ref}`;

/** The package as package.json's dependencies name it: a git dependency on the tag. */
export const gitDependency = (s: Pick<MailopsSource, "repository" | "ref">): string =>
  `github:${s.repository}#${s.ref}`;
