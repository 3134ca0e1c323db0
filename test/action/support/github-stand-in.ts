/**
 * A stand-in for the parts of GitHub's REST API the action uses, on 127.0.0.1. It keeps issue
 * comments in memory, pages them like GitHub (Link headers, per_page at most 100), attributes
 * writes to the token's account, and records every request for assertions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface StoredComment {
  id: number;
  issue: number;
  body: string;
  login: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
}

export interface StandInOptions {
  /** token → account; a token with `pat: true` may call GET /user (GITHUB_TOKEN may not). */
  tokens?: Record<string, { login: string; pat?: boolean }>;
  /** Answer writes with 403, as GitHub does for a fork's read-only token. */
  readOnly?: boolean;
}

export class GitHubStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly comments: StoredComment[] = [];
  /** commit sha → pull requests associated with it. */
  readonly pulls = new Map<
    string,
    { number: number; merged_at: string | null; merge_commit_sha: string | null }[]
  >();
  private nextId = 1000;
  private server?: Server;
  url = "";

  constructor(private readonly options: StandInOptions = {}) {}

  setReadOnly(readOnly: boolean): void {
    this.options.readOnly = readOnly;
  }

  /** Answer every write with this status and message (a server error, a rate limit). */
  failWrites(status: number, message: string): void {
    this.writeFailure = { status, message };
  }

  private writeFailure?: { status: number; message: string };

  seed(issue: number, login: string, body: string): StoredComment {
    const c = { id: this.nextId++, issue, body, login };
    this.comments.push(c);
    return c;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e) => json(res, 500, { message: String(e) }));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== "GET");
  }

  private account(req: IncomingMessage): { login: string; pat?: boolean } | undefined {
    const token = (req.headers.authorization ?? "").replace(/^(token|bearer)\s+/i, "");
    return (this.options.tokens ?? { "ghs-actions-token": { login: "github-actions[bot]" } })[token];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    this.requests.push({
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      ...(body ? { body } : {}),
    });
    const who = this.account(req);
    if (!who) return json(res, 401, { message: "Bad credentials" });
    const path = url.pathname;
    const issueComments = path.match(/^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/);
    const oneComment = path.match(/^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/);
    const commitPulls = path.match(/^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/pulls$/);

    if (req.method === "GET" && path === "/user") {
      if (!who.pat) return json(res, 403, { message: "Resource not accessible by integration" });
      return json(res, 200, { login: who.login });
    }
    if (issueComments && req.method === "GET") {
      const [, owner, repo, issue] = issueComments;
      const perPage = Math.min(100, Number(url.searchParams.get("per_page") ?? 30));
      const page = Number(url.searchParams.get("page") ?? 1);
      const all = this.comments.filter((c) => c.issue === Number(issue));
      const last = Math.max(1, Math.ceil(all.length / perPage));
      const links: string[] = [];
      const link = (p: number, rel: string) => {
        const u = new URL(url);
        u.searchParams.set("page", String(p));
        u.searchParams.set("per_page", String(perPage));
        links.push(`<${u.href}>; rel="${rel}"`);
      };
      if (page < last) {
        link(page + 1, "next");
        link(last, "last");
      }
      const items = all.slice((page - 1) * perPage, page * perPage).map((c) => this.view(c, owner, repo));
      return json(res, 200, items, links.length ? { link: links.join(", ") } : {});
    }
    if (req.method !== "GET" && this.writeFailure)
      return json(res, this.writeFailure.status, { message: this.writeFailure.message });
    if (issueComments && req.method === "POST") {
      if (this.options.readOnly) return json(res, 403, { message: "Resource not accessible by integration" });
      const [, owner, repo, issue] = issueComments;
      const c = this.seed(Number(issue), who.login, String(body?.body ?? ""));
      return json(res, 201, this.view(c, owner, repo));
    }
    if (oneComment && req.method === "PATCH") {
      if (this.options.readOnly) return json(res, 403, { message: "Resource not accessible by integration" });
      const [, owner, repo, id] = oneComment;
      const c = this.comments.find((x) => x.id === Number(id));
      if (!c) return json(res, 404, { message: "Not Found" });
      c.body = String(body?.body ?? "");
      return json(res, 200, this.view(c, owner, repo));
    }
    if (commitPulls && req.method === "GET") {
      return json(res, 200, this.pulls.get(commitPulls[3] ?? "") ?? []);
    }
    return json(res, 404, { message: `Not Found: ${req.method} ${url.pathname}` });
  }

  private view(c: StoredComment, owner = "acme", repo = "campaigns") {
    return {
      id: c.id,
      body: c.body,
      user: { login: c.login, type: c.login.endsWith("[bot]") ? "Bot" : "User" },
      html_url: `https://github.com/${owner}/${repo}/pull/${c.issue}#issuecomment-${c.id}`,
    };
  }
}

function json(
  res: ServerResponse,
  status: number,
  data: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(data));
}
