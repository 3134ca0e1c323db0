/** CloudWatch alarms and dashboards: read into canonical specs, and apply one change. */
import {
  type CloudWatchClient,
  type ComparisonOperator,
  DeleteAlarmsCommand,
  DeleteDashboardsCommand,
  DescribeAlarmsCommand,
  GetDashboardCommand,
  ListTagsForResourceCommand,
  type MetricAlarm,
  PutDashboardCommand,
  PutMetricAlarmCommand,
} from "@aws-sdk/client-cloudwatch";
import { KIND_INFO } from "../../plan/kinds.js";
import type { Change } from "../../plan/plan.js";
import type { LiveResource } from "../../plan/resource.js";
import { isNotFound } from "./errors.js";
import { mapLimit } from "./pace.js";

/** DescribeAlarms takes at most 100 names a call. */
export async function readAlarms(cw: CloudWatchClient, names: string[]): Promise<LiveResource[]> {
  const alarms: MetricAlarm[] = [];
  for (let i = 0; i < names.length; i += 100) {
    let NextToken: string | undefined;
    do {
      const r = await cw.send(
        new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + 100), MaxRecords: 100, NextToken }),
      );
      alarms.push(...(r.MetricAlarms ?? []));
      NextToken = r.NextToken;
    } while (NextToken);
  }
  // Tags are one call per alarm; a few in flight (CloudWatch allows about 10 a second).
  return mapLimit(alarms, 4, async (a) => {
    let tags: Record<string, string> = {};
    if (a.AlarmArn) {
      const t = await cw.send(new ListTagsForResourceCommand({ ResourceARN: a.AlarmArn }));
      tags = Object.fromEntries((t.Tags ?? []).map((x) => [x.Key ?? "", x.Value ?? ""]));
    }
    const evaluationPeriods = a.EvaluationPeriods ?? 0;
    return {
      kind: "alarm" as const,
      name: a.AlarmName ?? "",
      // What CloudWatch leaves out means its default: that is what the spec says, so an alarm
      // changed outside mailops (actions off, OK actions added) shows as a change.
      spec: {
        namespace: a.Namespace ?? "",
        metric: a.MetricName ?? "",
        statistic: a.Statistic ?? a.ExtendedStatistic ?? "",
        comparison: a.ComparisonOperator ?? "",
        threshold: a.Threshold ?? 0,
        period: a.Period ?? 0,
        evaluationPeriods,
        datapointsToAlarm: a.DatapointsToAlarm ?? evaluationPeriods,
        treatMissingData: a.TreatMissingData ?? "missing",
        actionsEnabled: a.ActionsEnabled ?? true,
        dimensions: (a.Dimensions ?? []).map((d) => ({ name: d.Name ?? "", value: d.Value ?? "" })),
        actions: a.AlarmActions ?? [],
        okActions: a.OKActions ?? [],
        insufficientDataActions: a.InsufficientDataActions ?? [],
        description: a.AlarmDescription ?? "",
      },
      tags,
    };
  });
}

export async function applyAlarm(
  cw: CloudWatchClient,
  change: Change,
  tags: Record<string, string>,
): Promise<void> {
  if (change.action === "delete") {
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: [change.name] }));
    return;
  }
  // Normalized: the defaults the plan compared against are the values sent.
  const a = KIND_INFO.alarm.normalize(change.after ?? {});
  // PutMetricAlarm replaces the whole alarm (what it leaves out is reset); tags are taken only on create.
  await cw.send(
    new PutMetricAlarmCommand({
      AlarmName: change.name,
      AlarmDescription: String(a.description ?? ""),
      Namespace: String(a.namespace),
      MetricName: String(a.metric),
      Statistic: a.statistic as "Average",
      ComparisonOperator: a.comparison as ComparisonOperator,
      Threshold: Number(a.threshold),
      Period: Number(a.period),
      EvaluationPeriods: Number(a.evaluationPeriods),
      DatapointsToAlarm: Number(a.datapointsToAlarm),
      TreatMissingData: String(a.treatMissingData),
      Dimensions: ((a.dimensions as { name: string; value: string }[]) ?? []).map((d) => ({
        Name: d.name,
        Value: d.value,
      })),
      AlarmActions: a.actions as string[],
      OKActions: a.okActions as string[],
      InsufficientDataActions: a.insufficientDataActions as string[],
      ActionsEnabled: a.actionsEnabled === true,
      ...(change.action === "create"
        ? { Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }
        : {}),
    }),
  );
}

export async function readDashboard(cw: CloudWatchClient, name: string): Promise<LiveResource | undefined> {
  try {
    const r = await cw.send(new GetDashboardCommand({ DashboardName: name }));
    // Dashboards take no tags: ownership comes from the inventory alone.
    return { kind: "dashboard", name, spec: { body: r.DashboardBody ?? "" }, tags: {} };
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export async function applyDashboard(cw: CloudWatchClient, change: Change): Promise<void> {
  if (change.action === "delete") {
    await cw.send(new DeleteDashboardsCommand({ DashboardNames: [change.name] }));
    return;
  }
  const body = change.after?.body;
  await cw.send(
    new PutDashboardCommand({
      DashboardName: change.name,
      DashboardBody: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}
