/**
 * What exists, by name, for `mailops import`: one List call per kind (paged), where the read
 * functions take one name each. Alarms are listed by DescribeAlarms with no names and kept when
 * they watch an SES metric (the namespace `AWS/SES`, alone or in metric math), which IAM scopes
 * to every alarm of the account (`alarm:*`), unlike the project's own reads (`alarm:<project>-*`).
 */
import {
  type CloudWatchClient,
  type MetricAlarm,
  paginateDescribeAlarms,
  paginateListDashboards,
} from "@aws-sdk/client-cloudwatch";
import {
  paginateListConfigurationSets,
  paginateListContactLists,
  paginateListEmailIdentities,
  paginateListEmailTemplates,
  type SESv2Client,
} from "@aws-sdk/client-sesv2";
import { readEventDestinations } from "./ses.js";

const sorted = (names: (string | undefined)[]): string[] =>
  names.filter((n): n is string => typeof n === "string" && n !== "").sort();

export async function listTemplates(ses: SESv2Client): Promise<string[]> {
  const out: (string | undefined)[] = [];
  // SES gives at most 100 a page (10 by default).
  for await (const page of paginateListEmailTemplates({ client: ses }, { PageSize: 100 })) {
    out.push(...(page.TemplatesMetadata ?? []).map((t) => t.TemplateName));
  }
  return sorted(out);
}

export async function listConfigurationSets(ses: SESv2Client): Promise<string[]> {
  const out: (string | undefined)[] = [];
  for await (const page of paginateListConfigurationSets({ client: ses }, {})) {
    out.push(...(page.ConfigurationSets ?? []));
  }
  return sorted(out);
}

/** Every event destination, `<set>/<destination>`: one read per configuration set. */
export async function listEventDestinations(ses: SESv2Client): Promise<string[]> {
  const out: string[] = [];
  for (const set of await listConfigurationSets(ses)) {
    out.push(...(await readEventDestinations(ses, set)).map((d) => d.name));
  }
  return out.sort();
}

export async function listContactLists(ses: SESv2Client): Promise<string[]> {
  const out: (string | undefined)[] = [];
  for await (const page of paginateListContactLists({ client: ses }, {})) {
    out.push(...(page.ContactLists ?? []).map((l) => l.ContactListName));
  }
  return sorted(out);
}

export async function listIdentities(ses: SESv2Client): Promise<string[]> {
  const out: (string | undefined)[] = [];
  for await (const page of paginateListEmailIdentities({ client: ses }, {})) {
    out.push(...(page.EmailIdentities ?? []).map((i) => i.IdentityName));
  }
  return sorted(out);
}

const onSes = (a: MetricAlarm): boolean =>
  a.Namespace === "AWS/SES" || (a.Metrics ?? []).some((m) => m.MetricStat?.Metric?.Namespace === "AWS/SES");

/** The metric alarms on SES metrics (composite alarms watch alarms, not metrics). */
export async function listSesAlarms(cw: CloudWatchClient): Promise<string[]> {
  const out: (string | undefined)[] = [];
  for await (const page of paginateDescribeAlarms({ client: cw }, { AlarmTypes: ["MetricAlarm"] })) {
    out.push(...(page.MetricAlarms ?? []).filter(onSes).map((a) => a.AlarmName));
  }
  return sorted(out);
}

export async function listDashboards(cw: CloudWatchClient): Promise<string[]> {
  const out: (string | undefined)[] = [];
  for await (const page of paginateListDashboards({ client: cw }, {})) {
    out.push(...(page.DashboardEntries ?? []).map((d) => d.DashboardName));
  }
  return sorted(out);
}
