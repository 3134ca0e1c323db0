/**
 * One HTTP request passed on to an emulator, answered in full: shared by the SES router and the
 * fault proxy. Hop-by-hop headers are dropped both ways; the body's length is set anew.
 */
import http from "node:http";

export interface Forwarded {
  method: string;
  /** Path and query. */
  path: string;
  body: Buffer;
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const HOP = new Set(["content-length", "transfer-encoding", "connection"]);

/**
 * `host: "upstream"` names the emulator in the Host header (the router's own calls); "keep"
 * passes the client's on, as a transparent proxy does.
 */
export function forward(
  base: URL,
  request: Forwarded,
  incoming: http.IncomingHttpHeaders,
  host: "keep" | "upstream" = "upstream",
): Promise<Reply> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP.has(name) || (host === "upstream" && name === "host")) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  if (host === "upstream") headers.host = base.host;
  headers["content-length"] = String(request.body.length);
  return new Promise((resolve, reject) => {
    const out = http.request(
      { hostname: base.hostname, port: base.port, method: request.method, path: request.path, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const replyHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value === undefined || HOP.has(name)) continue;
            replyHeaders[name] = Array.isArray(value) ? value.join(", ") : value;
          }
          resolve({ status: response.statusCode ?? 502, headers: replyHeaders, body: Buffer.concat(chunks) });
        });
        response.on("error", reject);
      },
    );
    out.on("error", reject);
    out.end(request.body);
  });
}
