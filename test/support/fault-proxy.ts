/**
 * A fault-injecting HTTP proxy for tests, in front of an emulator endpoint (the SES router, moto's
 * S3): it passes requests through, or does to one what a flaky network or a struggling AWS does,
 * chosen per operation with fixed probabilities and a seed. Point `AWS_ENDPOINT_URL_SESV2` or
 * `AWS_ENDPOINT_URL_S3` at `endpoint`.
 *
 * Which fault a rule gives a request is a function of the seed and the request itself (operation,
 * path, body, and how many times that same request came before), not of arrival order: concurrent
 * calls (ses-list mode's ten SendEmail at once) get the same faults in every run, and a retried
 * request draws afresh.
 *
 * Scripted steps (`once`, `failNext`) are the exception, by nature: they go to the next matching
 * request in arrival order ("lose the answer of the first ledger intent", "another writer gets
 * there just before ours", "SlowDown from now on"). Use them where the script names one request
 * or all of them, so the order is fixed by the code under test; they take precedence over the
 * rules (a request a step takes still counts in the rules' draws, so these stay as they were).
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { forward } from "./http-forward.js";
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
  /** The status the client was sent (a cut answer's included); 0: none, the connection was reset. */
  status: number;
}

export interface ProxiedRequest {
  operation: string;
  method: string;
  path: string;
  body: string;
}

/** Which requests a scripted step is for: an operation name ("*": any), or a test on the request. */
export type RequestMatch = string | ((request: ProxiedRequest) => boolean);

/** Runs before the request is forwarded: another writer's action gets there first. */
export type BeforeForward = () => Promise<void>;

/** An error in the service's shape: S3's XML `<Code>`, SES's `x-amzn-ErrorType` and JSON `message`. */
export interface ServiceError {
  status: number;
  code: string;
  message?: string;
}

export interface FaultProxy {
  readonly endpoint: string;
  /** Every request seen, in arrival order. */
  readonly events: FaultEvent[];
  /** Replace the rules (and the seed). */
  set(rules: FaultRule[], seed?: number): void;
  /**
   * The next request matching `match` (by arrival order) gets `action`: a fault, whatever the
   * rules say, or a `BeforeForward` awaited just before that request is forwarded (a request not
   * forwarded, because a fault took it, leaves the step for the next one).
   */
  once(match: RequestMatch, action: FaultKind | BeforeForward): void;
  /** The next `count` requests matching `match` (default any) get `error`, without being forwarded. */
  failNext(count: number, error: ServiceError, match?: RequestMatch): void;
  /** No faults from now on, neither rules nor steps; the events are kept. */
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

interface Step {
  match: RequestMatch;
  left: number;
  fault?: FaultKind;
  error?: ServiceError;
  before?: BeforeForward;
}

function matches(match: RequestMatch, request: ProxiedRequest): boolean {
  if (typeof match === "string") return match === "*" || match === request.operation;
  return match(request);
}

/** The first step of `steps` that `want`s and matches the request, used up once. */
function take(steps: Step[], want: (step: Step) => boolean, request: ProxiedRequest): Step | undefined {
  const i = steps.findIndex((step) => want(step) && matches(step.match, request));
  const step = steps[i];
  if (!step) return undefined;
  if (--step.left <= 0) steps.splice(i, 1);
  return step;
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
  let steps: Step[] = [];
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
    const drawn = choose(armed, draw(seed, `${key}\n${n}`));
    const request: ProxiedRequest = { operation, method, path: url.pathname, body: body.toString("utf8") };
    const step = take(steps, (s) => s.fault !== undefined || s.error !== undefined, request);
    const fault = step ? (step.fault ?? "error-before") : drawn;
    const event: FaultEvent = { ...request, forwarded: false, status: 0 };
    if (fault) event.fault = fault;
    events.push(event);
    const answer = (error: ServiceError) => {
      event.status = error.status;
      answerError(res, service, method, error);
    };

    if (fault === "reset-before") return reset(req);
    if (fault === "throttle") return answer(throttled(service));
    if (fault === "error-before")
      return answer(step?.error ?? serverError(service, step ? 503 : (rule?.status ?? 503)));
    if (fault === "delay") await new Promise((r) => setTimeout(r, step ? 200 : (rule?.delayMs ?? 200)));

    await take(steps, (s) => s.before !== undefined, request)?.before?.();
    event.forwarded = true;
    const reply = await forward(base, { method, path: url.pathname + url.search, body }, req.headers, "keep");
    if (fault === "reset-after") return reset(req);
    if (fault === "error-after") return answer(serverError(service, 500));
    event.status = reply.status;
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
    once(match, action) {
      steps.push(
        typeof action === "function" ? { match, left: 1, before: action } : { match, left: 1, fault: action },
      );
    },
    failNext(count, error, match = "*") {
      if (count > 0) steps.push({ match, left: count, error });
    },
    clear() {
      rules = [];
      steps = [];
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

/** Throttling as each service says it: SES `429 TooManyRequestsException`, S3 `503 SlowDown`. */
function throttled(service: Service): ServiceError {
  return service === "ses"
    ? { status: 429, code: "TooManyRequestsException", message: "Maximum sending rate exceeded." }
    : { status: 503, code: "SlowDown", message: "Please reduce your request rate." };
}

/** A 5xx with the code each service gives it. */
function serverError(service: Service, status: number): ServiceError {
  const code =
    status === 503 ? "ServiceUnavailable" : service === "ses" ? "InternalFailure" : "InternalError";
  return { status, code, message: `injected ${status}` };
}

/** An error as the service sends it: SES v2's JSON with `x-amzn-ErrorType`, S3's XML. */
function answerError(res: http.ServerResponse, service: Service, method: string, error: ServiceError): void {
  const message = error.message ?? error.code;
  if (service === "ses") {
    const bytes = Buffer.from(JSON.stringify({ message }));
    res.writeHead(error.status, {
      "content-type": "application/json",
      "x-amzn-errortype": error.code,
      "content-length": String(bytes.length),
    });
    res.end(bytes);
    return;
  }
  // A HEAD answer has no body: S3 gives the status alone.
  const bytes =
    method === "HEAD"
      ? Buffer.alloc(0)
      : Buffer.from(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${message}</Message></Error>`,
        );
  res.writeHead(error.status, { "content-type": "application/xml", "content-length": String(bytes.length) });
  res.end(bytes);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
