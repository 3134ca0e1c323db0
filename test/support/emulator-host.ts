/**
 * The emulators and the SES router in a process of their own: prints their endpoints as one
 * JSON line on stdout, and stops them when stdin closes (or on SIGTERM / SIGINT).
 *
 * For benchmarks (bench/plan.bench.ts): the emulators' and the router's CPU time stays out of
 * the process that measures mailops. Bundled with esbuild by the benchmark, like its other
 * children; `useEmulators` is the way for tests.
 */
import { startEmulators } from "./emulators.js";

const emulators = await startEmulators({ sesRouter: true });
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await emulators.stop();
  process.exit(0);
};
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
process.stdout.write(
  `${JSON.stringify({
    sesv2: emulators.sesRouter?.endpoint,
    moto: emulators.moto?.endpoint,
    sesLocal: emulators.sesLocal?.endpoint,
  })}\n`,
);
