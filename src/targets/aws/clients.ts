/**
 * SDK clients for the aws target. Region comes from mailops.yaml; credentials from the standard
 * chain; endpoints from the SDK's own configuration (`AWS_ENDPOINT_URL_SESV2`,
 * `AWS_ENDPOINT_URL_CLOUDWATCH`, `AWS_ENDPOINT_URL_SNS`, `AWS_ENDPOINT_URL`, `endpoint_url` in the profile, all switched
 * off by `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`). mailops does not re-implement that lookup: it
 * only mirrors it (util/aws-endpoint.ts) to name the address in error messages.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { SNSClient } from "@aws-sdk/client-sns";
import { TargetError } from "../../errors.js";
import { configuredEndpoint, type EndpointService } from "../../util/aws-endpoint.js";
import type { Pacer } from "./pace.js";

export interface AwsClientOptions {
  region: string;
}

/** The two pacing buckets of SES's control plane (see pace.ts). */
export interface SesPacing {
  reads: Pacer;
  writes: Pacer;
}

type Stack =
  | SESv2Client["middlewareStack"]
  | CloudWatchClient["middlewareStack"]
  | SNSClient["middlewareStack"];

/** Network failures that no retry fixes: nothing listens there, or the name does not exist. */
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND"]);

/**
 * Errors the SDK would retry but should not:
 * - `LimitExceededException`: the SDK retries it as throttling; for SES it means "too many
 *   resources", which no retry fixes.
 * - ECONNREFUSED / ENOTFOUND: the SDK retries them for seconds; against AWS they do not happen
 *   transiently, and against a mistyped endpoint the user should hear so at once.
 * This sits in the deserialize step, inside the retry middleware (finalizeRequest step), and
 * turns the error into a TargetError, which has no SDK name, status or retry trait: the retry
 * strategy classifies it as a client error and gives up. test/targets/aws-errors.test.ts counts
 * the calls the emulator saw to prove it.
 */
function failFast(stack: Stack, service: "SES" | "CloudWatch" | "SNS", endpointEnv: EndpointService): void {
  const article = service === "CloudWatch" ? "a" : "an";
  (stack as SESv2Client["middlewareStack"]).add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (e) {
        const err = e as { name?: string; code?: string; message?: string };
        if (err.name === "LimitExceededException") {
          throw new TargetError(
            `${article} ${service} resource limit was reached: ${oneLine(err.message ?? "")}`,
            "this is a quota on the number of resources, not a rate: delete unused ones or request a quota increase",
          );
        }
        if (err.code !== undefined && UNREACHABLE.has(err.code)) {
          const endpoint = configuredEndpoint(endpointEnv);
          throw new TargetError(
            `cannot reach ${service} at ${endpoint ?? "its AWS endpoint"} (${err.code})`,
            endpoint
              ? `check AWS_ENDPOINT_URL_${endpointEnv} / AWS_ENDPOINT_URL: is the server running and the address right?`
              : "check the network connection and aws.region in mailops.yaml",
          );
        }
        throw e;
      }
    },
    { step: "deserialize", priority: "high", name: "mailopsFailFast" },
  );
}

/**
 * Every SES control-plane call waits for its bucket first: reads (Get*, List*) and writes
 * (everything else) have separate limits. In the initialize step, outside the retry
 * middleware: a call is paced once; its retries follow the SDK's backoff.
 */
function paced(stack: SESv2Client["middlewareStack"], pacing: SesPacing): void {
  stack.add(
    (next, context) => async (args) => {
      const op = String((context as { commandName?: string }).commandName ?? "");
      await (/^(Get|List)/.test(op) ? pacing.reads : pacing.writes).wait();
      return next(args);
    },
    { step: "initialize", priority: "high", name: "mailopsPacing" },
  );
}

/**
 * An address that drops packets would otherwise wait for the system's TCP timeout on every retry.
 * Five seconds to connect and thirty for an answer are far above what SES and CloudWatch need.
 */
const TIMEOUTS = { connectionTimeout: 5_000, requestTimeout: 30_000 };

/**
 * The control plane's clients (SES, CloudWatch, SNS): adaptive retries, backoff with jitter on
 * throttling and a client-side rate that drops after one.
 */
const controlPlane = (options: AwsClientOptions) => ({
  region: options.region,
  retryMode: "adaptive",
  maxAttempts: 8,
  requestHandler: TIMEOUTS,
});

export function sesClient(options: AwsClientOptions, pacing?: SesPacing): SESv2Client {
  const client = new SESv2Client(controlPlane(options));
  failFast(client.middlewareStack, "SES", "SESV2");
  if (pacing) paced(client.middlewareStack, pacing);
  return client;
}

/**
 * For sending, one attempt per call: the SDK's standard strategy would retry a 500 or a reset
 * connection, and a SendEmail that SES processed before the connection broke would then go out
 * twice. mailops retries itself (send/calls.ts): what was not processed (429, 503), never what may
 * have been. No failFast either: with no retries there is nothing to cut short, and the sender
 * classifies the SDK's own error (errors.ts classifySendError). The request timeout throws (the
 * node handler only warns by default): a call that hangs is a call whose outcome is unknown.
 */
export function sendClient(options: AwsClientOptions): SESv2Client {
  return new SESv2Client({
    region: options.region,
    maxAttempts: 1,
    requestHandler: { ...TIMEOUTS, throwOnRequestTimeout: true },
  });
}

export function cloudWatchClient(options: AwsClientOptions): CloudWatchClient {
  const client = new CloudWatchClient(controlPlane(options));
  failFast(client.middlewareStack, "CloudWatch", "CLOUDWATCH");
  return client;
}

/** SNS, for the topics event destinations publish to (sns.ts); its limits need no pacing of ours. */
export function snsClient(options: AwsClientOptions): SNSClient {
  const client = new SNSClient(controlPlane(options));
  failFast(client.middlewareStack, "SNS", "SNS");
  return client;
}

export const oneLine = (s: string): string => s.replace(/\s+/g, " ").trim();
