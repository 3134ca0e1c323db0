/**
 * Real AWS emulators over HTTP for tests: `moto_server` (S3, CloudWatch, SNS, SES v2 configuration sets,
 * contact lists, tags) and `aws-ses-v2-local` (SES v2 templates, sending, GetAccount), plus the
 * SES router (ses-router.ts) that gives the aws adapter one SES endpoint in front of both.
 * docs/emulators.md lists which operation each serves and their quirks.
 *
 * Per test file, not globalSetup: Vitest runs files in parallel worker processes, and emulator
 * state (buckets, templates, sent mail) must not leak between files. Starting moto costs about a
 * second per file. Call `useEmulators({...})` at the top of a file; it starts what the file needs
 * in beforeAll and stops it in afterAll, which Vitest runs whether tests passed or failed.
 *
 * Never skips: a missing emulator fails the file with a message naming what to install, on every
 * machine alike (there is no switch to make it skip; test/emulators/harness.test.ts checks that no
 * test file skips either).
 *
 * Processes listen on 127.0.0.1 on a port the OS picks (port 0; the emulator prints the real
 * one), each in its own process group so teardown kills the emulator and anything it started.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll } from "vitest";
import { type SesRouter, startSesRouter } from "./ses-router.js";
import { startWriteSerializer, type WriteSerializer } from "./write-serializer.js";

export const EMULATOR_REGION = "us-east-1";
/** Emulators accept any credentials; these make requests signed, as the SDK and ses-local require. */
export const EMULATOR_CREDENTIALS = { accessKeyId: "mailops-test", secretAccessKey: "mailops-test" };
/** moto's default account, which appears in every ARN it returns. */
export const MOTO_ACCOUNT_ID = "123456789012";

export interface Emulator {
  readonly name: string;
  /** http://127.0.0.1:<port>: what tests and code under test talk to. */
  readonly endpoint: string;
  readonly port: number;
  /** The process's own address; differs from `endpoint` for moto, which sits behind write-serializer.ts. */
  readonly directEndpoint: string;
  /** The emulator process (leader of its own process group). */
  readonly pid: number;
  /** The last output of the process, for failure messages. */
  logs(): string;
  /** Forget all state (buckets, templates, sent mail). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export class EmulatorUnavailableError extends Error {
  override name = "EmulatorUnavailableError";
}

const START_TIMEOUT_MS = 30_000;
const LOG_LIMIT = 64 * 1024;

/** Every emulator process still running, killed on exit even if a file forgot to stop it. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) killGroup(child, "SIGKILL");
});

/**
 * A worker ended by a signal (Vitest stops workers with SIGTERM; Ctrl-C sends SIGINT) exits
 * without the "exit" event, and emulators in their own process groups would outlive it. While
 * any run, kill them on those signals, then re-raise the signal for its usual effect.
 */
const TERMINATING: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];
function onTerminatingSignal(signal: NodeJS.Signals): void {
  for (const child of running) killGroup(child, "SIGKILL");
  for (const s of TERMINATING) process.off(s, onTerminatingSignal);
  process.kill(process.pid, signal);
}
function watchSignals(): void {
  if (process.listeners("SIGTERM").includes(onTerminatingSignal)) return;
  for (const s of TERMINATING) process.on(s, onTerminatingSignal);
}
function unwatchSignalsIfIdle(): void {
  if (running.size === 0) for (const s of TERMINATING) process.off(s, onTerminatingSignal);
}

export async function startMotoServer(): Promise<Emulator> {
  const command = process.env.MAILOPS_MOTO_SERVER ?? "moto_server";
  const install = `Install it with: pip install "moto[server]" (Python 3; verified with moto 5.2.1), or set MAILOPS_MOTO_SERVER to its path.`;
  if (findExecutable(command) === undefined) {
    throw new EmulatorUnavailableError(
      `moto_server was not found on PATH. ${install} Emulator tests never skip.`,
    );
  }
  const moto = await startProcess({
    name: "moto_server",
    command,
    args: ["-H", "127.0.0.1", "-p", "0"],
    env: { PYTHONUNBUFFERED: "1" },
    portPattern: /Running on http:\/\/127\.0\.0\.1:(\d+)/,
    install,
    // moto's own management API: answers as soon as the WSGI app is serving.
    healthPath: "/moto-api/data.json",
    resetPath: "/moto-api/reset",
  });
  // moto's conditional S3 writes are not atomic under concurrency; see write-serializer.ts.
  let serializer: WriteSerializer;
  try {
    serializer = await startWriteSerializer(moto.endpoint);
  } catch (error) {
    await moto.stop();
    throw error;
  }
  return {
    ...moto,
    endpoint: serializer.endpoint,
    port: Number(new URL(serializer.endpoint).port),
    async stop() {
      await serializer.stop();
      await moto.stop();
    },
  };
}

/** SES v2 account returned by GetAccount (aws-ses-v2-local reads it from AWS_SES_ACCOUNT and requires every field). */
export interface SesAccount {
  SendQuota: { Max24HourSend: number; MaxSendRate: number; SentLast24Hours: number };
  ProductionAccessEnabled: boolean;
  SendingEnabled: boolean;
  EnforcementStatus: string;
  DedicatedIpAutoWarmupEnabled: boolean;
  Details: {
    AdditionalContactEmailAddresses: string[];
    ContactLanguage: string;
    MailType: string;
    ReviewDetails: { CaseId: string; Status: string };
    UseCaseDescription: string;
    WebsiteURL: string;
  };
  SuppressionAttributes: { SuppressedReasons: string[] };
}

export const DEFAULT_SES_ACCOUNT: SesAccount = {
  SendQuota: { Max24HourSend: 50_000, MaxSendRate: 14, SentLast24Hours: 0 },
  ProductionAccessEnabled: true,
  SendingEnabled: true,
  EnforcementStatus: "HEALTHY",
  DedicatedIpAutoWarmupEnabled: false,
  Details: {
    AdditionalContactEmailAddresses: [],
    ContactLanguage: "EN",
    MailType: "MARKETING",
    ReviewDetails: { CaseId: "mailops-test", Status: "GRANTED" },
    UseCaseDescription: "mailops tests",
    WebsiteURL: "https://example.com",
  },
  SuppressionAttributes: { SuppressedReasons: ["BOUNCE", "COMPLAINT"] },
};

export interface SesV2LocalOptions {
  account?: SesAccount;
  /** AWS_SES_STRICT_TEMPLATE_RENDERING: fail sends with missing variables (a divergence from SES; off by default). */
  strictTemplateRendering?: boolean;
}

export async function startSesV2Local(options: SesV2LocalOptions = {}): Promise<Emulator> {
  const install = "It is a devDependency of mailops: run npm ci (or npm install -D aws-ses-v2-local).";
  let cli: string;
  try {
    const pkg = createRequire(import.meta.url).resolve("aws-ses-v2-local/package.json");
    cli = path.join(path.dirname(pkg), "dist", "cli.js");
  } catch {
    throw new EmulatorUnavailableError(
      `aws-ses-v2-local is not installed. ${install} Emulator tests never skip.`,
    );
  }
  if (!existsSync(cli)) {
    throw new EmulatorUnavailableError(`aws-ses-v2-local is incomplete (no ${cli}). ${install}`);
  }
  return startProcess({
    name: "aws-ses-v2-local",
    command: process.execPath,
    args: [cli, "--host", "127.0.0.1", "--port", "0"],
    env: {
      AWS_SES_ACCOUNT: JSON.stringify(options.account ?? DEFAULT_SES_ACCOUNT),
      ...(options.strictTemplateRendering ? { AWS_SES_STRICT_TEMPLATE_RENDERING: "true" } : {}),
    },
    // It prints "server running at http://localhost:<port>" once listening.
    portPattern: /server running at http:\/\/[^:\s]+:(\d+)/,
    install,
    healthPath: "/health-check",
    resetPath: "/clear-store",
  });
}

export interface EmulatorChoice {
  moto?: boolean;
  sesLocal?: boolean | SesV2LocalOptions;
  /** One SES v2 endpoint routing to ses-local and moto; implies both. */
  sesRouter?: boolean;
}

export interface Emulators {
  moto: Emulator | undefined;
  sesLocal: Emulator | undefined;
  sesRouter: SesRouter | undefined;
  stop(): Promise<void>;
}

export async function startEmulators(choice: EmulatorChoice): Promise<Emulators> {
  const wantMoto = choice.moto === true || choice.sesRouter === true;
  const wantSesLocal =
    choice.sesLocal !== undefined && choice.sesLocal !== false ? true : choice.sesRouter === true;
  const sesLocalOptions = typeof choice.sesLocal === "object" ? choice.sesLocal : {};
  const started: Array<{ stop(): Promise<void> }> = [];
  const stopAll = async () => {
    const all = started.splice(0).reverse();
    await Promise.allSettled(all.map((s) => s.stop()));
  };
  try {
    // Started side by side: each waits on its own process.
    const [moto, sesLocal] = await Promise.all([
      wantMoto ? track(startMotoServer(), started) : undefined,
      wantSesLocal ? track(startSesV2Local(sesLocalOptions), started) : undefined,
    ]);
    let sesRouter: SesRouter | undefined;
    if (choice.sesRouter && moto && sesLocal) {
      sesRouter = await startSesRouter({ moto: moto.endpoint, sesLocal: sesLocal.endpoint });
      started.push(sesRouter);
    }
    return { moto, sesLocal, sesRouter, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function track<T extends { stop(): Promise<void> }>(
  promise: Promise<T>,
  started: Array<{ stop(): Promise<void> }>,
): Promise<T> {
  const value = await promise;
  started.push(value);
  return value;
}

/**
 * Start emulators for the current test file and stop them after it. The returned object is
 * filled in by beforeAll; reading an emulator before then throws.
 */
export function useEmulators(choice: EmulatorChoice): {
  readonly moto: Emulator;
  readonly sesLocal: Emulator;
  readonly sesRouter: SesRouter;
} {
  let emulators: Emulators | undefined;
  beforeAll(async () => {
    emulators = await startEmulators(choice);
  }, START_TIMEOUT_MS * 2);
  afterAll(async () => {
    await emulators?.stop();
  }, 15_000);
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined)
      throw new Error(`${what} was not started: add it to useEmulators({...}) in this file`);
    return value;
  };
  return {
    get moto() {
      return need(emulators?.moto, "moto_server");
    },
    get sesLocal() {
      return need(emulators?.sesLocal, "aws-ses-v2-local");
    },
    get sesRouter() {
      return need(emulators?.sesRouter, "the SES router");
    },
  };
}

/**
 * Environment for code under test that reads the standard AWS settings (credential chain,
 * AWS_ENDPOINT_URL_*): test credentials, a region, instance metadata off (its address is not on
 * this machine), and no profile files from the developer's home.
 */
export function emulatorEnv(
  endpoints: { s3?: string; sesv2?: string; cloudwatch?: string; sns?: string; all?: string } = {},
) {
  const env: Record<string, string | undefined> = {
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_REGION: EMULATOR_REGION,
    AWS_DEFAULT_REGION: undefined,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/mailops-test/credentials",
    AWS_CONFIG_FILE: "/nonexistent/mailops-test/config",
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
    AWS_ENDPOINT_URL: endpoints.all,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SESV2: endpoints.sesv2,
    AWS_ENDPOINT_URL_CLOUDWATCH: endpoints.cloudwatch,
    AWS_ENDPOINT_URL_SNS: endpoints.sns,
  };
  return env;
}

interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  portPattern: RegExp;
  install: string;
  healthPath: string;
  resetPath: string;
}

async function startProcess(spec: ProcessSpec): Promise<Emulator> {
  let output = "";
  const child = spawn(spec.command, spec.args, {
    // Own process group, so stop() reaches the emulator's children too (pyenv shims exec, but be sure).
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...spec.env },
  });
  running.add(child);
  watchSignals();
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      unwatchSignalsIfIdle();
      resolve();
    });
  });
  const fail = async (why: string): Promise<never> => {
    killGroup(child, "SIGKILL");
    await Promise.race([exitPromise, sleep(2000)]);
    const tail = output.trim().split("\n").slice(-15).join("\n");
    throw new EmulatorUnavailableError(
      `${spec.name} did not start: ${why}. ${spec.install}${tail ? `\n--- ${spec.name} output ---\n${tail}` : ""}`,
    );
  };

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no port announced within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    // Drained continuously: moto logs every request, and a full pipe would block it.
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-LOG_LIMIT);
      const match = spec.portPattern.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`it exited early (${signal ?? `exit code ${code}`})`));
    });
  }).catch((error: Error) => fail(error.message));

  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited) await fail(`it exited (${exited.signal ?? `exit code ${exited.code}`})`);
    try {
      const response = await fetch(endpoint + spec.healthPath, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status < 500) break;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline) await fail(`${endpoint}${spec.healthPath} did not answer`);
    await sleep(50);
  }
  // Let the worker exit even if a file never calls stop(); the exit hook still kills the process.
  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  return {
    name: spec.name,
    endpoint,
    port,
    directEndpoint: endpoint,
    pid: child.pid ?? -1,
    logs: () => output,
    async reset() {
      const response = await fetch(endpoint + spec.resetPath, { method: "POST" });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${spec.name} reset failed: HTTP ${response.status}`);
    },
    async stop() {
      if (exited) return;
      killGroup(child, "SIGTERM");
      await Promise.race([exitPromise, sleep(3000)]);
      if (!exited) {
        killGroup(child, "SIGKILL");
        await Promise.race([exitPromise, sleep(2000)]);
      }
    },
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function findExecutable(command: string): string | undefined {
  const candidates = command.includes("/")
    ? [command]
    : (process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An S3 client on moto, as the tests that set up buckets and objects use it. */
export function motoS3(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: EMULATOR_REGION,
    credentials: EMULATOR_CREDENTIALS,
    forcePathStyle: true,
  });
}
