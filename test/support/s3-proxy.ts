/**
 * A stand-in network between mailops and S3 (moto_server), for tests that run the command line
 * with `state: s3://…`: it forwards every request, and on demand loses an answer after S3 acted
 * on the request (the connection is cut), lets another writer in first, or answers S3 errors.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxiedCall {
  method: string;
  path: string;
  /** 0: the answer was lost on purpose. */
  status: number;
}

type Match = (method: string, path: string) => boolean;

export interface S3Proxy {
  readonly endpoint: string;
  readonly calls: ProxiedCall[];
  /** The next matching request is done by S3, and then its connection is cut before the answer. */
  loseAnswer(match: Match): void;
  /** Before the next matching request is forwarded, `first` runs (another writer gets there first). */
  before(match: Match, first: () => Promise<void>): void;
  /** Answer the next `count` requests with this S3 error, without forwarding them. */
  fail(count: number, status: number, code: string): void;
  stop(): Promise<void>;
}

export async function startS3Proxy(target: string): Promise<S3Proxy> {
  const upstream = new URL(target);
  const calls: ProxiedCall[] = [];
  const lose: Match[] = [];
  const befores: Array<{ match: Match; first: () => Promise<void> }> = [];
  let failures: { count: number; status: number; code: string } | undefined;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    if (failures && failures.count > 0) {
      failures.count--;
      calls.push({ method, path, status: failures.status });
      res.writeHead(failures.status, { "content-type": "application/xml" });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${failures.code}</Code><Message>${failures.code}</Message></Error>`,
      );
      return;
    }
    const b = befores.findIndex((x) => x.match(method, path));
    if (b !== -1) await befores.splice(b, 1)[0]?.first();
    const answer = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>(
      (resolve, reject) => {
        const out = http.request(
          { host: upstream.hostname, port: upstream.port, method, path, headers: req.headers },
          async (up) => {
            const body: Buffer[] = [];
            for await (const chunk of up) body.push(chunk as Buffer);
            resolve({ status: up.statusCode ?? 502, headers: up.headers, body: Buffer.concat(body) });
          },
        );
        out.on("error", reject);
        out.end(Buffer.concat(chunks));
      },
    );
    const l = lose.findIndex((m) => m(method, path));
    if (l !== -1 && answer.status < 300) {
      lose.splice(l, 1);
      calls.push({ method, path, status: 0 });
      req.socket.destroy();
      return;
    }
    calls.push({ method, path, status: answer.status });
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    loseAnswer: (match) => lose.push(match),
    before: (match, first) => befores.push({ match, first }),
    fail: (count, status, code) => {
      failures = { count, status, code };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
