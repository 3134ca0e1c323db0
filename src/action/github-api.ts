/** The few GitHub REST calls the action makes, behind an interface the flows depend on. */
import { getOctokit } from "@actions/github";

export interface IssueComment {
  id: number;
  body: string;
  /** Null for comments of deleted accounts ("ghost"). */
  login: string | undefined;
  htmlUrl: string;
}

export interface PullRef {
  number: number;
  mergedAt: string | null;
  mergeCommitSha: string | null;
}

export interface GitHubApi {
  /** The login the token acts as, when the token may ask (a PAT); undefined for app and Actions tokens. */
  viewerLogin(): Promise<string | undefined>;
  /** Every comment on the issue or pull request, all pages. */
  listIssueComments(issue: number): Promise<IssueComment[]>;
  createIssueComment(issue: number, body: string): Promise<IssueComment>;
  updateIssueComment(id: number, body: string): Promise<IssueComment>;
  /** Pull requests whose merge produced (or that contain) the commit. */
  pullsForCommit(sha: string): Promise<PullRef[]>;
}

interface RawComment {
  id: number;
  body?: string | null;
  user?: { login: string } | null;
  html_url: string;
}

const toComment = (c: RawComment): IssueComment => ({
  id: c.id,
  body: c.body ?? "",
  login: c.user?.login,
  htmlUrl: c.html_url,
});

export function octokitApi(options: {
  token: string;
  baseUrl: string;
  owner: string;
  repo: string;
}): GitHubApi {
  const octokit = getOctokit(options.token, { baseUrl: options.baseUrl });
  const { owner, repo } = options;
  return {
    async viewerLogin() {
      try {
        const { data } = await octokit.rest.users.getAuthenticated();
        return data.login;
      } catch (e) {
        // GITHUB_TOKEN and app installation tokens get 403 here ("Resource not accessible by integration").
        const status = (e as { status?: number }).status;
        if (status === 401 || status === 403 || status === 404) return undefined;
        throw e;
      }
    },
    async listIssueComments(issue) {
      // paginate follows the Link header: a pull request can have thousands of comments.
      const all = await octokit.paginate(octokit.rest.issues.listComments, {
        owner,
        repo,
        issue_number: issue,
        per_page: 100,
      });
      return all.map((c) => toComment(c as RawComment));
    },
    async createIssueComment(issue, body) {
      const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: issue, body });
      return toComment(data as RawComment);
    },
    async updateIssueComment(id, body) {
      const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: id, body });
      return toComment(data as RawComment);
    },
    async pullsForCommit(sha) {
      const all = await octokit.paginate(octokit.rest.repos.listPullRequestsAssociatedWithCommit, {
        owner,
        repo,
        commit_sha: sha,
        per_page: 100,
      });
      return all.map((p) => ({
        number: p.number,
        mergedAt: p.merged_at ?? null,
        mergeCommitSha: p.merge_commit_sha ?? null,
      }));
    },
  };
}
