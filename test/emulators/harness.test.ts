/**
 * The emulator harness itself: it fails (never skips) when an emulator is missing, and leaves no
 * process or port behind after stop.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EmulatorUnavailableError, startMotoServer, startSesV2Local } from "../support/emulators.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("a missing emulator", () => {
  it("fails with what to install when moto_server is not on PATH", async () => {
    vi.stubEnv("MAILOPS_MOTO_SERVER", "/nonexistent/bin/moto_server");
    const error = await startMotoServer().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmulatorUnavailableError);
    expect((error as Error).message).toMatch(
      /^moto_server was not found on PATH\. Install it with: pip install "moto\[server\]"/,
    );
    expect((error as Error).message).toContain("never skip");
  });

  it("fails with its output when the command exits instead of serving", async () => {
    vi.stubEnv("MAILOPS_MOTO_SERVER", "false");
    const error = await startMotoServer().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmulatorUnavailableError);
    expect((error as Error).message).toMatch(
      /^moto_server did not start: it exited early \(exit code 1\)\. Install it with/,
    );
  });
});

describe("a started emulator", () => {
  it.each([
    ["moto_server", startMotoServer, "/moto-api/data.json"],
    ["aws-ses-v2-local", () => startSesV2Local(), "/health-check"],
  ])("%s answers on 127.0.0.1 and is gone after stop", async (_name, start, probe) => {
    const emulator = await start();
    expect(emulator.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(emulator.endpoint + probe)).status).toBeLessThan(500);
    expect(() => process.kill(emulator.pid, 0)).not.toThrow();

    await emulator.stop();
    expect(() => process.kill(emulator.pid, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
    await expect(fetch(emulator.directEndpoint + probe)).rejects.toThrow();
    await expect(fetch(emulator.endpoint + probe)).rejects.toThrow();
  });
});

describe("CI fails, never skips, when an emulator is missing", () => {
  const check = (env: Record<string, string>) =>
    spawnSync(process.execPath, ["scripts/emulators-check.mjs"], {
      encoding: "utf8",
      env: { ...process.env, ...env },
    });

  it("scripts/emulators-check.mjs exits 1 with what to install when moto_server is missing", () => {
    const r = check({ MAILOPS_MOTO_SERVER: "/nonexistent/bin/moto_server" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("emulators: moto_server is missing or broken");
    expect(r.stderr).toContain('pip install "moto[server]"');
  });

  it("and exits 0 when both are there", () => {
    const r = check({});
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^moto_server: ok/m);
    expect(r.stdout).toMatch(/^aws-ses-v2-local: ok/m);
  });

  it(".ci/run stops on a failed check before the tests run", () => {
    const run = readFileSync(".ci/run", "utf8");
    expect(run).toMatch(/^set -euo pipefail$/m);
    expect(run.indexOf("node scripts/emulators-check.mjs")).toBeGreaterThan(-1);
    expect(run.indexOf("npm test")).toBeGreaterThan(run.indexOf("node scripts/emulators-check.mjs"));
  });

  it("no test file skips a test (a skip would hide a missing emulator as a pass)", () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(test\.ts|ts|mjs)$/.test(e.name)) files.push(p);
      }
    };
    walk("test");
    const skipping = /\b(?:describe|it|test|suite)\.(?:skip|skipIf|runIf|todo)\b|\b(?:ctx|context|t)\.skip\(/;
    expect(files.filter((f) => skipping.test(readFileSync(f, "utf8")))).toEqual([]);
  });
});
