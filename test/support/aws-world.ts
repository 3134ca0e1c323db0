/**
 * A clean aws world for one test: emulators and the stand-in for unemulated SES calls reset, the
 * router's faults and call log cleared, and the environment pointing the AWS SDK at them (rates
 * raised: emulators have no SES limits). Call from beforeEach; vi.unstubAllEnvs() undoes the env.
 * `useAwsWorld` registers all of that, and the stand-in's lifetime, for a whole file.
 */
import type { GetAccountCommandOutput, GetEmailIdentityCommandOutput } from "@aws-sdk/client-sesv2";
import { afterAll, afterEach, beforeAll, beforeEach, vi } from "vitest";
import { type Emulator, emulatorEnv } from "./emulators.js";
import type { SesRouter } from "./ses-router.js";
import { mockUnemulatedSes, type UnemulatedSes } from "./ses-unemulated.js";

export interface AwsEmulators {
  readonly moto: Emulator;
  readonly sesLocal: Emulator;
  readonly sesRouter: SesRouter;
}

/** A healthy production account, sending generously: no account warning, no slow pacing. */
export const PRODUCTION_ACCOUNT: Partial<GetAccountCommandOutput> = {
  ProductionAccessEnabled: true,
  SendingEnabled: true,
  SendQuota: { Max24HourSend: 50_000, MaxSendRate: 1000, SentLast24Hours: 0 },
};

/** SES's verdict on the identities moto holds: verified for sending, which moto never marks (docs/emulators.md). */
export const VERIFIED_IDENTITY: Partial<GetEmailIdentityCommandOutput> = {
  IdentityType: "DOMAIN",
  VerifiedForSendingStatus: true,
  VerificationStatus: "SUCCESS",
};

export interface AwsWorldOptions {
  /** What GetAccount answers at the start of every test (a copy); the emulator's when not given. */
  account?: Partial<GetAccountCommandOutput>;
  /** SES's verdict laid over moto's GetEmailIdentity answers at the start of every test (a copy). */
  identity?: Partial<GetEmailIdentityCommandOutput>;
}

/**
 * The aws world for every test of a file, called at its top after `useEmulators`: stands in for
 * unemulated SES calls for the whole file (mockUnemulatedSes in beforeAll, restored in afterAll),
 * resets the world before each test (resetAwsWorld, then `options.account`) and unstubs the env
 * after it. Returns the stand-in: a handle that reaches the one made in beforeAll, so tests use
 * it as they would the stand-in itself. The file's own beforeEach hooks run after the reset.
 */
export function useAwsWorld(emulators: AwsEmulators, options: AwsWorldOptions = {}): UnemulatedSes {
  let current: UnemulatedSes | undefined;
  const stand = (): UnemulatedSes => {
    if (!current) throw new Error("useAwsWorld: the SES stand-in exists only from beforeAll to afterAll");
    return current;
  };
  beforeAll(() => {
    current = mockUnemulatedSes();
  });
  afterAll(() => {
    current?.restore();
    current = undefined;
  });
  beforeEach(async () => {
    await resetAwsWorld(emulators, stand());
    if (options.account) stand().account = structuredClone(options.account);
    if (options.identity) stand().identity = structuredClone(options.identity);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  return new Proxy({} as UnemulatedSes, {
    get: (_, key) => Reflect.get(stand(), key),
    set: (_, key, value) => Reflect.set(stand(), key, value),
  });
}

export async function resetAwsWorld(emulators: AwsEmulators, unemulated: UnemulatedSes): Promise<void> {
  await Promise.all([emulators.moto.reset(), emulators.sesLocal.reset()]);
  unemulated.reset();
  emulators.sesRouter.clearFaults();
  emulators.sesRouter.calls.length = 0;
  const env = emulatorEnv({
    sesv2: emulators.sesRouter.endpoint,
    cloudwatch: emulators.moto.endpoint,
    s3: emulators.moto.endpoint,
    sns: emulators.moto.endpoint,
  });
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  vi.stubEnv("MAILOPS_SES_READ_RATE", "10000");
  vi.stubEnv("MAILOPS_SES_WRITE_RATE", "10000");
}
