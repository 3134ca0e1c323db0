/** Whose a resource is, by its tag: another mailops project's is never imported into this one. */
import { type LiveResource, OWNER_TAG } from "../plan/resource.js";

/** Why a resource must not be imported into `project`, or undefined when it may be. */
export function ownedElsewhere(live: LiveResource, project: string): string | undefined {
  const owner = live.tags[OWNER_TAG];
  return owner !== undefined && owner !== project
    ? `it belongs to mailops project ${owner} (tag ${OWNER_TAG}); import it into that project's repository`
    : undefined;
}
