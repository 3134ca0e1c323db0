import { didYouMean, listOptions } from "../../util/closest.js";
import { error, type Position } from "../findings.js";
import { positionOf } from "../model.js";
import type { PathSegment } from "../yaml.js";
import type { LintContext } from "./context.js";

/** A hint for an unknown name: the closest existing one, else the valid options, else how to create one. */
export function unknownHint(name: string, options: string[], create: string): string {
  const suggestion = didYouMean(name, options);
  if (suggestion) return suggestion;
  return options.length ? `known: ${listOptions(options.sort())}` : create;
}

/** Every name a file uses must resolve to something defined in the repository. */
export function checkReferences({ project, report }: LintContext): void {
  const { settings } = project;
  const templates = [...project.templates.keys()];
  const audiences = [...project.segments.keys(), ...project.sources.keys()];
  const configSets = Object.keys(settings.configurationSets);
  const topics = Object.keys(settings.unsubscribe.topics);

  for (const c of project.campaigns.values()) {
    const at = (p: PathSegment[]): Position => positionOf(c, p);
    if (c.template !== undefined && !project.templates.has(c.template)) {
      report(
        error(
          "campaign/unknown-template",
          at(["template"]),
          `template \`${c.template}\` does not exist`,
          unknownHint(c.template, templates, `create templates/${c.template}.yaml`),
        ),
      );
    }
    const audienceList = (key: "to" | "exclude", names: string[]) => {
      const d = c.doc?.data as Record<string, unknown> | undefined;
      const isList = Array.isArray(d?.[key]);
      names.forEach((name, i) => {
        if (project.segments.has(name) || project.sources.has(name)) return;
        report(
          error(
            "campaign/unknown-segment",
            at(isList ? [key, i] : [key]),
            `segment or subscriber source \`${name}\` does not exist`,
            unknownHint(name, audiences, `create subscribers/segments/${name}.yaml`),
          ),
        );
      });
    };
    audienceList("to", c.to);
    audienceList("exclude", c.exclude);
    if (c.configurationSet !== undefined && !(c.configurationSet in settings.configurationSets)) {
      report(
        error(
          "campaign/unknown-configuration-set",
          at(["configuration_set"]),
          `configuration set \`${c.configurationSet}\` is not defined in mailops.yaml`,
          unknownHint(c.configurationSet, configSets, "add it under `configuration_sets:` in mailops.yaml"),
        ),
      );
    }
    if (c.topic !== undefined) {
      if (settings.unsubscribe.mode !== "ses-list") {
        report(
          error(
            "campaign/unknown-topic",
            at(["topic"]),
            "topics need `unsubscribe.mode: ses-list`",
            "remove `topic`, or switch mailops.yaml to the ses-list unsubscribe mode",
          ),
        );
      } else if (!(c.topic in settings.unsubscribe.topics)) {
        report(
          error(
            "campaign/unknown-topic",
            at(["topic"]),
            `topic \`${c.topic}\` is not defined in mailops.yaml`,
            unknownHint(c.topic, topics, "add it under `unsubscribe.topics:` in mailops.yaml"),
          ),
        );
      }
    }
  }

  const sources = [...project.sources.keys()];
  for (const s of project.segments.values()) {
    if (s.from !== undefined && !project.sources.has(s.from)) {
      report(
        error(
          "segment/unknown-source",
          positionOf(s, ["from"]),
          `subscriber source \`${s.from}\` does not exist`,
          unknownHint(s.from, sources, `create subscribers/${s.from}.yaml`),
        ),
      );
    }
  }

  for (const alarm of Object.values(settings.alarms)) {
    const set = alarm.configurationSet;
    if (set === undefined) continue;
    const pos = () => positionOf(settings, ["alarms", alarm.name, "configuration_set"]);
    const def = settings.configurationSets[set];
    if (!def) {
      report(
        error(
          "alarm/unknown-configuration-set",
          pos,
          `configuration set \`${set}\` is not defined in mailops.yaml`,
          unknownHint(set, configSets, "add it under `configuration_sets:`"),
        ),
      );
    } else if (!def.reputationMetrics) {
      report(
        error(
          "alarm/reputation-metrics-off",
          pos,
          `alarm \`${alarm.name}\` watches configuration set \`${set}\`, which does not publish reputation metrics`,
          `set \`reputation_metrics: true\` on \`${set}\`, or remove \`configuration_set\` to alarm on the account's rate`,
        ),
      );
    }
  }
}
