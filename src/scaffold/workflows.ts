/**
 * The workflows of a campaign repository are this repository's own (.github/workflows/, shipped in
 * the package), so they cannot drift apart: the same triggers, permissions, roles and inputs. Only
 * two things differ. The Action is named by reference (`<owner>/mailops@<tag>`) instead of `./`,
 * and deploy.yml's paths leave out what only the tool has (its sources and action.yml).
 */
export const WORKFLOWS = ["pull-request.yml", "deploy.yml", "scheduled-send.yml", "drift.yml"] as const;

/** Paths in deploy.yml's `on.push.paths` that only this repository, the tool's, has. */
const TOOL_PATHS = ["src/**", "action.yml"];

const LOCAL_ACTION = /^(\s*(?:- )?uses:) \.\/\s*$/;
const TOOL_PATH = new RegExp(`^\\s+- (${TOOL_PATHS.map((p) => p.replace(/[.*]/g, "\\$&")).join("|")})\\s*$`);

/** One of this repository's workflows as a campaign repository runs it, with the Action at `uses`. */
export function campaignWorkflow(file: string, text: string, uses: string): string {
  let replaced = 0;
  const lines = text.split("\n").flatMap((line) => {
    if (TOOL_PATH.test(line)) return [];
    const local = LOCAL_ACTION.exec(line);
    if (!local) return [line];
    replaced++;
    return [`${local[1]} ${uses}`];
  });
  // A workflow that no longer runs the Action as `./` would be copied unchanged: say so, loudly.
  if (replaced === 0) throw new Error(`${file} does not use the action as \`uses: ./\``);
  return lines.join("\n");
}
