// How the CLI is bundled (scripts/build.mjs builds it; test/cli-startup.test.ts builds the same
// with every package left out, to see what a command loads): one CommonJS file, which
// bin/mailops.cjs runs through a code cache (src/launch.ts). Each command's modules run only when
// it is chosen (esbuild wraps what a dynamic import() of our own reaches) and each package loads
// where it is used, so `validate` pays for no AWS SDK.
import path from "node:path";

/** A dynamic import() left in the CommonJS bundle would fail under vm.Script (src/launch.ts). */
const noDynamicImport = {
  name: "no-dynamic-import",
  setup(b) {
    b.onEnd((result) => {
      for (const file of result.outputFiles ?? []) {
        if (!file.path.endsWith(".cjs")) continue;
        const at = file.text.search(/\bimport\(/);
        if (at !== -1)
          throw new Error(
            `${path.relative(".", file.path)} holds a dynamic import() (${JSON.stringify(file.text.slice(at, at + 60))}): load a package with createRequire, as src/config/yaml.ts does`,
          );
      }
    });
  },
};

/** What every bundle of the package is: for Node 20 and later, with a source map. */
export const NODE_BUNDLE = {
  bundle: true,
  platform: "node",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
};

/** esbuild's options for the CLI bundle, but its entry points, folder and package handling. */
export const CLI_BUNDLE = {
  ...NODE_BUNDLE,
  format: "cjs",
  outExtension: { ".js": ".cjs" },
  // The plugin reads the output before it is written.
  write: false,
  // import.meta.url (createRequire, the package's root) is the bundle's own file.
  define: { "import.meta.url": "__mailopsBundleUrl" },
  // "use strict" first: after the banner's line, esbuild's own would be no directive, and every
  // module of ours outside a lazy wrapper would run in sloppy mode.
  banner: {
    js: '"use strict";\nconst __mailopsBundleUrl = require("node:url").pathToFileURL(__filename).href;',
  },
  plugins: [noDynamicImport],
};
