/**
 * The emulators and the test SES router in a child process (test/support/emulator-host.ts,
 * bundled with esbuild into dist/, next to node_modules so its packages resolve), so that
 * process.cpuUsage() of the benchmark is mailops' own work.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { bundle } from "./child.js";

export interface Endpoints {
  /** The SES router: aws-ses-v2-local and moto behind one SES v2 endpoint. */
  sesv2: string;
  /** moto (S3, CloudWatch), behind its write serializer. */
  moto: string;
  /** aws-ses-v2-local itself. */
  sesLocal: string;
}

export async function startEmulatorHost(): Promise<{ endpoints: Endpoints; stop(): Promise<void> }> {
  const outfile = await bundle("test/support/emulator-host.ts", "bench-emulators.js");
  const child: ChildProcess = spawn(process.execPath, [outfile], { stdio: ["pipe", "pipe", "inherit"] });
  const endpoints = await new Promise<Endpoints>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolve(JSON.parse(line) as Endpoints);
    });
    child.once("exit", (code) => reject(new Error(`the emulator host exited (code ${code})`)));
    child.once("error", reject);
  });
  return {
    endpoints,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.stdin?.end();
      }),
  };
}

/**
 * Set environment variables (undefined deletes one) for the benchmark's emulators; the returned
 * function puts the environment back as it was.
 */
export function setEnv(env: Record<string, string | undefined>): () => void {
  const saved = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  };
}
