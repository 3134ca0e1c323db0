/**
 * A fault-injecting HTTP proxy for tests, in front of an emulator endpoint (the SES router, moto's
 * S3): it passes requests through, or does to one what a flaky network or a struggling AWS does,
 * chosen per operation with fixed probabilities and a seed. Point `AWS_ENDPOINT_URL_SESV2` or
 * `AWS_ENDPOINT_URL_S3` at `endpoint`.
 *
 * Which fault a request gets is a function of the seed and the request itself (operation, path,
 * body, and how many times that same request came before), not of arrival order: concurrent
 * calls (ses-list mode's ten SendEmail at once) get the same faults in every run, and a retried
 * request draws afresh.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { routeSesRequest } from "./ses-router.js";

export type FaultKind =
  /** The connection reset before forwarding: upstream never saw the request. */
  | "reset-before"
  /** Forwarded and answered (upstream processed it), then the connection reset instead of the answer. */
  | "reset-after"
  /** A 5xx (`status`, 503 unless given) without forwarding. */
  | "error-before"
  /** Forwarded and answered (processed), then a 500 instead of the answer. */
  | "error-after"
  /** Not forwarded: 429 TooManyRequestsException (SES) or 503 SlowDown (S3). */
  | "throttle"
  /** Forwarded after `delayMs`. */
  | "delay"
  /** Forwarded and answered, the answer's body cut short and the connection closed. */
  | "truncate";

export interface FaultRule {
  /** An operation name (SendEmail, SendBulkEmail, GetObject, PutObject, …) or "*". */
  operation: string;
  /** Probability of each fault per request; together at most 1. */
  faults: Partial<Record<FaultKind, number>>;
  /** For error-before: the status (default 503). */
  status?: number;
  /** For delay (default 200). */
  delayMs?: number;
  /** The first `from` requests of the operation pass untouched (an outage that starts mid-run). */
  from?: number;
}

export interface FaultEvent {
  operation: string;
  method: string;
  path: string;
  fault?: FaultKind;
  /** Whether upstream got the request. */
  forwarded: boolean;
  /** The request body as text (SES requests name their recipients). */
  body: string;
}

export interface FaultProxy {
  readonly endpoint: string;
  /** Every request seen, in arrival order. */
  readonly events: FaultEvent[];
  /** Replace the rules (and the seed). */
  set(rules: FaultRule[], seed?: number): void;
  /** No faults from now on; the events are kept. */
  clear(): void;
  stop(): Promise<void>;
}

export type Service = "ses" | "s3";

/** The S3 operation of a path-style request (the store's calls only). */
export function s3Operation(method: string, url: URL): string {
  const parts = url.pathname.split("/").filter(Boolean);
  const onBucket = parts.length <= 1;
  if (method === "GET") return onBucket ? "ListObjectsV2" : "GetObject";
  if (method === "HEAD") return onBucket ? "HeadBucket" : "HeadObject";
  if (method === "PUT") return onBucket ? "CreateBucket" : "PutObject";
  if (method === "DELETE") return onBucket ? "DeleteBucket" : "DeleteObject";
  return `${method} S3`;
}

export function operationOf(service: Service, method: string, url: URL): string {
  return service === "ses" ? routeSesRequest(method, url.pathname).operation : s3Operation(method, url);
}

/** A number in [0, 1) from the seed and the request: the same request, the same draw. */
function draw(seed: number, key: string): number {
  return createHash("sha256").update(`${seed}\n${key}`).digest().readUInt32BE(0) / 2 ** 32;
}

function choose(rule: FaultRule | undefined, x: number): FaultKind | undefined {
  if (!rule) return undefined;
  let edge = 0;
  for (const [kind, p] of Object.entries(rule.faults) as [FaultKind, number][]) {
    edge += p;
    if (x < edge) return kind;
  }
  return undefined;
}

export async function startFaultProxy(upstream: string, service: Service): Promise<FaultProxy> {
  const base = new URL(upstream);
  const events: FaultEvent[] = [];
  let rules: FaultRule[] = [];
  let seed = 1;
  const seen = new Map<string, number>();
  const perOperation = new Map<string, number>();

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      // The client's side went away (or a fault already ended the socket): nothing to answer.
      req.socket.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://proxy");
    const body = await readBody(req);
    const operation = operationOf(service, method, url);
    const rule = rules.find((r) => r.operation === operation || r.operation === "*");
    const digest = createHash("sha256").update(body).digest("hex");
    const key = `${operation}\n${method}\n${url.pathname}${url.search}\n${digest}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const nth = (perOperation.get(operation) ?? 0) + 1;
    perOperation.set(operation, nth);
    const armed = rule && nth > (rule.from ?? 0) ? rule : undefined;
    const fault = choose(armed, draw(seed, `${key}\n${n}`));
    const event: FaultEvent = {
      operation,
      method,
      path: url.pathname,
      forwarded: false,
      body: body.toString("utf8"),
    };
    if (fault) event.fault = fault;
    events.push(event);

    if (fault === "reset-before") return reset(req);
    if (fault === "throttle") return answerError(res, service, method, service === "ses" ? 429 : 503, true);
    if (fault === "error-before") return answerError(res, service, method, rule?.status ?? 503, false);
    if (fault === "delay") await new Promise((r) => setTimeout(r, rule?.delayMs ?? 200));

    event.forwarded = true;
    const reply = await forward(base, method, url, req.headers, body);
    if (fault === "reset-after") return reset(req);
    if (fault === "error-after") return answerError(res, service, method, 500, false);
    if (fault === "truncate" && reply.body.length > 1) {
      res.writeHead(reply.status, { ...reply.headers, "content-length": String(reply.body.length) });
      res.write(reply.body.subarray(0, Math.floor(reply.body.length / 2)));
      // Let the half reach the client, then cut the connection.
      await new Promise((r) => setTimeout(r, 5));
      req.socket.destroy();
      return;
    }
    res.writeHead(reply.status, { ...reply.headers, "content-length": String(reply.body.length) });
    res.end(reply.body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    events,
    set(next, nextSeed = 1) {
      rules = next;
      seed = nextSeed;
      seen.clear();
      perOperation.clear();
    },
    clear() {
      rules = [];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A TCP reset (RST), as a dropped connection or a crashing proxy gives. */
function reset(req: http.IncomingMessage): void {
  const socket = req.socket as typeof req.socket & { resetAndDestroy?: () => void };
  if (socket.resetAndDestroy) socket.resetAndDestroy();
  else socket.destroy();
}

/** An error as the service sends it: SES v2's JSON with `x-amzn-ErrorType`, S3's XML. */
function answerError(
  res: http.ServerResponse,
  service: Service,
  method: string,
  status: number,
  throttle: boolean,
): void {
  if (service === "ses") {
    const type = throttle
      ? "TooManyRequestsException"
      : status === 503
        ? "ServiceUnavailable"
        : "InternalFailure";
    const message = throttle ? "Maximum sending rate exceeded." : `injected ${status}`;
    const bytes = Buffer.from(JSON.stringify({ message }));
    res.writeHead(status, {
      "content-type": "application/json",
      "x-amzn-errortype": type,
      "content-length": String(bytes.length),
    });
    res.end(bytes);
    return;
  }
  const code = throttle ? "SlowDown" : status === 503 ? "ServiceUnavailable" : "InternalError";
  const bytes =
    method === "HEAD"
      ? Buffer.alloc(0)
      : Buffer.from(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected ${status}</Message></Error>`,
        );
  res.writeHead(status, { "content-type": "application/xml", "content-length": String(bytes.length) });
  res.end(bytes);
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function forward(
  base: URL,
  method: string,
  url: URL,
  incoming: http.IncomingHttpHeaders,
  body: Buffer,
): Promise<Reply> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || name === "connection" || name === "content-length") continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  headers["content-length"] = String(body.length);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { hostname: base.hostname, port: base.port, method, path: url.pathname + url.search, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (
              value === undefined ||
              name === "content-length" ||
              name === "transfer-encoding" ||
              name === "connection"
            )
              continue;
            out[name] = Array.isArray(value) ? value.join(", ") : value;
          }
          resolve({ status: response.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) });
        });
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
