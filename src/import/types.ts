/** What `mailops import` makes of a target's resources: files, and what it could not express. */
import type { KindName, LiveResource } from "../plan/resource.js";
import type { Section } from "./sections.js";

export interface ImportedFile {
  /** Relative to the repository root, forward slashes. */
  path: string;
  text: string;
  /** The resources it declares (`kind/name`), for the report. */
  resources: string[];
}

/** A resource that exists on the target and is in no file, and why. */
export interface NotImported {
  kind: KindName;
  name: string;
  reason: string;
  /**
   * Tagged as this project's (an event destination: its configuration set): the state store may
   * record it, and a plan of a repository that does not declare it would delete it.
   */
  tagged?: true;
}

/** mailops.yaml's own settings, which no target holds. */
export interface ProjectSettings {
  project: string;
  state: string;
  /** sender.from */
  from: string;
  /** unsubscribe.url, for `mode: link` when no contact list is imported. */
  unsubscribeUrl?: string;
}

export interface ImportInput {
  target: "local" | "aws";
  region: string;
  /** The account the target's ARNs name (SNS topics); undefined when it cannot tell. */
  account?: string;
  settings: ProjectSettings;
  /** The parts to import. */
  sections: Section[];
  /** Whether to make mailops.yaml (and the files only it names: a dashboard's body). */
  withSettings: boolean;
  /** Every resource listed and read, of the sections asked for (SNS topics: those destinations name). */
  live: LiveResource[];
}

export interface ImportResult {
  files: ImportedFile[];
  notImported: NotImported[];
  /** What the user should know about files that were written (a dashboard body kept as found). */
  notes: string[];
}
