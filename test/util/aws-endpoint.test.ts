import { afterEach, describe, expect, it, vi } from "vitest";
import { configuredEndpoint } from "../../src/util/aws-endpoint.js";
import { s3Client } from "../../src/util/s3-client.js";

const ENV = [
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_S3",
  "AWS_ENDPOINT_URL_SESV2",
  "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
];

function withEnv(env: Record<string, string>): void {
  for (const name of ENV) vi.stubEnv(name, env[name]);
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("configuredEndpoint", () => {
  it.each([
    [{}, "S3", undefined],
    [{ AWS_ENDPOINT_URL: "http://all:1" }, "S3", "http://all:1"],
    [{ AWS_ENDPOINT_URL: "http://all:1", AWS_ENDPOINT_URL_S3: "http://s3:2" }, "S3", "http://s3:2"],
    [{ AWS_ENDPOINT_URL: "http://all:1", AWS_ENDPOINT_URL_S3: "http://s3:2" }, "SESV2", "http://all:1"],
    [{ AWS_ENDPOINT_URL_SESV2: "http://ses:3" }, "SESV2", "http://ses:3"],
    [{ AWS_ENDPOINT_URL_S3: "http://s3:2", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "TRUE" }, "S3", undefined],
  ] as const)("%j for %s is %s", (env, service, expected) => {
    withEnv(env);
    expect(configuredEndpoint(service)).toBe(expected);
  });
});

describe("s3Client", () => {
  it("addresses path-style with an explicit endpoint", async () => {
    withEnv({});
    const client = s3Client({ region: "eu-west-1", endpoint: "http://s3.example:9000" });
    expect(client.config.forcePathStyle).toBe(true);
    expect(await client.config.endpoint?.()).toMatchObject({ hostname: "s3.example", port: 9000 });
    expect(await client.config.region()).toBe("eu-west-1");
  });

  it("addresses path-style with an endpoint from the environment, and not when it is switched off", () => {
    withEnv({ AWS_ENDPOINT_URL_S3: "http://s3.example:9000" });
    expect(s3Client({ region: "eu-west-1" }).config.forcePathStyle).toBe(true);
    withEnv({ AWS_ENDPOINT_URL_S3: "http://s3.example:9000", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true" });
    expect(s3Client({ region: "eu-west-1" }).config.forcePathStyle).toBe(false);
  });

  it("addresses virtual-host style against AWS, following region redirects", () => {
    withEnv({});
    const client = s3Client({ region: "eu-west-1" });
    expect(client.config.forcePathStyle).toBe(false);
    expect(client.config.followRegionRedirects).toBe(true);
  });

  it("takes the region given, else AWS_REGION, else AWS_DEFAULT_REGION", async () => {
    withEnv({ AWS_REGION: "us-west-2", AWS_DEFAULT_REGION: "ap-south-1" });
    expect(await s3Client({ region: "eu-west-1" }).config.region()).toBe("eu-west-1");
    expect(await s3Client().config.region()).toBe("us-west-2");
    withEnv({ AWS_DEFAULT_REGION: "ap-south-1" });
    expect(await s3Client().config.region()).toBe("ap-south-1");
  });
});
