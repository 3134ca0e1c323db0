/**
 * Uploading files as a workflow artifact. Only this module talks to GitHub's artifact service (it
 * has no local emulator), so tests replace the uploader and everything else runs for real.
 */
export interface UploadedArtifact {
  /** Unknown when action.yml's next step uploads (action/composite.ts). */
  id?: number;
  /** A page a reviewer can open to download the artifact. */
  url: string;
}

export interface ArtifactUploader {
  /** `files` are absolute paths under `root`; the artifact keeps their paths relative to it. */
  upload(name: string, root: string, files: string[]): Promise<UploadedArtifact>;
}

/** @actions/artifact, loaded only when an upload happens (it is large and needs the runner's token). */
export function actionsArtifactUploader(run: {
  serverUrl: string;
  owner: string;
  repo: string;
  runId: string;
}): ArtifactUploader {
  return {
    async upload(name, root, files) {
      const { DefaultArtifactClient } = await import("@actions/artifact");
      const { id } = await new DefaultArtifactClient().uploadArtifact(name, files, root, {
        retentionDays: 30,
      });
      if (id === undefined) throw new Error("the artifact service returned no artifact id");
      return {
        id,
        url: `${run.serverUrl}/${run.owner}/${run.repo}/actions/runs/${run.runId}/artifacts/${id}`,
      };
    },
  };
}
