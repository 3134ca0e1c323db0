import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { defineConfig, type Plugin } from "vitest/config";

/**
 * A dependency Vite loads itself (`server.deps.inline`) keeps its `sourceMappingURL`, and
 * @actions/workflow-parser's maps name sources the package does not ship: Vite would warn
 * "points to missing source files" for each of its files. Loaded without the map, it warns nothing
 * (its stack traces show the shipped JavaScript, which is what there is to read).
 */
const dependenciesWithoutSourceMaps: Plugin = {
  name: "dependencies-without-source-maps",
  enforce: "pre",
  load(id) {
    const file = id.split("?")[0] ?? id;
    if (!file.includes("/node_modules/") || !/\.[cm]?js$/.test(file)) return null;
    try {
      return readFileSync(file, "utf8").replace(/^\/\/# sourceMappingURL=.*$/gm, "");
    } catch {
      return null; // not a file: Vite loads it as it would
    }
  },
};

export default defineConfig({
  plugins: [dependenciesWithoutSourceMaps],
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    // Most files wait on child processes, emulators and disk rather than a core: two at a time even
    // on a two-core machine (Vitest's default there is one), which nearly halves the run.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 30_000,
    env: {
      // The AWS SDK warns once per process on Node 20 that its releases from 2027 need Node 22
      // (node_modules/@aws-sdk/core …/emitWarningIfUnsupportedVersion.js): news for whoever
      // upgrades the SDK, not for a test run. Child processes the tests start inherit it.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
    server: {
      deps: {
        // Imports its JSON schemas without import attributes, which Node refuses: let Vite load it.
        inline: ["@actions/workflow-parser"],
      },
    },
  },
});
