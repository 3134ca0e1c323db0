/**
 * Builds audience inputs the way users write them: YAML text through the real model builders,
 * subscriber files in a temporary repository.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterAll } from "vitest";
import {
  type AudienceStats,
  audience,
  type OpenSource,
  openLocal,
  type Recipient,
  type SuppressionCheck,
} from "../../src/audience/index.js";
import { buildCampaign, buildSegment, buildSource } from "../../src/config/build.js";
import type { Campaign, Condition, Project, Segment, Source } from "../../src/config/model.js";
import { parseYaml } from "../../src/config/yaml.js";

function doc(file: string, text: string) {
  const parsed = parseYaml(file, text);
  if (!parsed.doc) throw new Error(`test YAML did not parse: ${JSON.stringify(parsed.findings)}`);
  return parsed.doc;
}

export function source(name: string, yaml: string): Source {
  const file = `subscribers/${name}.yaml`;
  return buildSource(name, file, doc(file, yaml), true);
}

export function segment(name: string, yaml: string): Segment {
  const file = `subscribers/segments/${name}.yaml`;
  return buildSegment(name, file, doc(file, yaml), true);
}

export function campaign(yaml: string, name = "test-campaign"): Campaign {
  const file = `campaigns/${name}.yaml`;
  return buildCampaign(name, file, doc(file, `template: t\n${yaml}`), true);
}

/** The condition of `where: <yaml>`. */
export function where(yaml: string): Condition {
  const s = segment("w", `from: x\nwhere: ${yaml}\n`);
  if (!s.where) throw new Error(`no condition in ${yaml}`);
  return s.where;
}

export function project(root: string, parts: { sources?: Source[]; segments?: Segment[] }): Project {
  return {
    root,
    settings: {} as Project["settings"],
    templates: new Map(),
    sources: new Map((parts.sources ?? []).map((s) => [s.name, s])),
    segments: new Map((parts.segments ?? []).map((s) => [s.name, s])),
    campaigns: new Map(),
    fileCount: 0,
  };
}

const tempRoots: string[] = [];
// Registered when a test file imports this module, so it runs after that file's tests.
afterAll(() => {
  for (const root of tempRoots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A temporary repository, removed after the file's tests. */
export function tempRepo(): { root: string; write(rel: string, content: string | Buffer): void } {
  const root = mkdtempSync(path.join(tmpdir(), "mailops-audience-"));
  tempRoots.push(root);
  return {
    root,
    write(rel, content) {
      const abs = path.join(root, rel);
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, content);
    },
  };
}

export const gzip = (text: string) => gzipSync(Buffer.from(text));

export const noSuppression: SuppressionCheck = { has: () => false };

export interface Run {
  recipients: Recipient[];
  stats: AudienceStats;
}

export async function run(
  p: Project,
  c: Campaign,
  deps: { open?: OpenSource; suppression?: SuppressionCheck } = {},
): Promise<Run> {
  const a = audience(p, c, {
    open: deps.open ?? openLocal(p.root),
    suppression: deps.suppression ?? noSuppression,
  });
  const recipients: Recipient[] = [];
  for await (const r of a.recipients) recipients.push(r);
  return { recipients, stats: a.stats };
}

/** An opener that serves the local file in chunks of `size` bytes, to cut rows and characters apart. */
export function chunkedOpen(root: string, size: number): OpenSource {
  const local = openLocal(root);
  return async (s) => {
    const input = (await local(s)) as AsyncIterable<Buffer>;
    async function* pieces() {
      for await (const chunk of input) {
        for (let i = 0; i < chunk.length; i += size) yield chunk.subarray(i, i + size);
      }
    }
    return Readable.from(pieces(), { objectMode: false });
  };
}

/** Every counter that a row lands in exactly one of. */
export function accounted(stats: AudienceStats): number {
  return (
    stats.invalid + stats.notMatched + stats.duplicates + stats.excluded + stats.suppressed + stats.selected
  );
}
