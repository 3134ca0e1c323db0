/**
 * What the benchmarks that measure in a fresh `node` process share: the child's code bundled on
 * its own with esbuild into dist/ (next to node_modules, so its packages resolve), run once, its
 * JSON result read back; and, inside the child, its CPU time and peak RSS.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";

/** `entry` (repository-relative) bundled into dist/`outName`; its path. */
export async function bundle(entry: string, outName: string): Promise<string> {
  const { build } = await import("esbuild");
  const outfile = path.resolve("dist", outName);
  await build({
    entryPoints: [path.resolve(entry)],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    packages: "external",
    logLevel: "warning",
  });
  return outfile;
}

/** Runs a bundled child with `args` and `env` added to this process's; its stdout as JSON. */
export function runChild<T>(file: string, args: string[], env: Record<string, string>, what: string): T {
  const r = spawnSync(process.execPath, ["--expose-gc", file, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** CPU time (user + system, all threads) since this call, in ms. */
export function cpuClock(): () => number {
  const start = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  };
}

/** This process's peak RSS in MB (maxRSS is in kilobytes). */
export function maxRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}
