/** CloudWatch alarms and dashboards: read into canonical specs, and apply one change. */
import {
  type CloudWatchClient,
  DeleteAlarmsCommand,
  DeleteDashboardsCommand,
  DescribeAlarmsCommand,
  GetDashboardCommand,
  ListTagsForResourceCommand,
  type MetricAlarm,
  PutDashboardCommand,
  PutMetricAlarmCommand,
} from "@aws-sdk/client-cloudwatch";
import type { Change } from "../../plan/plan.js";
import type { LiveResource } from "../../plan/resource.js";
import { isNotFound } from "./errors.js";

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
  const out: LiveResource[] = [];
  for (const a of alarms) {
    let tags: Record<string, string> = {};
    if (a.AlarmArn) {
      const t = await cw.send(new ListTagsForResourceCommand({ ResourceARN: a.AlarmArn }));
      tags = Object.fromEntries((t.Tags ?? []).map((x) => [x.Key ?? "", x.Value ?? ""]));
    }
    out.push({
      kind: "alarm",
      name: a.AlarmName ?? "",
      spec: {
        metric: a.MetricName ?? "",
        statistic: a.Statistic ?? "",
        comparison: a.ComparisonOperator ?? "",
        threshold: a.Threshold ?? 0,
        period: a.Period ?? 0,
        evaluationPeriods: a.EvaluationPeriods ?? 0,
        treatMissingData: a.TreatMissingData ?? "missing",
        dimensions: (a.Dimensions ?? []).map((d) => ({ name: d.Name ?? "", value: d.Value ?? "" })),
        actions: a.AlarmActions ?? [],
        description: a.AlarmDescription ?? "",
      },
      tags,
    });
  }
  return out;
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
  const a = change.after ?? {};
  // PutMetricAlarm replaces the whole alarm; tags are taken only on create.
  await cw.send(
    new PutMetricAlarmCommand({
      AlarmName: change.name,
      AlarmDescription: String(a.description ?? ""),
      Namespace: "AWS/SES",
      MetricName: String(a.metric),
      Statistic: a.statistic as "Average",
      ComparisonOperator: a.comparison as "GreaterThanOrEqualToThreshold",
      Threshold: Number(a.threshold),
      Period: Number(a.period),
      EvaluationPeriods: Number(a.evaluationPeriods),
      TreatMissingData: String(a.treatMissingData ?? "ignore"),
      Dimensions: ((a.dimensions as { name: string; value: string }[]) ?? []).map((d) => ({
        Name: d.name,
        Value: d.value,
      })),
      AlarmActions: (a.actions as string[]) ?? [],
      ActionsEnabled: true,
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
