/**
 * A pass-through HTTP proxy in front of moto_server that lets only one write per path be in
 * flight at a time.
 *
 * Why: moto checks S3's If-Match / If-None-Match and then writes, in separate steps, on a
 * threaded server. Two conditional PUTs to one key can both pass the check, so compare-and-swap
 * loses updates (seen: 98 of 100 increments with 10 concurrent writers). Real S3 evaluates the
 * condition atomically. Serializing writes to the same path restores that guarantee, so the
 * store contract tests what S3 promises, not moto's race. Reads pass through concurrently.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface WriteSerializer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

const WRITES = new Set(["PUT", "POST", "DELETE", "PATCH"]);

export async function startWriteSerializer(upstream: string): Promise<WriteSerializer> {
  const target = new URL(upstream);
  const queues = new Map<string, Promise<void>>();

  const server = http.createServer((req, res) => {
    const method = req.method ?? "GET";
    if (!WRITES.has(method)) {
      forward(req, res).catch(() => undefined);
      return;
    }
    const path = new URL(req.url ?? "/", "http://proxy").pathname;
    const previous = queues.get(path) ?? Promise.resolve();
    const current = previous.then(() => forward(req, res)).catch(() => undefined);
    queues.set(path, current);
    void current.then(() => {
      if (queues.get(path) === current) queues.delete(path);
    });
  });

  /** Pipe one request to moto and resolve when its whole response has been relayed. */
  function forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const headers = { ...req.headers, host: target.host };
      const request = http.request(
        { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers },
        (response) => {
          // moto closes every connection; a proxy drops hop-by-hop headers, so clients keep theirs
          // open as they would with S3.
          const { connection: _c, "keep-alive": _k, ...relayed } = response.headers;
          res.writeHead(response.statusCode ?? 502, relayed);
          response.pipe(res);
          response.on("end", resolve);
          response.on("error", resolve);
        },
      );
      request.on("error", (error) => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
        res.end(`moto_server proxy: ${error.message}`);
        resolve();
      });
      req.pipe(request);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
