import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 30_000,
    server: {
      deps: {
        // Imports its JSON schemas without import attributes, which Node refuses: let Vite load it.
        inline: ["@actions/workflow-parser"],
      },
    },
  },
});
