/**
 * A CloudWatch alarm as an entry of `alarms:`. mailops makes one kind of alarm (a reputation rate
 * strictly above a threshold, its Average, missing data ignored, named `<project>-<name>`): an
 * alarm on SES metrics of another shape is reported with what differs, never rewritten to fit.
 */
import { alarmDescription } from "../plan/desired.js";
import { KIND_INFO } from "../plan/kinds.js";
import type { Json, LiveResource } from "../plan/resource.js";
import type { NotImported } from "./types.js";

type Obj = Record<string, unknown>;
const rec = (v: Json | undefined): { [key: string]: Json } =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? v : {};
const strs = (v: Json | undefined): string[] => (Array.isArray(v) ? v.map(String) : []);

const METRICS: Record<string, "bounce_rate" | "complaint_rate"> = {
  "Reputation.BounceRate": "bounce_rate",
  "Reputation.ComplaintRate": "complaint_rate",
};

/** Seconds as the largest whole unit: 3600 is `1h`, 900 `15m`. */
export function durationText(seconds: number): string {
  for (const [unit, size] of [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
  ] as const) {
    if (seconds > 0 && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** Every way the alarm differs from the kind mailops makes. */
function differences(s: { [key: string]: Json }): string[] {
  const out: string[] = [];
  const want = (field: string, value: Json, is: Json) => {
    if (value !== is) out.push(`${field} ${String(value)} (mailops makes ${String(is)})`);
  };
  want("namespace", s.namespace ?? "", "AWS/SES");
  if (!(String(s.metric) in METRICS))
    out.push(
      `metric ${String(s.metric) || "(metric math)"} (mailops watches Reputation.BounceRate and Reputation.ComplaintRate)`,
    );
  want("statistic", s.statistic ?? "", "Average");
  want("comparison", s.comparison ?? "", "GreaterThanThreshold");
  want("treat missing data", s.treatMissingData ?? "", "ignore");
  want("datapoints to alarm", s.datapointsToAlarm ?? 0, s.evaluationPeriods ?? 1);
  want("actions enabled", s.actionsEnabled ?? true, true);
  if (strs(s.okActions).length + strs(s.insufficientDataActions).length > 0)
    out.push("OK or insufficient-data actions (mailops sets alarm actions only)");
  const dims = ((s.dimensions as Json[]) ?? []).map(rec);
  if (dims.length > 1 || (dims.length === 1 && dims[0]?.name !== "ses:configuration-set"))
    out.push(
      `dimensions ${dims.map((d) => String(d.name)).join(", ")} (mailops watches the account or one configuration set)`,
    );
  const threshold = Number(s.threshold);
  if (!(threshold >= 0 && threshold <= 1)) out.push(`threshold ${threshold} (a rate is between 0 and 1)`);
  if (strs(s.actions).some((a) => !a.startsWith("arn:aws"))) out.push("an action that is not an ARN");
  return out;
}

export function alarmDoc(live: LiveResource, project: string): { key: string; doc: Obj } | NotImported {
  const prefix = `${project}-`;
  const s = KIND_INFO.alarm.normalize(live.spec);
  const problems = differences(s);
  if (!live.name.startsWith(prefix) || live.name === prefix)
    problems.unshift(`its name does not start with \`${prefix}\` (mailops names alarms <project>-<name>)`);
  if (problems.length > 0) return { kind: live.kind, name: live.name, reason: problems.join("; ") };
  const metric = METRICS[String(s.metric)] as "bounce_rate" | "complaint_rate";
  const above = Number(s.threshold);
  const dims = ((s.dimensions as Json[]) ?? []).map(rec);
  const doc: Obj = {};
  if (s.description !== alarmDescription(project, metric, above)) doc.description = s.description;
  doc.metric = metric;
  doc.above = above;
  doc.period = durationText(Number(s.period));
  if (s.evaluationPeriods !== 1) doc.evaluation_periods = s.evaluationPeriods;
  if (dims[0]) doc.configuration_set = dims[0].value;
  if (strs(s.actions).length > 0) doc.actions = strs(s.actions);
  doc.adopt = true;
  return { key: live.name.slice(prefix.length), doc };
}
