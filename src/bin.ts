import { main } from "./cli.js";

// Bundled as CommonJS (src/launch.ts runs it through a code cache), so no top-level await.
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
