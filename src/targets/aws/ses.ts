/** SES v2 resources: read into canonical specs, and apply one change. */
import {
  CreateConfigurationSetCommand,
  CreateConfigurationSetEventDestinationCommand,
  CreateContactListCommand,
  CreateEmailTemplateCommand,
  DeleteConfigurationSetCommand,
  DeleteConfigurationSetEventDestinationCommand,
  DeleteContactListCommand,
  DeleteEmailTemplateCommand,
  type EventDestinationDefinition,
  type EventType,
  GetConfigurationSetCommand,
  GetConfigurationSetEventDestinationsCommand,
  GetContactListCommand,
  GetEmailTemplateCommand,
  PutConfigurationSetDeliveryOptionsCommand,
  PutConfigurationSetReputationOptionsCommand,
  PutConfigurationSetSendingOptionsCommand,
  PutConfigurationSetSuppressionOptionsCommand,
  PutConfigurationSetTrackingOptionsCommand,
  type SESv2Client,
  type SuppressionListReason,
  type Tag,
  UpdateConfigurationSetEventDestinationCommand,
  UpdateContactListCommand,
  UpdateEmailTemplateCommand,
} from "@aws-sdk/client-sesv2";
import type { Change } from "../../plan/plan.js";
import type { LiveResource, Spec } from "../../plan/resource.js";
import { isNotFound } from "./errors.js";

const tagList = (tags: Record<string, string>): Tag[] =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const tagMap = (tags: Tag[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? ""]));

async function orAbsent<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export async function readTemplate(ses: SESv2Client, name: string): Promise<LiveResource | undefined> {
  const r = await orAbsent(ses.send(new GetEmailTemplateCommand({ TemplateName: name })));
  if (!r) return undefined;
  const c = r.TemplateContent ?? {};
  return {
    kind: "template",
    name,
    spec: { subject: c.Subject ?? "", html: c.Html ?? "", text: c.Text ?? "" },
    tags: tagMap(r.Tags),
  };
}

export async function applyTemplate(
  ses: SESv2Client,
  change: Change,
  tags: Record<string, string>,
): Promise<void> {
  const TemplateName = change.name;
  if (change.action === "delete") {
    await ses.send(new DeleteEmailTemplateCommand({ TemplateName }));
    return;
  }
  const a = change.after ?? {};
  // SES rejects empty Html/Text parts: leave out what the template does not have.
  const TemplateContent = {
    Subject: String(a.subject ?? ""),
    ...(a.html ? { Html: String(a.html) } : {}),
    ...(a.text ? { Text: String(a.text) } : {}),
  };
  if (change.action === "create") {
    await ses.send(new CreateEmailTemplateCommand({ TemplateName, TemplateContent, Tags: tagList(tags) }));
  } else {
    await ses.send(new UpdateEmailTemplateCommand({ TemplateName, TemplateContent }));
  }
}

export async function readConfigurationSet(
  ses: SESv2Client,
  name: string,
): Promise<LiveResource | undefined> {
  const r = await orAbsent(ses.send(new GetConfigurationSetCommand({ ConfigurationSetName: name })));
  if (!r) return undefined;
  const tracking = r.TrackingOptions?.CustomRedirectDomain
    ? {
        customRedirectDomain: r.TrackingOptions.CustomRedirectDomain,
        httpsPolicy: r.TrackingOptions.HttpsPolicy ?? "OPTIONAL",
      }
    : null;
  return {
    kind: "configuration-set",
    name,
    spec: {
      tls: r.DeliveryOptions?.TlsPolicy === "REQUIRE" ? "require" : "optional",
      reputationMetrics: r.ReputationOptions?.ReputationMetricsEnabled ?? false,
      sendingEnabled: r.SendingOptions?.SendingEnabled ?? true,
      suppress: (r.SuppressionOptions?.SuppressedReasons ?? []).map(String).sort(),
      tracking,
    },
    tags: tagMap(r.Tags),
  };
}

function configurationSetParts(name: string, a: Spec) {
  const tracking = a.tracking as { customRedirectDomain: string; httpsPolicy: string } | null;
  return {
    ConfigurationSetName: name,
    DeliveryOptions: { TlsPolicy: a.tls === "require" ? ("REQUIRE" as const) : ("OPTIONAL" as const) },
    ReputationOptions: { ReputationMetricsEnabled: a.reputationMetrics === true },
    SendingOptions: { SendingEnabled: a.sendingEnabled !== false },
    SuppressionOptions: { SuppressedReasons: ((a.suppress as string[]) ?? []) as SuppressionListReason[] },
    TrackingOptions: tracking
      ? {
          CustomRedirectDomain: tracking.customRedirectDomain,
          HttpsPolicy: tracking.httpsPolicy as "REQUIRE",
        }
      : undefined,
  };
}

export async function applyConfigurationSet(
  ses: SESv2Client,
  change: Change,
  tags: Record<string, string>,
): Promise<void> {
  const ConfigurationSetName = change.name;
  if (change.action === "delete") {
    await ses.send(new DeleteConfigurationSetCommand({ ConfigurationSetName }));
    return;
  }
  const p = configurationSetParts(change.name, change.after ?? {});
  if (change.action === "create") {
    await ses.send(new CreateConfigurationSetCommand({ ...p, Tags: tagList(tags) }));
    return;
  }
  // Updates go through one call per option group; only the groups that changed are sent.
  const fields = new Set(
    change.fields ?? ["tls", "reputationMetrics", "sendingEnabled", "suppress", "tracking"],
  );
  if (fields.has("tls"))
    await ses.send(
      new PutConfigurationSetDeliveryOptionsCommand({ ConfigurationSetName, ...p.DeliveryOptions }),
    );
  if (fields.has("reputationMetrics"))
    await ses.send(
      new PutConfigurationSetReputationOptionsCommand({ ConfigurationSetName, ...p.ReputationOptions }),
    );
  if (fields.has("sendingEnabled"))
    await ses.send(
      new PutConfigurationSetSendingOptionsCommand({ ConfigurationSetName, ...p.SendingOptions }),
    );
  if (fields.has("suppress"))
    await ses.send(
      new PutConfigurationSetSuppressionOptionsCommand({ ConfigurationSetName, ...p.SuppressionOptions }),
    );
  if (fields.has("tracking"))
    await ses.send(
      new PutConfigurationSetTrackingOptionsCommand({ ConfigurationSetName, ...(p.TrackingOptions ?? {}) }),
    );
}

/** Event destinations of one configuration set, as live resources named `<set>/<destination>`. */
export async function readEventDestinations(ses: SESv2Client, set: string): Promise<LiveResource[]> {
  const r = await orAbsent(
    ses.send(new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: set })),
  );
  return (r?.EventDestinations ?? []).map((d) => ({
    kind: "event-destination" as const,
    name: `${set}/${d.Name}`,
    spec: {
      enabled: d.Enabled ?? false,
      types: (d.MatchingEventTypes ?? []).map(String).sort(),
      cloudwatch: d.CloudWatchDestination
        ? {
            dimensions: (d.CloudWatchDestination.DimensionConfigurations ?? []).map((c) => ({
              name: c.DimensionName ?? "",
              source: c.DimensionValueSource ?? "",
              default: c.DefaultDimensionValue ?? "",
            })),
          }
        : null,
      sns: d.SnsDestination?.TopicArn ? { topicArn: d.SnsDestination.TopicArn } : null,
      eventbridge: d.EventBridgeDestination
        ? { eventBusArn: d.EventBridgeDestination.EventBusArn ?? null }
        : null,
    },
    tags: {},
  }));
}

function destinationDefinition(a: Spec): EventDestinationDefinition {
  const cw = a.cloudwatch as { dimensions: { name: string; source: string; default: string }[] } | null;
  const sns = a.sns as { topicArn: string } | null;
  const eb = a.eventbridge as { eventBusArn: string | null } | null;
  return {
    Enabled: a.enabled !== false,
    MatchingEventTypes: a.types as string[] as EventType[],
    ...(cw
      ? {
          CloudWatchDestination: {
            DimensionConfigurations: cw.dimensions.map((d) => ({
              DimensionName: d.name,
              DimensionValueSource: d.source as "MESSAGE_TAG",
              DefaultDimensionValue: d.default,
            })),
          },
        }
      : {}),
    ...(sns ? { SnsDestination: { TopicArn: sns.topicArn } } : {}),
    ...(eb ? { EventBridgeDestination: { EventBusArn: eb.eventBusArn ?? undefined } } : {}),
  } as EventDestinationDefinition;
}

export async function applyEventDestination(ses: SESv2Client, change: Change): Promise<void> {
  const [ConfigurationSetName, EventDestinationName] = change.name.split("/") as [string, string];
  if (change.action === "delete") {
    await ses.send(
      new DeleteConfigurationSetEventDestinationCommand({ ConfigurationSetName, EventDestinationName }),
    );
    return;
  }
  const EventDestination = destinationDefinition(change.after ?? {});
  const Command =
    change.action === "create"
      ? CreateConfigurationSetEventDestinationCommand
      : UpdateConfigurationSetEventDestinationCommand;
  await ses.send(new Command({ ConfigurationSetName, EventDestinationName, EventDestination }));
}

export async function readContactList(ses: SESv2Client, name: string): Promise<LiveResource | undefined> {
  const r = await orAbsent(ses.send(new GetContactListCommand({ ContactListName: name })));
  if (!r) return undefined;
  return {
    kind: "contact-list",
    name,
    spec: {
      description: r.Description ?? "",
      topics: (r.Topics ?? []).map((t) => ({
        name: t.TopicName ?? "",
        displayName: t.DisplayName ?? "",
        defaultStatus: t.DefaultSubscriptionStatus ?? "OPT_IN",
      })),
    },
    tags: tagMap(r.Tags),
  };
}

export async function applyContactList(
  ses: SESv2Client,
  change: Change,
  tags: Record<string, string>,
): Promise<void> {
  const ContactListName = change.name;
  if (change.action === "delete") {
    await ses.send(new DeleteContactListCommand({ ContactListName }));
    return;
  }
  const a = change.after ?? {};
  const Topics = ((a.topics as { name: string; displayName: string; defaultStatus: string }[]) ?? []).map(
    (t) => ({
      TopicName: t.name,
      DisplayName: t.displayName,
      DefaultSubscriptionStatus: t.defaultStatus as "OPT_IN",
    }),
  );
  const Description = typeof a.description === "string" ? a.description : undefined;
  if (change.action === "create") {
    await ses.send(
      new CreateContactListCommand({ ContactListName, Topics, Description, Tags: tagList(tags) }),
    );
  } else {
    await ses.send(new UpdateContactListCommand({ ContactListName, Topics, Description }));
  }
}
