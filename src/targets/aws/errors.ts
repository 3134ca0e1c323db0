/** AWS SDK failures → one clear line with what to do. */
import { TargetError } from "../../errors.js";
import { configuredEndpoint, type EndpointService } from "../../util/aws-endpoint.js";
import { oneLine } from "./clients.js";

interface AwsLikeError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

/**
 * A failure with no HTTP answer: `unreachable` when no connection was made (nothing listens, the
 * name does not resolve, the connect timed out), so nothing was sent; `broken` when the
 * connection failed after it was made (reset, broken pipe, a timeout waiting for the answer), so
 * the request may have been processed. The SDK's node handler names resets "TimeoutError" too.
 */
function networkFailure(err: AwsLikeError | undefined): "unreachable" | "broken" | undefined {
  if (err?.$metadata?.httpStatusCode !== undefined) return undefined;
  const code = err?.code ?? (err?.cause as AwsLikeError | undefined)?.code;
  const message = err?.message ?? "";
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN") return "unreachable";
  if (/did not establish a connection|^connect ETIMEDOUT/.test(message)) return "unreachable";
  if (code === "ETIMEDOUT" && err?.name !== "TimeoutError") return "unreachable";
  if (code === "ECONNRESET" || code === "EPIPE" || code === "ETIMEDOUT" || err?.name === "TimeoutError")
    return "broken";
  if (/socket hang up|aborted/i.test(message)) return "broken";
  return undefined;
}

export type Service = "SES" | "CloudWatch" | "SNS";

const ENDPOINT_ENV: Record<Service, EndpointService> = { SES: "SESV2", CloudWatch: "CLOUDWATCH", SNS: "SNS" };

export function isNotFound(e: unknown): boolean {
  const err = e as AwsLikeError;
  return (
    err?.name === "NotFoundException" ||
    err?.name === "ResourceNotFound" ||
    err?.name === "ResourceNotFoundException" ||
    err?.name === "ResourceNotFoundFault" ||
    err?.$metadata?.httpStatusCode === 404
  );
}

const THROTTLING = new Set(["TooManyRequestsException", "ThrottlingException", "Throttling"]);
const REJECTED_CREDENTIALS = new Set([
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "ExpiredTokenException",
]);
const BAD_INPUT = new Set([
  "BadRequestException",
  "InvalidParameterValue",
  "InvalidParameterValueException",
  "InvalidParameterException",
  "InvalidParameterCombination",
  "InvalidFormat",
  "ValidationError",
  "MissingRequiredParameter",
]);

/**
 * `what` says what mailops was doing ("reading email template x"); it prefixes the line when
 * given. The message is always one line (AWS messages sometimes carry newlines); the hint says
 * what to do.
 */
export function describeAwsError(
  e: unknown,
  what: string | undefined,
  service: Service = "SES",
): TargetError {
  const prefix = what ? `${what}: ` : "";
  if (e instanceof TargetError) return new TargetError(`${prefix}${e.message}`, e.hint);
  const err = e as AwsLikeError;
  const code = err?.code ?? (err?.cause as AwsLikeError | undefined)?.code;
  const name = err?.name ?? "Error";
  const message = oneLine(err?.message ?? String(e));
  if (name === "CredentialsProviderError" || /could not load credentials/i.test(message)) {
    // Every call fails alike: which one failed first says nothing.
    return new TargetError(
      "no AWS credentials found for the aws target",
      "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run in a job with an OIDC role (aws-actions/configure-aws-credentials); use --target local to work offline",
    );
  }
  if (REJECTED_CREDENTIALS.has(name)) {
    return new TargetError(
      `${prefix}${service} rejected the AWS credentials (${name})`,
      "refresh or replace them (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)",
    );
  }
  const network = networkFailure(err);
  if (network === "unreachable") {
    const endpoint = configuredEndpoint(ENDPOINT_ENV[service]);
    return new TargetError(
      `${prefix}cannot reach ${service} at ${endpoint ?? "its AWS endpoint"} (${code ?? name})`,
      endpoint
        ? `check AWS_ENDPOINT_URL_${ENDPOINT_ENV[service]} / AWS_ENDPOINT_URL: is the server running and the address right?`
        : "check the network connection and aws.region in mailops.yaml",
    );
  }
  if (network === "broken") {
    // The server was reached: "is it running?" would send the user the wrong way.
    const endpoint = configuredEndpoint(ENDPOINT_ENV[service]);
    return new TargetError(
      `${prefix}the connection to ${service} at ${endpoint ?? "its AWS endpoint"} broke during the call (${code ?? name}: ${message})`,
      "a network fault between mailops and AWS (a proxy, a flaky link); run again",
    );
  }
  if (
    name === "AccessDeniedException" ||
    name === "AccessDenied" ||
    name === "AuthorizationErrorException" ||
    err?.$metadata?.httpStatusCode === 403
  ) {
    return new TargetError(
      `${prefix}access denied by ${service} (${message})`,
      "give the credentials the permissions listed in docs/iam.md (read-only for plan, write for apply)",
    );
  }
  if (THROTTLING.has(name) || err?.$metadata?.httpStatusCode === 429) {
    return new TargetError(
      `${prefix}${service} kept throttling the requests after retries (${name})`,
      "run again in a minute; if it persists, another tool is using the same account's limits: lower MAILOPS_SES_READ_RATE / MAILOPS_SES_WRITE_RATE",
    );
  }
  if (name === "LimitExceededException") {
    return new TargetError(
      `${prefix}${service === "CloudWatch" ? "a" : "an"} ${service} resource limit was reached: ${message}`,
      "this is a quota on the number of resources, not a rate: delete unused ones or request a quota increase",
    );
  }
  if (BAD_INPUT.has(name)) {
    return new TargetError(
      `${prefix}${service} rejected the request: ${message}`,
      "fix the resource in the repository (`mailops validate` and `mailops preview` show template problems), then run apply again",
    );
  }
  if (name === "AlreadyExistsException" || name === "ConcurrentModificationException") {
    return new TargetError(
      `${prefix}${service} reports ${name}: ${message}`,
      "someone changed it outside mailops since the plan was read: run `mailops plan` again",
    );
  }
  return new TargetError(`${prefix}${service} ${name}: ${message}`);
}

/**
 * How a failed send call (SendEmail, SendBulkEmail) leaves its recipients. Sending clients make
 * one attempt (clients.ts sendClient): mailops owns the retries, because only it knows that a
 * call that may have gone out must not be made again.
 * - `unsent`: SES did not process it: throttled (429; LimitExceededException is not, although
 *   the SDK marks it as throttling), unavailable (503, a connect timeout) or unreachable. Safe to
 *   send again.
 * - `rejected`: SES answered 4xx for this request (MessageRejected, BadRequest): not sent, final.
 * - `stop`: every call would fail alike (credentials, access, a paused account, a missing
 *   template or configuration set, a resource limit): the run stops, nothing recorded.
 * - `ambiguous`: it may have gone out: a 500 or other 5xx, an answer that could not be read, the
 *   connection broken or timed out after the request was sent, anything not known to be safe.
 */
export type SendFailure =
  /** `hint`: what to check when nothing was ever reached (an endpoint, a network). */
  | { kind: "unsent"; why: "throttled" | "unavailable" | "unreachable"; error: string; hint?: string }
  | { kind: "rejected"; error: string }
  | { kind: "stop"; error: string }
  | { kind: "ambiguous"; error: string };

const STOP_SENDING = new Set([
  "AccountSuspendedException",
  "SendingPausedException",
  "MailFromDomainNotVerifiedException",
  "NotFoundException",
]);

export function classifySendError(e: unknown): SendFailure {
  const err = e as AwsLikeError | undefined;
  const name = err?.name ?? "Error";
  const status = err?.$metadata?.httpStatusCode;
  const code = err?.code ?? (err?.cause as AwsLikeError | undefined)?.code;
  const message = oneLine(err?.message ?? String(e));
  const described = () => {
    const d = describeAwsError(e, undefined);
    return d.hint ? `${d.message}; ${d.hint}` : d.message;
  };
  if (e instanceof TargetError) return { kind: "stop", error: described() };
  if (
    name === "CredentialsProviderError" ||
    REJECTED_CREDENTIALS.has(name) ||
    name === "AccessDeniedException" ||
    name === "AccessDenied" ||
    status === 403 ||
    name === "LimitExceededException"
  )
    return { kind: "stop", error: described() };
  if (STOP_SENDING.has(name)) return { kind: "stop", error: `${name}: ${message}` };
  if (status === 429 || THROTTLING.has(name)) return { kind: "unsent", why: "throttled", error: name };
  if (status === 503) return { kind: "unsent", why: "unavailable", error: `${name} (HTTP 503): ${message}` };
  if (status !== undefined && status >= 400 && status < 500)
    return { kind: "rejected", error: `${name}: ${message}` };
  if (status !== undefined) {
    // A 5xx, or a 2xx whose body could not be read: SES may have sent it.
    return { kind: "ambiguous", error: `${name} (HTTP ${status}): ${message}` };
  }
  const network = networkFailure(err);
  if (network === "unreachable") {
    const why = /did not establish|ETIMEDOUT/.test(`${message} ${code ?? ""}`)
      ? "unavailable"
      : "unreachable";
    const d = describeAwsError(e, undefined);
    return { kind: "unsent", why, error: d.message, ...(d.hint ? { hint: d.hint } : {}) };
  }
  return {
    kind: "ambiguous",
    error: `${code ?? name}: ${message}${network === "broken" ? " (the connection broke after the request was sent)" : ""}`,
  };
}
