/**
 * One plan comment per pull request, updated in place. It is found by the hidden marker AND its
 * author: anyone can paste the marker into a comment, and only the bot's own comment may be
 * edited (or trusted, when deploy compares checksums). Every page of comments is read.
 */
import { createHash } from "../util/crypto.js";
import type { GitHubApi, IssueComment } from "./github-api.js";
import { hasMarker, type MarkerData, parseMarker } from "./marker.js";

/** The author of comments made with the workflow's GITHUB_TOKEN. */
const ACTIONS_BOT = "github-actions[bot]";

/** Who the action's comments are by: the input, else the token's user, else the Actions bot. */
export async function resolveAuthor(api: GitHubApi, input: string | undefined): Promise<string> {
  if (input) return input;
  return (await api.viewerLogin()) ?? ACTIONS_BOT;
}

/** The first (oldest) comment by `author` that starts with the marker. */
export function findSticky(comments: IssueComment[], author: string): IssueComment | undefined {
  return comments.find((c) => c.login === author && hasMarker(c.body));
}

/**
 * Opens the footer of a plan comment: the commit, run and artifact links, which change on every
 * run. What is above it (the marker included) is what a reviewer reads and deploy trusts.
 */
export const FOOTER_MARK = "<!-- mailops:footer -->";

/** A digest of the comment without its footer: equal when a run has nothing new to say. */
export function contentDigest(body: string): string {
  const at = body.lastIndexOf(FOOTER_MARK);
  return createHash("sha256")
    .update(at < 0 ? body : body.slice(0, at))
    .digest("hex");
}

interface Upserted {
  comment: IssueComment;
  action: "created" | "updated" | "unchanged";
}

export async function upsertSticky(
  api: GitHubApi,
  issue: number,
  author: string,
  body: string,
): Promise<Upserted> {
  const existing = findSticky(await api.listIssueComments(issue), author);
  if (!existing) return { comment: await api.createIssueComment(issue, body), action: "created" };
  // A re-run with the same content is not rewritten (no "edited" noise, no notification), though
  // its footer links another run: the comment's run link then stays on the run that wrote it.
  if (contentDigest(existing.body) === contentDigest(body)) return { comment: existing, action: "unchanged" };
  return { comment: await api.updateIssueComment(existing.id, body), action: "updated" };
}

/** The marker of the last plan comment the bot left on a pull request, if any. */
export async function reviewedMarker(
  api: GitHubApi,
  issue: number,
  author: string,
): Promise<MarkerData | undefined> {
  const sticky = findSticky(await api.listIssueComments(issue), author);
  return sticky ? parseMarker(sticky.body) : undefined;
}
