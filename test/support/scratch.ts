import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach } from "vitest";

/**
 * A fresh empty folder for each test of the file (or describe) that calls this, handed to `set`
 * before the test runs (to keep it, and to lay out what the tests start from) and removed after it.
 */
export function scratchEach(prefix: string, set: (dir: string) => void): void {
  beforeEach(() => {
    const dir = mkdtempSync(path.join(tmpdir(), `mailops-${prefix}-`));
    set(dir);
    return () => rmSync(dir, { recursive: true, force: true });
  });
}
