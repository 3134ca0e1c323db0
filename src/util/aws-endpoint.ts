/**
 * The endpoint override the AWS SDK will use for a service. The SDK reads it itself
 * (`AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, all switched off by
 * `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`); mailops only mirrors that lookup, to choose path-style
 * S3 addressing (s3-client.ts) and to name the address in error messages (store/s3.ts,
 * targets/aws/). One reader for the state store, the subscriber sources and the aws target.
 */

/** The service part of `AWS_ENDPOINT_URL_<SERVICE>`. */
export type EndpointService = "S3" | "SESV2" | "CLOUDWATCH" | "SNS";

export function configuredEndpoint(service: EndpointService): string | undefined {
  const ignore = process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
  if (ignore !== undefined && ignore.toLowerCase() === "true") return undefined;
  return process.env[`AWS_ENDPOINT_URL_${service}`] || process.env.AWS_ENDPOINT_URL || undefined;
}
