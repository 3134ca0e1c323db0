/**
 * Preload (`node --import`) for crash tests: the process kills itself with SIGKILL right before
 * its Nth call of a file-changing fs function on a path matching a pattern. Deterministic, unlike a
 * timer: the kill lands between two exact file operations, chosen by the test.
 *
 *   MAILOPS_CRASH_AT='{"op":"linkSync","n":77,"path":"/\\.mailops/(outbox|local)/"}'
 *
 * `op` is one of OPS, or "any" to count them all. Only the synchronous functions are wrapped:
 * the local target's outbox and records use those.
 */
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";

const OPS = ["writeFileSync", "appendFileSync", "linkSync", "renameSync", "unlinkSync", "rmSync"];
const spec = process.env.MAILOPS_CRASH_AT ? JSON.parse(process.env.MAILOPS_CRASH_AT) : undefined;
if (spec) {
  const pattern = new RegExp(spec.path);
  let seen = 0;
  for (const op of OPS) {
    if (spec.op !== "any" && spec.op !== op) continue;
    const real = fs[op];
    fs[op] = function (...args) {
      if (pattern.test(String(args[0])) && ++seen === spec.n) process.kill(process.pid, "SIGKILL");
      return real.apply(this, args);
    };
  }
  syncBuiltinESMExports();
}
