/**
 * The emulator harness itself: it fails (never skips) when an emulator is missing, and leaves no
 * process or port behind after stop.
 */
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
