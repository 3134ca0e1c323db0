/**
 * What each GitHub workflow's AWS role may do, derived from the SDK calls the code makes for it.
 *
 * One row per IAM action: the SDK command classes (or paginators) that need it, its resource ARN
 * patterns, and the use cases (workflows) that make those calls. A role's policy is the rows of its
 * use case, grouped by `sid`. docs/iam.md shows these policies and `mailops bootstrap` writes them
 * into its CloudFormation template; test/targets/permissions.test.ts fails when the docs differ or
 * when an SDK command imported anywhere in src/ is in no row (and not withheld on purpose).
 *
 * Resource patterns hold placeholders, filled per rendering: {region} {account} {bucket}
 * {prefixSlash} (the state prefix with a trailing slash, or nothing) {project}, {identity} (each
 * domain mail is sent from: the pattern is repeated per domain) and {sources} (the subscriber files
 * in S3, one ARN each).
 */

export const USE_CASES = ["plan", "deploy", "send", "drift"] as const;
export type UseCase = (typeof USE_CASES)[number];

const ALL: UseCase[] = ["plan", "deploy", "send", "drift"];
/** The workflows that read subscribers (the pull request's send forecast, and sending). */
const AUDIENCE: UseCase[] = ["plan", "deploy", "send"];
const SENDING: UseCase[] = ["deploy", "send"];
/** The live-resource reads of a plan (pull request, deploy, drift). */
const PLANNING: UseCase[] = ["plan", "deploy", "drift"];
const APPLY: UseCase[] = ["deploy"];

export interface Permission {
  action: string;
  /** SDK command classes or paginators that need it; empty for an action a parameter implies (tags on create). */
  commands: string[];
  useCases: UseCase[];
  /** The policy statement it goes into; rows of one sid share resources and condition. */
  sid: string;
  resources: string[];
  condition?: Record<string, Record<string, string | string[]>>;
  /** Why it is granted this way, when the row alone does not say. */
  why?: string;
}

const SES = "arn:aws:ses:{region}:{account}";
const TEMPLATES = `${SES}:template/*`;
const CONFIGURATION_SETS = `${SES}:configuration-set/*`;
const CONTACT_LISTS = `${SES}:contact-list/*`;
const ALARMS = "arn:aws:cloudwatch:{region}:{account}:alarm:{project}-*";
const DASHBOARDS = "arn:aws:cloudwatch::{account}:dashboard/*";
const IDENTITIES = `${SES}:identity/*`;
const TOPICS = "arn:aws:sns:{region}:{account}:*";
const STATE_OBJECTS = "arn:aws:s3:::{bucket}/{prefixSlash}*";

export const PERMISSIONS: Permission[] = [
  {
    action: "ses:GetAccount",
    commands: ["GetAccountCommand"],
    useCases: ALL,
    sid: "SesAccount",
    resources: ["*"],
    why: "account-level: the action has no resource type",
  },
  {
    action: "ses:ListSuppressedDestinations",
    commands: ["paginateListSuppressedDestinations", "ListSuppressedDestinationsCommand"],
    useCases: AUDIENCE,
    sid: "SesAccount",
    resources: ["*"],
    why: "the account suppression list has no resource type",
  },
  {
    action: "ses:GetEmailIdentity",
    commands: ["GetEmailIdentityCommand"],
    useCases: ALL,
    sid: "SesIdentities",
    resources: [IDENTITIES],
    why: "the sender check reads the From address and its domain, whichever is verified; plan reads the declared identities",
  },
  ...[
    "CreateEmailIdentity",
    "DeleteEmailIdentity",
    "PutEmailIdentityDkimSigningAttributes",
    "PutEmailIdentityDkimAttributes",
    "PutEmailIdentityMailFromAttributes",
    "PutEmailIdentityConfigurationSetAttributes",
  ].map((name) => ({
    action: `ses:${name}`,
    commands: [`${name}Command`],
    useCases: APPLY,
    sid: "SesIdentityWrites",
    resources: [IDENTITIES, CONFIGURATION_SETS],
    why: "an identity's default configuration set is named on create and by PutEmailIdentityConfigurationSetAttributes",
  })),
  {
    action: "ses:GetEmailTemplate",
    commands: ["GetEmailTemplateCommand"],
    useCases: ALL,
    sid: "SesTemplates",
    resources: [TEMPLATES],
  },
  ...["CreateEmailTemplate", "UpdateEmailTemplate", "DeleteEmailTemplate"].map((name) => ({
    action: `ses:${name}`,
    commands: [`${name}Command`],
    useCases: APPLY,
    sid: "SesTemplates",
    resources: [TEMPLATES],
  })),
  {
    action: "ses:GetConfigurationSet",
    commands: ["GetConfigurationSetCommand"],
    useCases: ALL,
    sid: "SesConfigurationSets",
    resources: [CONFIGURATION_SETS],
    why: "send reads it for the lost-state check (its tag)",
  },
  {
    action: "ses:GetConfigurationSetEventDestinations",
    commands: ["GetConfigurationSetEventDestinationsCommand"],
    useCases: PLANNING,
    sid: "SesConfigurationSets",
    resources: [CONFIGURATION_SETS],
  },
  ...[
    "CreateConfigurationSet",
    "DeleteConfigurationSet",
    "PutConfigurationSetDeliveryOptions",
    "PutConfigurationSetReputationOptions",
    "PutConfigurationSetSendingOptions",
    "PutConfigurationSetSuppressionOptions",
    "PutConfigurationSetTrackingOptions",
    "CreateConfigurationSetEventDestination",
    "UpdateConfigurationSetEventDestination",
    "DeleteConfigurationSetEventDestination",
  ].map((name) => ({
    action: `ses:${name}`,
    commands: [`${name}Command`],
    useCases: APPLY,
    sid: "SesConfigurationSets",
    resources: [CONFIGURATION_SETS],
  })),
  {
    action: "ses:GetContactList",
    commands: ["GetContactListCommand"],
    useCases: ALL,
    sid: "SesContactLists",
    resources: [CONTACT_LISTS],
  },
  {
    action: "ses:ListContacts",
    commands: ["paginateListContacts", "ListContactsCommand"],
    useCases: AUDIENCE,
    sid: "SesContactLists",
    resources: [CONTACT_LISTS],
    why: "opt-outs of the campaign's topic (ses-list mode)",
  },
  ...["CreateContactList", "UpdateContactList", "DeleteContactList"].map((name) => ({
    action: `ses:${name}`,
    commands: [`${name}Command`],
    useCases: APPLY,
    sid: "SesContactLists",
    resources: [CONTACT_LISTS],
  })),
  {
    action: "ses:TagResource",
    commands: [],
    useCases: APPLY,
    sid: "SesTagOnCreate",
    resources: [TEMPLATES, CONFIGURATION_SETS, CONTACT_LISTS, IDENTITIES],
    why: "the Create* calls carry the mailops:project tag, which IAM authorizes as TagResource too",
  },
  ...["SendEmail", "SendBulkEmail"].map((name) => ({
    action: `ses:${name}`,
    commands: [`${name}Command`],
    useCases: SENDING,
    sid: "SesSend",
    resources: [
      `${SES}:identity/{identity}`,
      `${SES}:identity/*@{identity}`,
      CONFIGURATION_SETS,
      TEMPLATES,
      CONTACT_LISTS,
    ],
    why: "only from the project's own sender domains: the domain identity, or an address identity in it (SES uses the address's when both are verified)",
  })),
  {
    action: "sns:ListTopics",
    commands: ["paginateListTopics", "ListTopicsCommand"],
    useCases: ALL,
    sid: "SnsList",
    resources: ["*"],
    why: "SNS finds a topic by name only in the list, whose ARNs also name the account; the action has no resource type",
  },
  ...["GetTopicAttributes", "ListTagsForResource"].map((name) => ({
    action: `sns:${name}`,
    commands: [`${name}Command`],
    useCases: ALL,
    sid: "SnsTopics",
    resources: [TOPICS],
    why: "the topics event destinations publish to (`sns: { topic }`); send reads their tags only for the lost-state check",
  })),
  ...["CreateTopic", "SetTopicAttributes", "DeleteTopic"].map((name) => ({
    action: `sns:${name}`,
    commands: [`${name}Command`],
    useCases: APPLY,
    sid: "SnsTopics",
    resources: [TOPICS],
  })),
  {
    action: "sns:TagResource",
    commands: [],
    useCases: APPLY,
    sid: "SnsTopics",
    resources: [TOPICS],
    why: "CreateTopic carries the mailops:project tag",
  },
  {
    action: "cloudwatch:GetMetricData",
    commands: ["GetMetricDataCommand"],
    useCases: ALL,
    sid: "CloudWatchMetrics",
    resources: ["*"],
    why: "metrics have no resource type; read for guardrails.stop_on and the lost-state check",
  },
  {
    action: "cloudwatch:DescribeAlarms",
    commands: ["DescribeAlarmsCommand"],
    useCases: ALL,
    sid: "CloudWatchAlarms",
    resources: [ALARMS],
    why: "alarm names start with the project; composite alarms (never made) would need *",
  },
  {
    action: "cloudwatch:ListTagsForResource",
    commands: ["ListTagsForResourceCommand"],
    useCases: ALL,
    sid: "CloudWatchAlarms",
    resources: [ALARMS],
  },
  ...["PutMetricAlarm", "DeleteAlarms"].map((name) => ({
    action: `cloudwatch:${name}`,
    commands: [`${name}Command`],
    useCases: APPLY,
    sid: "CloudWatchAlarms",
    resources: [ALARMS],
  })),
  {
    action: "cloudwatch:TagResource",
    commands: [],
    useCases: APPLY,
    sid: "CloudWatchAlarms",
    resources: [ALARMS],
    why: "PutMetricAlarm carries the mailops:project tag",
  },
  {
    action: "cloudwatch:GetDashboard",
    commands: ["GetDashboardCommand"],
    useCases: PLANNING,
    sid: "CloudWatchDashboards",
    resources: [DASHBOARDS],
  },
  ...["PutDashboard", "DeleteDashboards"].map((name) => ({
    action: `cloudwatch:${name}`,
    commands: [`${name}Command`],
    useCases: APPLY,
    sid: "CloudWatchDashboards",
    resources: [DASHBOARDS],
  })),
  {
    action: "s3:GetObject",
    commands: ["GetObjectCommand"],
    useCases: ALL,
    sid: "StateObjects",
    resources: [STATE_OBJECTS],
  },
  {
    action: "s3:PutObject",
    commands: ["PutObjectCommand"],
    useCases: SENDING,
    sid: "StateObjects",
    resources: [STATE_OBJECTS],
    why: "inventory, ledger, run records and the lock; plan and drift write nothing",
  },
  {
    action: "s3:ListBucket",
    commands: ["ListObjectsV2Command"],
    useCases: ALL,
    sid: "StateList",
    resources: ["arn:aws:s3:::{bucket}"],
    why: "the empty-store check lists the prefix, and without it a missing key answers 403, not 404; no s3:prefix condition, since a GetObject of a missing key carries none",
  },
  {
    action: "s3:GetObject",
    commands: ["GetObjectCommand"],
    useCases: AUDIENCE,
    sid: "SubscriberSources",
    resources: ["{sources}"],
    why: "the subscriber files in S3 the repository names",
  },
];

/**
 * SDK commands the code imports that no workflow role is granted, and why. Every other imported
 * command must be in PERMISSIONS.
 */
export const WITHHELD: Record<string, string> = {
  DeleteObjectCommand:
    "Store.delete is called by no command: mailops never deletes in its state prefix, and the bucket policy denies it",
  CreateBucketCommand: "mailops bootstrap, run once by an administrator",
  HeadBucketCommand: "mailops bootstrap, run once by an administrator",
  GetBucketVersioningCommand: "mailops bootstrap, run once by an administrator",
  PutBucketVersioningCommand: "mailops bootstrap, run once by an administrator",
  GetBucketEncryptionCommand: "mailops bootstrap, run once by an administrator",
  PutBucketEncryptionCommand: "mailops bootstrap, run once by an administrator",
  GetPublicAccessBlockCommand: "mailops bootstrap, run once by an administrator",
  PutPublicAccessBlockCommand: "mailops bootstrap, run once by an administrator",
  GetBucketLifecycleConfigurationCommand: "mailops bootstrap, run once by an administrator",
  PutBucketLifecycleConfigurationCommand: "mailops bootstrap, run once by an administrator",
  GetBucketTaggingCommand: "mailops bootstrap, run once by an administrator",
  PutBucketTaggingCommand: "mailops bootstrap, run once by an administrator",
};

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Values for the placeholders; `sources` may be empty (no subscriber file in S3: no statement). */
export interface PolicyValues {
  region: string;
  account: string;
  bucket: string;
  prefixSlash: string;
  project: string;
  identities: string[];
  sources: string[];
}

/** The placeholders as docs/iam.md writes them. */
export const DOC_VALUES: PolicyValues = {
  region: "REGION",
  account: "ACCOUNT",
  bucket: "BUCKET",
  prefixSlash: "PREFIX/",
  project: "PROJECT",
  identities: ["DOMAIN"],
  sources: ["arn:aws:s3:::SOURCE-BUCKET/SOURCE-KEY"],
};

function fill(pattern: string, values: PolicyValues): string[] {
  if (pattern === "{sources}") return values.sources;
  const one = (identity: string) =>
    pattern.replace(/\{(region|account|bucket|prefixSlash|project|identity)\}/g, (_, k: string) =>
      k === "identity" ? identity : String(values[k as keyof Omit<PolicyValues, "sources" | "identities">]),
    );
  return pattern.includes("{identity}") ? values.identities.map(one) : [one("")];
}

/** The policy of one use case: its rows grouped by sid, in table order, actions sorted. */
export function policyFor(useCase: UseCase, values: PolicyValues): PolicyDocument {
  const statements = new Map<string, PolicyStatement>();
  for (const p of PERMISSIONS) {
    if (!p.useCases.includes(useCase)) continue;
    const resources = p.resources.flatMap((r) => fill(r, values));
    if (resources.length === 0) continue;
    const s = statements.get(p.sid);
    if (s) {
      if (!s.Action.includes(p.action)) s.Action.push(p.action);
      continue;
    }
    statements.set(p.sid, {
      Sid: p.sid,
      Effect: "Allow",
      Action: [p.action],
      Resource: resources.length === 1 ? (resources[0] as string) : resources,
      ...(p.condition ? { Condition: p.condition } : {}),
    });
  }
  for (const s of statements.values()) s.Action.sort();
  return { Version: "2012-10-17", Statement: [...statements.values()] };
}

/** Every action a use case is granted. */
export function actionsFor(useCase: UseCase): Set<string> {
  return new Set(PERMISSIONS.filter((p) => p.useCases.includes(useCase)).map((p) => p.action));
}
