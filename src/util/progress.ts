/**
 * Progress: a bar redrawn in place on a terminal; elsewhere (a CI log, a pipe, a test) nothing,
 * unless asked for, then a plain line every few seconds and at the end. With rate and ETA.
 * Counts only: never an address.
 */
export interface Progress {
  update(done: number): void;
  finish(): void;
}

/** Where progress goes, and how. */
export interface ProgressOutput {
  write(s: string): void;
  /** A terminal: the bar is redrawn in place. */
  tty: boolean;
  /** Not a terminal: plain lines, when asked for (`--progress`; the Action's log). */
  lines: boolean;
}

const SILENT: Progress = { update() {}, finish() {} };

export function progress(label: string, total: number | undefined, out: ProgressOutput): Progress {
  const { tty } = out;
  if (!tty && !out.lines) return SILENT;
  const start = Date.now();
  // Plain output prints its first line after the first interval: short runs print only the final line.
  let lastPrint = tty ? 0 : start;
  let last = 0;
  const line = (done: number) => {
    const secs = (Date.now() - start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    // Finished: no ETA (a run that took a millisecond or more would end on "ETA 0s").
    const eta = total && rate > 0 && done < total ? ` ETA ${formatSeconds((total - done) / rate)}` : "";
    const of = total ? `/${total}` : "";
    const pct = total ? ` ${((done / total) * 100).toFixed(0).padStart(3)}%` : "";
    const bar = tty && total ? ` [${"#".repeat(Math.round((done / total) * 20)).padEnd(20, ".")}]` : "";
    return `${label}${bar}${pct} ${done}${of} (${rate.toFixed(0)}/s)${eta}`;
  };
  return {
    update(done) {
      last = done;
      const now = Date.now();
      if (tty) {
        if (now - lastPrint < 100) return;
        lastPrint = now;
        out.write(`\r${line(done)}\x1b[K`);
      } else if (now - lastPrint >= 5000) {
        lastPrint = now;
        out.write(`${line(done)}\n`);
      }
    },
    finish() {
      if (tty) out.write(`\r${line(last)}\x1b[K\n`);
      else out.write(`${line(last)}\n`);
    },
  };
}

/** Bars by key, for runs told as events: started, then progressed, then finished. */
export function progressBars(out: ProgressOutput) {
  const bars = new Map<string, Progress>();
  return {
    start(key: string, label: string, total: number | undefined): void {
      bars.set(key, progress(label, total, out));
    },
    update(key: string, done: number): void {
      bars.get(key)?.update(done);
    },
    finish(key: string): void {
      bars.get(key)?.finish();
      bars.delete(key);
    },
  };
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
