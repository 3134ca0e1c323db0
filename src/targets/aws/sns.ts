/**
 * SNS topics mailops makes for event destinations (`sns: { topic }`): read by name, created with
 * the owner tag and the policy that lets SES publish, their policy kept as declared.
 *
 * SNS names a topic only by ARN, and an ARN carries the account id, which mailops does not ask
 * for elsewhere (no STS call, no extra permission). It lists the region's topics once per target
 * (ListTopics): that finds a topic by name, and any ARN names the account. With no topic at all
 * the account stays unknown until CreateTopic answers with the new topic's ARN; until then a plan
 * shows ACCOUNT_PLACEHOLDER in the topic's ARN and policy, and apply fills it in (`fill`).
 */
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListTagsForResourceCommand,
  paginateListTopics,
  SetTopicAttributesCommand,
  type SNSClient,
} from "@aws-sdk/client-sns";
import { TargetError } from "../../errors.js";
import { fillAccount } from "../../plan/desired.js";
import type { Change } from "../../plan/plan.js";
import { ACCOUNT_PLACEHOLDER, type Json, type LiveResource, type Spec } from "../../plan/resource.js";
import { isNotFound } from "./errors.js";

/** The account id is the fifth field of an ARN. */
const accountOf = (arn: string): string | undefined => arn.split(":")[4] || undefined;
const nameOf = (arn: string): string => arn.split(":").at(-1) ?? "";

export class SnsTopics {
  private arns: Promise<Map<string, string>> | undefined;
  private account: string | undefined;

  constructor(private readonly sns: SNSClient) {}

  /** The region's topics by name, listed once (ListTopics pages of 100). */
  private list(): Promise<Map<string, string>> {
    this.arns ??= (async () => {
      const out = new Map<string, string>();
      for await (const page of paginateListTopics({ client: this.sns }, {})) {
        for (const t of page.Topics ?? []) if (t.TopicArn) out.set(nameOf(t.TopicArn), t.TopicArn);
      }
      const first = out.values().next().value;
      if (first && !this.account) this.account = accountOf(first);
      return out;
    })();
    return this.arns;
  }

  /** The account id, from any topic's ARN; undefined while the region has none. */
  async accountId(): Promise<string | undefined> {
    if (!this.account) await this.list();
    return this.account;
  }

  async read(name: string): Promise<LiveResource | undefined> {
    const arn = (await this.list()).get(name);
    if (!arn) return undefined;
    try {
      const [attributes, tags] = await Promise.all([
        this.sns.send(new GetTopicAttributesCommand({ TopicArn: arn })),
        this.sns.send(new ListTagsForResourceCommand({ ResourceArn: arn })),
      ]);
      const policy = attributes.Attributes?.Policy;
      return {
        kind: "sns-topic",
        name,
        spec: { policy: policy ? (JSON.parse(policy) as Json) : null },
        tags: Object.fromEntries((tags.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
      };
    } catch (e) {
      // Deleted since it was listed.
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async apply(change: Change, tags: Record<string, string>): Promise<void> {
    const arns = await this.list();
    if (change.action === "delete") {
      const arn = arns.get(change.name);
      if (arn) await this.sns.send(new DeleteTopicCommand({ TopicArn: arn }));
      arns.delete(change.name);
      return;
    }
    const policy = change.after?.policy ?? null;
    if (change.action === "create") {
      const known = this.account !== undefined;
      const r = await this.sns.send(
        new CreateTopicCommand({
          Name: change.name,
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          ...(known && policy ? { Attributes: { Policy: JSON.stringify(this.fill(policy)) } } : {}),
        }),
      );
      if (!r.TopicArn) throw new TargetError(`SNS created topic ${change.name} but named no ARN`);
      arns.set(change.name, r.TopicArn);
      this.account ??= accountOf(r.TopicArn);
      // The account was not known before: the policy naming it goes on now.
      if (known || !policy) return;
    }
    const arn = arns.get(change.name);
    if (!arn) throw new TargetError(`SNS topic ${change.name} does not exist`, "run `mailops plan` again");
    await this.sns.send(
      new SetTopicAttributesCommand({
        TopicArn: arn,
        AttributeName: "Policy",
        AttributeValue: JSON.stringify(this.fill(policy)),
      }),
    );
  }

  /** A spec with the account id filled in; a plan made before any topic existed carries the placeholder. */
  fill<T extends Json>(value: T): T {
    if (!JSON.stringify(value).includes(ACCOUNT_PLACEHOLDER)) return value;
    if (!this.account)
      throw new TargetError(
        "the AWS account id is not known yet: no SNS topic exists in the region to name it",
        "apply creates the topics first; run `mailops apply` again, or name the topic by `topic_arn`",
      );
    return fillAccount(value, this.account) as T;
  }

  /** An event destination's spec, its topic ARN filled in. */
  filledSpec(spec: Spec | undefined): Spec | undefined {
    return spec ? this.fill(spec) : spec;
  }
}
