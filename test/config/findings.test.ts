import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { error, finding, type Position, warning } from "../../src/config/findings.js";
import { lintProject } from "../../src/config/lint/index.js";
import { loadProject } from "../../src/config/load.js";
import { YamlDoc } from "../../src/config/yaml.js";

const here: Position = { file: "mailops.yaml", line: 3, col: 5 };

describe("finding positions", () => {
  it("takes a position or a function giving one", () => {
    expect(error("r/x", () => here, "m", "h")).toEqual(error("r/x", here, "m", "h"));
    expect(warning("r/x", () => here, "m")).toEqual({
      severity: "warning",
      rule: "r/x",
      ...here,
      message: "m",
    });
  });

  it("works out a lazy position once, when the finding is made", () => {
    const at = vi.fn(() => here);
    const f = finding("info", "r/x", at, "m");
    expect(at).toHaveBeenCalledTimes(1);
    expect(f).toMatchObject(here);
  });
});

describe("lint of the example repository", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("asks mailops.yaml for no position when it has nothing to report there", () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
    const project = loadProject(root);
    const pos = vi.spyOn(YamlDoc.prototype, "pos");
    const findings = lintProject(project.value);
    expect(findings.filter((f) => f.file === project.value.settings.file)).toEqual([]);
    expect(pos.mock.contexts.map((doc) => (doc as YamlDoc).file)).not.toContain(project.value.settings.file);
  });
});
