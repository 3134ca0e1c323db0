import { main } from "./cli.js";
import { useCountWorker } from "./commands/count-part.js";

// Bundled beside this file (scripts/build.mjs): a large source is counted in two parts at once.
useCountWorker(new URL("./count-worker.js", import.meta.url));
process.exitCode = await main(process.argv.slice(2));
