import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** A scratch copy of the example repository (config files only), removed by the returned cleanup. */
export function copyExampleRepo(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), "mailops-repo-"));
  for (const entry of ["mailops.yaml", "templates", "subscribers", "campaigns"]) {
    cpSync(path.join(process.cwd(), entry), path.join(dir, entry), { recursive: true });
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function captureIo() {
  const io = {
    outText: "",
    errText: "",
    out(s: string) {
      io.outText += s;
    },
    err(s: string) {
      io.errText += s;
    },
  };
  return io;
}
