import { error } from "../findings.js";
import { positionOf, type Source } from "../model.js";
import type { LintContext } from "./context.js";

/** mailops.yaml and subscriber sources: what the schema cannot say on its own. */
export function checkSettings({ project, report }: LintContext): void {
  const { settings } = project;
  if (!settings.doc) return;
  for (const set of Object.values(settings.configurationSets)) {
    const names = new Set<string>();
    set.events.forEach((e, i) => {
      const targets = [e.cloudwatch, e.sns, e.eventbridge].filter(Boolean).length;
      if (targets !== 1) {
        report(
          error(
            "configuration-set/event-destination",
            () => positionOf(settings, ["configuration_sets", set.name, "events", i]),
            `event destination \`${e.name}\` must name exactly one of \`cloudwatch\`, \`sns\`, \`eventbridge\` (found ${targets})`,
            "SES sends each event destination to one place; add one destination per target",
          ),
        );
      }
      const sns = rawSns(settings.doc?.data, set.name, i);
      if (sns && "topic" in sns === "topic_arn" in sns) {
        report(
          error(
            "configuration-set/event-destination",
            () => positionOf(settings, ["configuration_sets", set.name, "events", i, "sns"]),
            `event destination \`${e.name}\`: \`sns\` must name exactly one of \`topic\` (a topic mailops makes) and \`topic_arn\` (one made elsewhere)`,
            "write `sns: { topic: email-events }` to let mailops create and own the topic, or `sns: { topic_arn: arn:aws:sns:… }` for an existing one",
          ),
        );
      } else if (sns && "topic_arn" in sns && "adopt" in sns) {
        report(
          error(
            "configuration-set/event-destination",
            () => positionOf(settings, ["configuration_sets", set.name, "events", i, "sns", "adopt"]),
            `event destination \`${e.name}\`: \`adopt\` goes with \`topic\`; a topic named by \`topic_arn\` is not managed by mailops`,
            "remove `adopt`, or name the topic with `topic:` to let mailops manage it",
          ),
        );
      }
      if (names.has(e.name)) {
        report(
          error(
            "configuration-set/event-destination",
            () => positionOf(settings, ["configuration_sets", set.name, "events", i, "name"]),
            `event destination \`${e.name}\` is defined twice in \`${set.name}\``,
            "event destination names are unique within a configuration set; rename one",
          ),
        );
      }
      names.add(e.name);
    });
  }
  checkMaxInvalidRows({ project, report });
  const { unsubscribe } = settings;
  const unsubPos = () => positionOf(settings, ["unsubscribe"], "key");
  if (!("unsubscribe" in (settings.doc.data as object))) {
    report(
      error(
        "settings/unsubscribe",
        unsubPos,
        "mailops.yaml has no `unsubscribe` settings",
        "marketing mail must let recipients opt out; add `unsubscribe: { mode: ses-list, contact_list: <name> }`",
      ),
    );
    return;
  }
  if (unsubscribe.mode === "ses-list" && unsubscribe.contactList === undefined) {
    report(
      error(
        "settings/unsubscribe",
        unsubPos,
        "`unsubscribe.mode: ses-list` needs `contact_list`",
        "name the SES contact list that records opt-outs, e.g. `contact_list: acme`",
      ),
    );
  }
  if (unsubscribe.mode === "link" && unsubscribe.url === undefined) {
    report(
      error(
        "settings/unsubscribe",
        unsubPos,
        "`unsubscribe.mode: link` needs `url`",
        "add the base URL of your unsubscribe endpoint, e.g. `url: https://example.com/unsubscribe`",
      ),
    );
  }
}

/** An event destination's `sns` mapping as written: which keys it has tells what was meant. */
function rawSns(data: unknown, set: string, i: number): object | undefined {
  const at = (v: unknown, k: string | number): unknown =>
    v !== null && typeof v === "object" ? (v as Record<string | number, unknown>)[k] : undefined;
  const sns = at(at(at(at(at(data, "configuration_sets"), set), "events"), i), "sns");
  return sns !== null && typeof sns === "object" && !Array.isArray(sns) ? sns : undefined;
}

/** The schema checks the form (`250`, `1%`); a share over 100% is beyond all the rows read. */
function checkMaxInvalidRows({ project, report }: LintContext): void {
  const { settings } = project;
  const max = settings.guardrails.maxInvalidRows;
  if (!("percent" in max) || max.percent <= 100) return;
  report(
    error(
      "settings/max-invalid-rows",
      () => positionOf(settings, ["guardrails", "max_invalid_rows"]),
      `\`guardrails.max_invalid_rows\` is ${max.percent}%, more than all the rows read`,
      "write a share of at most 100%, e.g. `1%`, or a number of rows, e.g. `250`",
    ),
  );
}

export function checkSources({ project, report }: LintContext): void {
  for (const s of project.sources.values()) {
    if (!s.doc) continue;
    const emails = [...s.fields.values()].filter((f) => f.type === "email");
    // A field the schema rejected is missing from `fields`; counting without it would mislead.
    if (s.ok && emails.length !== 1 && s.fields.size > 0) {
      report(
        error(
          "source/email-field",
          positionOf(s, ["fields"], "key"),
          emails.length === 0
            ? "no field has `type: email`"
            : `${emails.length} fields have \`type: email\`: ${emails.map((f) => f.name).join(", ")}`,
          "exactly one field must be the recipient address, e.g. `email: { type: email, required: true }`",
        ),
      );
    }
    if (s.location !== undefined && s.format === undefined && !s.postgres) {
      report(
        error(
          "source/format",
          positionOf(s, ["source"]),
          `cannot tell the format of \`${s.location}\``,
          "use a .csv, .json or .jsonl file (optionally .gz), or set `format:`",
        ),
      );
    }
    if (s.localProblem) {
      const [message, hint] = SOURCE_PROBLEMS[s.localProblem](s.location ?? "");
      report(error("source/file", positionOf(s, ["source"]), message, hint));
    }
  }
}

const SOURCE_PROBLEMS: Record<NonNullable<Source["localProblem"]>, (p: string) => [string, string]> = {
  missing: (p) => [
    `\`${p}\` does not exist`,
    "the path is relative to this file; use s3://bucket/key for data kept in S3",
  ],
  "outside-repo": (p) => [
    `\`${p}\` is outside the repository`,
    "local sources must live inside the repository; use s3://bucket/key for data kept elsewhere",
  ],
  "not-a-file": (p) => [`\`${p}\` is not a file`, "point at the data file, not a folder"],
  unreadable: (p) => [
    `\`${p}\` cannot be read`,
    "check that the file is readable by the user running mailops",
  ],
  "too-large": (p) => [`\`${p}\` is too large to check`, "keep large subscriber lists in S3"],
  binary: (p) => [`\`${p}\` is not text`, "subscriber data is CSV, JSON or JSON Lines text"],
};
