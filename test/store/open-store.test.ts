/**
 * Choosing and naming the backend from `state:`, and the S3 answers no emulator produces
 * (access denied, rejected keys, 409 conflicts), through a stand-in client.
 */
import path from "node:path";
import { S3ServiceException } from "@aws-sdk/client-s3";
import { describe, expect, it, vi } from "vitest";
import {
  InvalidStoreSpecError,
  LocalStore,
  openStore,
  PreconditionFailedError,
  S3Store,
  StoreAccessDeniedError,
  StoreCredentialsError,
  StoreError,
  StoreTransientError,
} from "../../src/store/index.js";

describe("openStore", () => {
  it.each([
    [".mailops/state", "/repo/.mailops/state"],
    ["state/", "/repo/state"],
    ["/var/lib/mailops", "/var/lib/mailops"],
  ])("opens %j as a local directory at %s", (spec, location) => {
    const store = openStore(spec, { root: "/repo" });
    expect(store).toBeInstanceOf(LocalStore);
    expect(store.location).toBe(path.resolve(location));
  });

  it.each([
    ["s3://acme-mailops/state", "s3://acme-mailops/state"],
    ["s3://acme-mailops/team/state/", "s3://acme-mailops/team/state"],
    ["s3://acme-mailops", "s3://acme-mailops"],
    ["s3://acme-mailops/", "s3://acme-mailops"],
  ])("opens %j as S3 named %s", (spec, location) => {
    const store = openStore(spec, { root: "/repo", region: "eu-west-1" });
    expect(store).toBeInstanceOf(S3Store);
    expect(store.location).toBe(location);
  });

  it.each([
    ["", /the state store location is empty/],
    ["s3://", /invalid S3 bucket name ""/],
    ["s3://Acme_Bucket/state", /invalid S3 bucket name "Acme_Bucket"/],
    ["s3://acme-mailops/a//b", /invalid prefix "a\/\/b"/],
    ["s3://acme-mailops/../b", /invalid prefix "..\/b"/],
    ["gs://acme-mailops/state", /unsupported state store gs:\/\/acme-mailops\/state/],
  ])("refuses %j", (spec, message) => {
    expect(() => openStore(spec, { root: "/repo" })).toThrow(InvalidStoreSpecError);
    expect(() => openStore(spec, { root: "/repo" })).toThrow(message);
  });
});

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: "client",
    $metadata: { httpStatusCode: status },
    message: name,
  });
}

/** An S3 client stand-in that answers each call with the next scripted result. */
function scripted(...answers: Array<Error | Record<string, unknown>>) {
  const sent: unknown[] = [];
  const client = {
    send: async (command: { input: unknown }) => {
      sent.push(command.input);
      const answer = answers.shift();
      if (answer === undefined) throw new Error("no more scripted answers");
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return {
    client: client as unknown as NonNullable<ConstructorParameters<typeof S3Store>[2]>["client"],
    sent,
  };
}

describe("S3Store answers from S3 that emulators do not give", () => {
  it("retries a putIfAbsent on 409 ConditionalRequestConflict, then reports the key as present", async () => {
    const { client, sent } = scripted(
      s3Error("ConditionalRequestConflict", 409),
      s3Error("ConditionalRequestConflict", 409),
      s3Error("PreconditionFailed", 412),
    );
    const store = new S3Store("acme-mailops", "state", { client });
    expect(await store.putIfAbsent("ledger/run/intent.json", "{}")).toBeUndefined();
    expect(sent).toHaveLength(3);
    expect(sent[0]).toMatchObject({
      Bucket: "acme-mailops",
      Key: "state/ledger/run/intent.json",
      IfNoneMatch: "*",
    });
  });

  it("retries a compare-and-swap on 409, and succeeds when S3 then accepts it", async () => {
    const { client, sent } = scripted(s3Error("ConditionalRequestConflict", 409), { ETag: '"new"' });
    const store = new S3Store("acme-mailops", "", { client });
    expect(await store.put("lock.json", "{}", { ifMatch: '"old"' })).toEqual({ etag: '"new"' });
    expect(sent).toEqual([
      expect.objectContaining({ Key: "lock.json", IfMatch: '"old"' }),
      expect.anything(),
    ]);
  });

  it("gives up on endless 409s with S3's own words", async () => {
    const { client } = scripted(
      ...Array.from({ length: 6 }, () => s3Error("ConditionalRequestConflict", 409)),
    );
    const store = new S3Store("acme-mailops", "state", { client });
    const error = await store.put("lock.json", "{}", { ifMatch: '"old"' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).not.toBeInstanceOf(PreconditionFailedError);
    expect((error as Error).message).toBe(
      "S3 failed to write lock.json in s3://acme-mailops/state: ConditionalRequestConflict: ConditionalRequestConflict",
    );
  });

  it("says access was denied and which permissions the store needs", async () => {
    const { client } = scripted(s3Error("AccessDenied", 403));
    const error = await new S3Store("acme-mailops", "state", { client })
      .list("ledger/")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreAccessDeniedError);
    expect((error as StoreAccessDeniedError).message).toBe(
      "access denied to list ledger/* in s3://acme-mailops/state",
    );
    expect((error as StoreAccessDeniedError).hint).toContain("s3:PutObject");
  });

  it.each(["InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"])(
    "says the credentials were rejected on %s",
    async (name) => {
      const { client } = scripted(s3Error(name, 403));
      const error = await new S3Store("acme-mailops", "state", { client })
        .get("inventory.json")
        .catch((e) => e);
      expect(error).toBeInstanceOf(StoreCredentialsError);
      expect((error as StoreCredentialsError).message).toBe(
        `S3 rejected the AWS credentials (${name}) to read inventory.json in s3://acme-mailops/state`,
      );
    },
  );

  it("says that no region is configured, and where to set one", async () => {
    const env = {
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
      AWS_CONFIG_FILE: "/nonexistent/mailops-test/config",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/mailops-test/credentials",
      AWS_ACCESS_KEY_ID: "mailops-test",
      AWS_SECRET_ACCESS_KEY: "mailops-test",
      AWS_EC2_METADATA_DISABLED: "true",
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    try {
      const store = openStore("s3://acme-mailops/state", { root: ".", endpoint: "http://127.0.0.1:9" });
      const error = await store.get("inventory.json").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).message).toBe(
        "no AWS region configured for the state store s3://acme-mailops/state",
      );
      expect((error as StoreError).hint).toBe("set aws.region in mailops.yaml or AWS_REGION");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it.each([
    [
      "fewer bytes than announced",
      async () => Buffer.from('{"a":'),
      "reading inventory.json from s3://acme-mailops/state was cut short (5 of 20 bytes arrived)",
    ],
    [
      "a body stream that breaks",
      async () => {
        throw new Error("aborted");
      },
      "reading inventory.json from s3://acme-mailops/state was cut short (aborted)",
    ],
  ])("says a read was cut short: %s", async (_, transformToByteArray, message) => {
    const { client } = scripted({ Body: { transformToByteArray }, ContentLength: 20, ETag: '"e"' });
    const error = await new S3Store("acme-mailops", "state", { client })
      .get("inventory.json")
      .catch((e) => e);
    expect(error).toBeInstanceOf(StoreTransientError);
    expect((error as StoreTransientError).message).toBe(message);
    expect((error as StoreTransientError).hint).toMatch(/run again/);
  });

  it.each([
    [
      "SlowDown",
      503,
      StoreTransientError,
      /^S3 is slowing down requests to s3:\/\/acme-mailops\/state \(SlowDown\): could not write a\.json$/,
    ],
    [
      "InternalError",
      500,
      StoreTransientError,
      /^S3 failed to write a\.json in s3:\/\/acme-mailops\/state: InternalError \(HTTP 500\)/,
    ],
    [
      "InvalidRequest",
      400,
      StoreError,
      /^S3 failed to write a\.json in s3:\/\/acme-mailops\/state: InvalidRequest: /,
    ],
  ])("gives %s (HTTP %i) one line and a hint", async (name, status, type, message) => {
    const { client } = scripted(s3Error(name, status));
    const error = await new S3Store("acme-mailops", "state", { client }).put("a.json", "x").catch((e) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as StoreError).message).toMatch(message);
    expect((error as StoreError).message).not.toContain("\n");
    expect((error as StoreError).hint).toEqual(expect.any(String));
  });

  it("refuses a key that the prefix makes longer than S3 allows, before any request", async () => {
    const { client, sent } = scripted();
    const store = new S3Store("acme-mailops", "p".repeat(100), { client });
    await expect(store.put("k".repeat(950), "x")).rejects.toThrow(/is too long for S3/);
    expect(sent).toEqual([]);
  });
});
