/**
 * Golden tests for `mailops validate`: every folder under test/fixtures/invalid/ is a small
 * repository that breaks one thing; its expected.txt is the exact text report. Cases that need
 * files git cannot hold (symbolic links, 5 MB files) are built in a temporary folder from
 * test/fixtures/valid/minimal and compared to test/fixtures/generated/<name>/expected.txt.
 *
 * UPDATE_GOLDEN=1 npx vitest run test/validate-fixtures.test.ts rewrites the golden files;
 * read the diff before keeping it.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateProject } from "../src/commands/validate.js";
import { MAX_FILE_BYTES } from "../src/config/read.js";
import { formatFindings } from "../src/present/findings.js";

const FIXTURES = path.join(import.meta.dirname, "fixtures");
const MINIMAL = path.join(FIXTURES, "valid", "minimal");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

function textReport(dir: string): string {
  const result = validateProject(dir);
  return formatFindings(result.findings, "text", result.project.fileCount);
}

function compareGolden(golden: string, actual: string): void {
  if (UPDATE) writeFileSync(golden, actual);
  expect(existsSync(golden), `${golden} is missing; run with UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(actual).toBe(readFileSync(golden, "utf8"));
}

const subdirs = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** A scratch folder holding `repo/` (a copy of the minimal fixture) and room beside it for "outside" files. */
function scratchRepo(): { repo: string; outside: string } {
  const base = mkdtempSync(path.join(tmpdir(), "mailops-fixture-"));
  temps.push(base);
  const repo = path.join(base, "repo");
  cpSync(MINIMAL, repo, { recursive: true });
  const outside = path.join(base, "outside");
  mkdirSync(outside);
  return { repo, outside };
}

const MB5 = MAX_FILE_BYTES;
const UNSUBSCRIBE = '<a href="{{amazonSESUnsubscribeUrl}}">Unsubscribe</a>';

function writeHtmlTemplate(repo: string, html: string): void {
  writeFileSync(
    path.join(repo, "templates/hello.yaml"),
    'subject: "Hello {{name}}"\nhtml: hello.html\ntext: "Hi {{name}}. Unsubscribe: {{amazonSESUnsubscribeUrl}}"\n',
  );
  writeFileSync(path.join(repo, "templates/hello.html"), html);
}

/** Builders for test/fixtures/generated/<name>: they edit a fresh copy of the minimal repository. */
const generated: Record<string, (r: { repo: string; outside: string }) => void> = {
  "file-too-large": ({ repo }) => {
    const line = "# padding to push the file over the limit\n";
    const body = `template: hello\nto: people\nsend_at: on-merge\n${line.repeat(Math.ceil(MB5 / line.length) + 1)}`;
    writeFileSync(path.join(repo, "campaigns/hello.yaml"), body);
  },
  "file-outside-repo": ({ repo, outside }) => {
    writeFileSync(path.join(outside, "stolen.yaml"), "template: hello\nto: people\nsend_at: on-merge\n");
    symlinkSync(path.join(outside, "stolen.yaml"), path.join(repo, "campaigns/stolen.yaml"));
  },
  "file-not-a-file": ({ repo }) => {
    symlinkSync("../templates", path.join(repo, "campaigns/folder.yaml"));
  },
  "file-folder-named-yaml": ({ repo }) => {
    // A real folder (not a link), holding a campaign that must not be read as if it were a subfolder.
    mkdirSync(path.join(repo, "campaigns/nested.yaml"));
    writeFileSync(path.join(repo, "campaigns/nested.yaml/inner.yaml"), "template: nope\nto: people\n");
  },
  "campaign-tag-long": ({ repo }) => {
    // A 100 KB value is named, not repeated: the finding shows its start and its length.
    const file = path.join(repo, "campaigns/hello.yaml");
    writeFileSync(file, `${readFileSync(file, "utf8")}tags:\n  campaign: ${"x".repeat(100_000)}\n`);
  },
  "source-file-absolute": ({ repo }) => {
    // An absolute path is outside the repository, whether or not the file exists.
    writeFileSync(
      path.join(repo, "subscribers/people.yaml"),
      readFileSync(path.join(repo, "subscribers/people.yaml"), "utf8").replace(
        /^source: .*$/m,
        "source: /srv/crm/people.jsonl",
      ),
    );
  },
  "file-unreadable": ({ repo }) => {
    // A link to itself: the kernel refuses to resolve it (ELOOP), which root cannot override.
    symlinkSync("loop.yaml", path.join(repo, "campaigns/loop.yaml"));
  },
  "template-file-too-large": ({ repo }) => {
    writeHtmlTemplate(repo, `${"<p>filler</p>\n".repeat(Math.ceil(MB5 / 14) + 1)}${UNSUBSCRIBE}\n`);
  },
  "template-file-symlink-outside": ({ repo, outside }) => {
    writeFileSync(path.join(outside, "secret.html"), `<p>secret</p>${UNSUBSCRIBE}\n`);
    writeHtmlTemplate(repo, "");
    rmSync(path.join(repo, "templates/hello.html"));
    symlinkSync(path.join(outside, "secret.html"), path.join(repo, "templates/hello.html"));
  },
  "bad-inputs-together": ({ repo, outside }) => {
    // Every kind of unreadable input at once, next to an ordinary mistake: all are reported in one run.
    generated["file-too-large"]?.({ repo, outside });
    generated["file-outside-repo"]?.({ repo, outside });
    generated["file-unreadable"]?.({ repo, outside });
    generated["template-file-symlink-outside"]?.({ repo, outside });
    writeFileSync(
      path.join(repo, "campaigns/binary.yaml"),
      Buffer.from([0x74, 0x3a, 0x20, 0x00, 0xff, 0x0a]),
    );
    writeFileSync(path.join(repo, "campaigns/typo.yaml"), "template: helo\nto: people\nsend_at: on-merge\n");
  },
  "template-too-large": ({ repo }) => {
    writeHtmlTemplate(repo, `<p>Hi {{name}}</p>\n${"<p>filler</p>\n".repeat(40_000)}${UNSUBSCRIBE}\n`);
  },
};

describe("validate: invalid fixtures match their golden report", () => {
  const dir = path.join(FIXTURES, "invalid");
  for (const name of subdirs(dir)) {
    it(name, () => {
      const fixture = path.join(dir, name);
      compareGolden(path.join(fixture, "expected.txt"), textReport(fixture));
    });
  }
});

describe("validate: generated fixtures match their golden report", () => {
  const dir = path.join(FIXTURES, "generated");
  if (UPDATE) for (const name of Object.keys(generated)) mkdirSync(path.join(dir, name), { recursive: true });

  it("has a builder for every golden folder and a folder for every builder", () => {
    expect(subdirs(dir)).toEqual(Object.keys(generated).sort());
  });

  for (const [name, build] of Object.entries(generated)) {
    it(name, () => {
      const scratch = scratchRepo();
      build(scratch);
      compareGolden(path.join(dir, name, "expected.txt"), textReport(scratch.repo));
    });
  }
});

describe("validate: valid fixtures", () => {
  for (const name of subdirs(path.join(FIXTURES, "valid"))) {
    it(`${name} has no findings`, () => {
      expect(validateProject(path.join(FIXTURES, "valid", name)).findings).toEqual([]);
    });
  }
});
