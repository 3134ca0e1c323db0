/** The command-line entry (src/cli.ts `main`) run in-process, its output captured. */
import { vi } from "vitest";
import { main } from "../../src/cli.js";

/** Run `mailops ARGS…`; stdout and stderr captured, process.exitCode left as it was found. */
export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}
