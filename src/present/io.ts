/** Where a front end writes: stdout, stderr, and the warnings a user must not miss. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** A warning the user must not miss (the Action makes it an annotation); else a line on `err`. */
  warn?: (text: string) => void;
  /** `err` is a terminal someone watches: progress is drawn there (util/progress.ts). */
  tty?: boolean;
}

export function warn(io: Io, text: string): void {
  if (io.warn) io.warn(text);
  else io.err(`warning: ${text}\n`);
}
