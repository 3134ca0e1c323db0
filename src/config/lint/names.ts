import { error } from "../findings.js";
import type { Entity } from "../model.js";
import { type LintContext, NAME } from "./context.js";

const NAME_HINT = "SES names use only letters, digits, `-` and `_`, at most 64 characters; rename the file";

/** File stems become SES resource names and tag values, so they follow SES's name rules. */
export function checkNames({ project, report }: LintContext): void {
  const kinds: [string, Map<string, Entity>][] = [
    ["template", project.templates],
    ["campaign", project.campaigns],
    ["segment", project.segments],
    ["subscriber source", project.sources],
  ];
  for (const [kind, map] of kinds) {
    for (const entity of map.values()) {
      if (!NAME.test(entity.name)) {
        report(
          error(
            "name/invalid",
            { file: entity.file, line: 1, col: 1 },
            `${kind} name \`${entity.name}\` is not a valid SES name`,
            NAME_HINT,
          ),
        );
      }
    }
  }
  const settings = project.settings;
  for (const name of Object.keys(settings.configurationSets)) {
    if (!NAME.test(name)) {
      report(
        error(
          "name/invalid",
          settings.doc?.pos(["configuration_sets", name], "key") ?? { file: settings.file, line: 1, col: 1 },
          `configuration set name \`${name}\` is not a valid SES name`,
          "use only letters, digits, `-` and `_`, at most 64 characters",
        ),
      );
    }
  }
  for (const segment of project.segments.values()) {
    if (project.sources.has(segment.name)) {
      report(
        error(
          "name/ambiguous",
          { file: segment.file, line: 1, col: 1 },
          `\`${segment.name}\` names both a segment and a subscriber source (${project.sources.get(segment.name)?.file})`,
          "campaigns refer to both by name; rename one of them",
        ),
      );
    }
  }
}
