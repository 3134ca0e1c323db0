/** Shared wiring for commands that need the model, a target and the state store. */

import type { Project } from "../config/model.js";
import { UsageError } from "../errors.js";
import { openStore, type Store } from "../store/index.js";
import { LocalTarget } from "../targets/local/resources.js";
import type { Target } from "../targets/port.js";

export type TargetName = "local" | "aws";

export interface CommonOptions {
  dir: string;
  target?: string;
}

export function targetName(project: Project, flag: string | undefined): TargetName {
  // Empty is unset: a workflow's `${{ vars.MAILOPS_TARGET }}` is "" when the variable is not defined.
  const name = flag?.trim() || process.env.MAILOPS_TARGET?.trim() || project.settings.target;
  if (name !== "local" && name !== "aws") {
    throw new UsageError(`unknown target \`${name}\``, "use --target local or --target aws");
  }
  return name;
}

export type TargetFactory = (name: TargetName, project: Project) => Promise<Target>;

export const openTarget: TargetFactory = async (name, project) => {
  if (name === "local") return new LocalTarget(project.root);
  const { AwsTarget } = await import("../targets/aws/index.js");
  return new AwsTarget({ region: project.settings.region });
};

export function projectStore(project: Project): Store {
  return openStore(project.settings.state, { root: project.root, region: project.settings.region });
}
