import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { TargetError } from "../../errors.js";

export interface AwsClientOptions {
  region: string;
}

/**
 * The JS SDK retries LimitExceededException as throttling; for SES it means "too many resources",
 * which no retry fixes. Fail it at once (inside the retry middleware, so it is never retried).
 */
function noRetryOnLimitExceeded(client: { middlewareStack: SESv2Client["middlewareStack"] }): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (e) {
        if ((e as { name?: string }).name === "LimitExceededException") {
          const err = new TargetError(
            `an SES resource limit was reached: ${(e as Error).message}`,
            "this is a quota on the number of resources, not a rate; delete unused ones or request a quota increase",
          );
          // A TargetError carries no SDK error name, status or retry trait: the retry decider lets it through.
          throw err;
        }
        throw e;
      }
    },
    { step: "deserialize", priority: "high", name: "mailopsNoRetryOnLimitExceeded" },
  );
}

export function sesClient(options: AwsClientOptions): SESv2Client {
  const client = new SESv2Client({ region: options.region, retryMode: "adaptive", maxAttempts: 8 });
  noRetryOnLimitExceeded(client);
  return client;
}

/** For sending, mailops handles throttling itself (it lowers its rate), so the SDK does not retry. */
export function sendClient(options: AwsClientOptions): SESv2Client {
  const client = new SESv2Client({ region: options.region, maxAttempts: 1 });
  noRetryOnLimitExceeded(client);
  return client;
}

export function cloudWatchClient(options: AwsClientOptions): CloudWatchClient {
  return new CloudWatchClient({ region: options.region, retryMode: "adaptive", maxAttempts: 8 });
}
