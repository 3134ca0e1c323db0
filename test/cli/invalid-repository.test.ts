/**
 * Every command that acts validates first and stops on errors: exit 1, the error findings on
 * stderr (as `validate` prints them, errors only), then the error and its hint; nothing on stdout.
 * The use cases only throw; the command line's entry prints.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../support/cli.js";

const FIXTURE = path.join(import.meta.dirname, "../fixtures/invalid/campaign-unknown-template");

const EXPECTED =
  "campaigns/hello.yaml:1:11 error campaign/unknown-template template `helo` does not exist\n" +
  "  hint: did you mean `hello`?\n" +
  "1 error, 0 warnings in 4 files\n" +
  "mailops: the repository has 1 validation error\n" +
  "  hint: run `mailops validate` and fix them first\n";

describe("a repository with validation errors", () => {
  it.each([
    ["plan"],
    ["apply"],
    ["send", "--due"],
    ["status"],
    ["preview", "hello"],
    ["bootstrap", "--repo", "acme/marketing"],
  ])("%s: exit 1, the errors and the hint on stderr, nothing on stdout", async (...args) => {
    const r = await cli(...args, "--dir", FIXTURE);
    expect(r).toEqual({ code: 1, out: "", err: EXPECTED });
  });

  it("deploy: its first progress line, then the same", async () => {
    const r = await cli("deploy", "--dir", FIXTURE);
    expect(r).toEqual({ code: 1, out: "", err: `validate: checking the repository\n${EXPECTED}` });
  });
});
