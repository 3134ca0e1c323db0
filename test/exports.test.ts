/**
 * The package's entries for a user's code (package.json `exports`, src/exports/): each points at
 * what scripts/build.mjs builds, and the docs import only what they export. The built package
 * itself is installed and used in test/package/init-package.test.ts.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as unsubscribe from "../src/exports/unsubscribe.js";

const ROOT = path.join(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  exports: Record<string, string | { types: string; default: string }>;
  files: string[];
};
const build = readFileSync(path.join(ROOT, "scripts/build.mjs"), "utf8");

describe("package.json exports", () => {
  it("mailops/unsubscribe: the bundle and declarations scripts/build.mjs makes of src/exports/unsubscribe.ts", () => {
    expect(pkg.exports["./unsubscribe"]).toEqual({
      types: "./dist/types/exports/unsubscribe.d.ts",
      default: "./dist/unsubscribe.js",
    });
    expect(build).toContain('unsubscribe: "src/exports/unsubscribe.ts"');
    expect(build).toContain('"--outDir", "dist/types"');
    expect(build).toContain('"src/exports/unsubscribe.ts",\n  ];');
  });

  it("its surface: the verifier, the URL signer, the error and the secret's rules", () => {
    expect(Object.keys(unsubscribe).sort()).toEqual([
      "MIN_SECRET_BYTES",
      "SECRET_ENV",
      "UnsubscribeSecretError",
      "unsubscribeUrl",
      "verifyUnsubscribeToken",
    ]);
  });

  it("the docs import only what the package exports", () => {
    const docs = ["README.md", "docs/unsubscribe.md"]
      .map((f) => readFileSync(path.join(ROOT, f), "utf8"))
      .join("\n");
    const imports = [...docs.matchAll(/import \{([^}]+)\} from "mailops(\/[^"]*)?"/g)];
    expect(imports.length).toBeGreaterThan(0);
    for (const [, names = "", sub = ""] of imports) {
      expect(Object.keys(pkg.exports)).toContain(`.${sub}`);
      for (const name of names.split(",").map((n) => n.replace(/^\s*type\s+/, "").trim()))
        if (name && name !== "UnsubscribeClaim") expect(Object.keys(unsubscribe)).toContain(name);
    }
  });
});
