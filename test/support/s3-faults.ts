/**
 * An S3 client for tests with faults between it and S3, placed inside the SDK's retry loop
 * (deserialize step), so each fault hits one attempt and the SDK retries as it would in production.
 *
 * Why this besides the fault proxy (fault-proxy.ts): store-level tests hand this client to an
 * S3Store themselves, so each client has its own faults and its own view of S3's clock (two
 * senders on one bucket, only the second seeing time pass: `shiftServerClock` rewrites the `Date`
 * its answers carry), and `attempts` names SDK commands, retries included. The proxy is for what
 * the command line builds itself from `AWS_ENDPOINT_URL_S3`, one endpoint for every client, and
 * for faults on a real socket (resets, cut bodies).
 */
import { S3Client } from "@aws-sdk/client-s3";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "./emulators.js";

export interface S3Faults {
  client: S3Client;
  /** The next `operation` reaches S3 and is done there, but its answer is lost: the connection resets. */
  loseNextAnswer(operation: string): void;
  /** S3's clock as the `Date` of its answers says: moved on by `ms` from now on. */
  shiftServerClock(ms: number): void;
  /** The HTTP status of each attempt of `operation`, in order (retries included). */
  attempts(operation: string): number[];
}

export function s3Client(endpoint: string): S3Faults {
  const client = new S3Client({
    endpoint,
    region: EMULATOR_REGION,
    credentials: EMULATOR_CREDENTIALS,
    forcePathStyle: true,
  });
  const lose = new Set<string>();
  const seen: Array<{ operation: string; status: number }> = [];
  let shift = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? "").replace(/Command$/, "");
      // Inside the deserializer: the raw answer, before an error status becomes an exception.
      const result = await next(args);
      const response = result.response as { statusCode?: number; headers?: Record<string, string> };
      const status = response.statusCode ?? 0;
      seen.push({ operation, status });
      const headers = response.headers;
      if (shift && headers?.date) headers.date = new Date(Date.parse(headers.date) + shift).toUTCString();
      if (status < 300 && lose.delete(operation)) {
        // What Node reports when the server's answer never arrives.
        throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      }
      return result;
    },
    { step: "deserialize", name: "testFaults", priority: "low" },
  );
  return {
    client,
    loseNextAnswer: (operation) => lose.add(operation),
    shiftServerClock: (ms) => {
      shift += ms;
    },
    attempts: (operation) => seen.filter((s) => s.operation === operation).map((s) => s.status),
  };
}
