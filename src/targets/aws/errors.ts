/** AWS SDK failures → one clear line with what to do. */
import { TargetError } from "../../errors.js";

interface AwsLikeError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

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

export function describeAwsError(e: unknown, what: string, endpoint?: string): TargetError {
  if (e instanceof TargetError) return new TargetError(`${what}: ${e.message}`, e.hint);
  const err = e as AwsLikeError;
  const code = err?.code ?? (err?.cause as AwsLikeError | undefined)?.code;
  const name = err?.name ?? "Error";
  if (
    name === "CredentialsProviderError" ||
    (/credential/i.test(err?.message ?? "") && name !== "AccessDeniedException")
  ) {
    return new TargetError(
      `${what}: no AWS credentials found`,
      "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run in a job with an OIDC role (aws-actions/configure-aws-credentials); use --target local to work offline",
    );
  }
  if (
    code === "ECONNREFUSED" ||
    code === "ENOTFOUND" ||
    code === "ETIMEDOUT" ||
    code === "EAI_AGAIN" ||
    name === "TimeoutError"
  ) {
    return new TargetError(
      `${what}: cannot reach ${endpoint ?? "the AWS endpoint"} (${code ?? name})`,
      "check the network, the region, and AWS_ENDPOINT_URL* if you point mailops at an emulator",
    );
  }
  if (name === "AccessDeniedException" || name === "AccessDenied" || err?.$metadata?.httpStatusCode === 403) {
    return new TargetError(
      `${what}: access denied (${err?.message ?? name})`,
      "the role needs the permissions listed in docs/iam.md",
    );
  }
  if (name === "TooManyRequestsException" || name === "ThrottlingException" || name === "Throttling") {
    return new TargetError(
      `${what}: AWS kept throttling the requests after retries`,
      "run again in a minute; if it persists, another tool may be using the same account's limits",
    );
  }
  if (name === "LimitExceededException") {
    return new TargetError(
      `${what}: an SES resource limit was reached (${err?.message ?? name})`,
      "this is a quota on the number of resources, not a rate; delete unused ones or request a quota increase",
    );
  }
  if (name === "BadRequestException" || name === "InvalidParameterValue" || name === "ValidationError") {
    return new TargetError(`${what}: rejected by AWS: ${err?.message ?? name}`);
  }
  return new TargetError(`${what}: ${name}: ${err?.message ?? String(e)}`);
}
