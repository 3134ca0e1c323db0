/**
 * `npm test` prints nothing a newcomer must learn to ignore. The test files that printed warnings
 * (a dependency's source maps: the workflow parser Vite loads itself; the AWS SDK's notice about
 * Node 22, in a test that makes SDK clients), run in a child Vitest as `npm test` runs them, print
 * no warning. Send progress in tests goes through the Io (test/cli/events.test.ts).
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";

const ROOT = path.join(import.meta.dirname, "..");
const FILES = ["test/action/workflows.test.ts", "test/send/aws-statuses.test.ts"];

it("the files that warned run without a warning", () => {
  const env = { ...process.env };
  // As a fresh `npm test` starts: not inside this run, and without what vitest.config.ts sets.
  for (const key of Object.keys(env))
    if (key.startsWith("VITEST") || key === "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED")
      delete env[key];
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, "node_modules/vitest/vitest.mjs"), "run", ...FILES, "--reporter=dot"],
    { cwd: ROOT, env, encoding: "utf8", timeout: 150_000 },
  );
  const output = `${r.stdout}${r.stderr}`;
  expect(r.status, output).toBe(0);
  expect(output).not.toMatch(/warn|sourcemap|source map|deprecat/i);
}, 180_000);
