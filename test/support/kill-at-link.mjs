/**
 * Preloaded into a `mailops send` child (node --import) by test/send/crash.test.ts: SIGKILLs the
 * process at its Nth link(2), just before or just after it. Every moment something becomes
 * visible on disk is a link: the send lock, each ledger record, each outbox message. So a test
 * kills a sender at exact points (mid-batch, between a delivery and its record, inside the
 * ledger's own writes) instead of racing it with timers.
 *
 * MAILOPS_TEST_KILL_AT=<n>:before|after
 */
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";

const [at, when] = (process.env.MAILOPS_TEST_KILL_AT ?? "").split(":");
const n = Number(at);
const link = fs.linkSync;
let count = 0;
fs.linkSync = function linkSync(...args) {
  count++;
  if (count === n && when === "before") process.kill(process.pid, "SIGKILL");
  const result = link.apply(this, args);
  if (count === n && when === "after") process.kill(process.pid, "SIGKILL");
  return result;
};
// The bundled CLI imports linkSync by name: make named imports see the replacement.
syncBuiltinESMExports();
