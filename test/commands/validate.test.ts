/**
 * The validate use case: the findings of a repository as data, and the rule every other use case
 * starts with: no use case acts on a repository with errors. The error carries the errors (not
 * the warnings or infos) for the entry to show; the use case prints nothing.
 */
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSession } from "../../src/commands/session.js";
import { InvalidProjectError, validateProject, validProject } from "../../src/commands/validate.js";
import { ProjectError, ValidationFailedError } from "../../src/errors.js";
import { copyExampleRepo, type ExampleRepo } from "../support/repo.js";

let repo: ExampleRepo;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

/** The example with one error: its welcome campaign names a template that does not exist. */
function withError(): void {
  const file = "campaigns/welcome-new-customers.yaml";
  repo.write(file, repo.read(file).replace("template: welcome-campaign", "template: welcome-campaing"));
}

describe("validateProject", () => {
  it("the example repository: no errors, its findings sorted, the project built", () => {
    const result = validateProject(repo.dir);
    expect(result.errors).toBe(0);
    expect(result.findings.map((f) => f.severity)).toEqual(["info"]);
    expect(result.project.campaigns.has("welcome-new-customers")).toBe(true);
  });

  it("counts the errors among the findings", () => {
    withError();
    const result = validateProject(repo.dir);
    expect(result.errors).toBe(1);
    expect(result.findings.filter((f) => f.severity === "error")).toEqual([
      expect.objectContaining({
        file: "campaigns/welcome-new-customers.yaml",
        rule: "campaign/unknown-template",
      }),
    ]);
  });

  it("a directory that is not there is a ProjectError, not findings", () => {
    expect(() => validateProject(path.join(repo.dir, "nope"))).toThrow(ProjectError);
  });
});

describe("validProject", () => {
  it("is the project when there are no errors (infos and warnings do not stop it)", () => {
    expect(validProject(repo.dir).settings.project).toBe("acme-marketing");
  });

  it("with errors, throws InvalidProjectError carrying only the errors and the file count", () => {
    withError();
    const thrown = (() => {
      try {
        validProject(repo.dir);
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).toBeInstanceOf(InvalidProjectError);
    expect(thrown).toBeInstanceOf(ValidationFailedError);
    const e = thrown as InvalidProjectError;
    expect(e.message).toBe("the repository has 1 validation error");
    expect(e.hint).toBe("run `mailops validate` and fix them first");
    expect(e.exitCode).toBe(1);
    expect(e.errors.map((f) => [f.severity, f.rule])).toEqual([["error", "campaign/unknown-template"]]);
    expect(e.fileCount).toBe(validateProject(repo.dir).project.fileCount);
  });

  it("is where a session from a directory starts: no session on a repository with errors", () => {
    withError();
    expect(() => openSession({ dir: repo.dir, observe: () => {} })).toThrow(InvalidProjectError);
  });
});
