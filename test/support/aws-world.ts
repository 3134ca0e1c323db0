/**
 * A clean aws world for one test: emulators and the stand-in for unemulated SES calls reset, the
 * router's faults and call log cleared, and the environment pointing the AWS SDK at them (rates
 * raised: emulators have no SES limits). Call from beforeEach; vi.unstubAllEnvs() undoes the env.
 */
import { vi } from "vitest";
import { type Emulator, emulatorEnv } from "./emulators.js";
import type { SesRouter } from "./ses-router.js";
import type { UnemulatedSes } from "./ses-unemulated.js";

export async function resetAwsWorld(
  emulators: { readonly moto: Emulator; readonly sesLocal: Emulator; readonly sesRouter: SesRouter },
  unemulated: UnemulatedSes,
): Promise<void> {
  await Promise.all([emulators.moto.reset(), emulators.sesLocal.reset()]);
  unemulated.reset();
  emulators.sesRouter.clearFaults();
  emulators.sesRouter.calls.length = 0;
  const env = emulatorEnv({
    sesv2: emulators.sesRouter.endpoint,
    cloudwatch: emulators.moto.endpoint,
    s3: emulators.moto.endpoint,
  });
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  vi.stubEnv("MAILOPS_SES_READ_RATE", "10000");
  vi.stubEnv("MAILOPS_SES_WRITE_RATE", "10000");
}
