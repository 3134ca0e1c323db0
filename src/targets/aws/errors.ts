/** AWS SDK failures → one clear line with what to do. */
import { TargetError } from "../../errors.js";
import { configuredEndpoint, oneLine } from "./clients.js";

interface AwsLikeError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

export type Service = "SES" | "CloudWatch";

const ENDPOINT_ENV: Record<Service, string> = { SES: "SESV2", CloudWatch: "CLOUDWATCH" };

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
  if (
    code === "ECONNREFUSED" ||
    code === "ENOTFOUND" ||
    code === "ETIMEDOUT" ||
    code === "ECONNRESET" ||
    code === "EAI_AGAIN" ||
    name === "TimeoutError"
  ) {
    const endpoint = configuredEndpoint(ENDPOINT_ENV[service]);
    return new TargetError(
      `${prefix}cannot reach ${service} at ${endpoint ?? "its AWS endpoint"} (${code ?? name})`,
      endpoint
        ? `check AWS_ENDPOINT_URL_${ENDPOINT_ENV[service]} / AWS_ENDPOINT_URL: is the server running and the address right?`
        : "check the network connection and aws.region in mailops.yaml",
    );
  }
  if (name === "AccessDeniedException" || name === "AccessDenied" || err?.$metadata?.httpStatusCode === 403) {
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
      `${prefix}${service === "SES" ? "an" : "a"} ${service} resource limit was reached: ${message}`,
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
