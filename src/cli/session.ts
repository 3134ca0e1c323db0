/** The session every command opens: the repository at `--dir` validated first, `--target`, `--now`, events on stderr. */
import type { TargetFactory } from "../commands/context.js";
import { parseNow } from "../commands/send.js";
import { openSession, type Session } from "../commands/session.js";
import type { Io } from "../present/io.js";
import { cliObserver } from "./events.js";

export interface CliSessionOptions {
  dir: string;
  target?: string;
  /** `--now`: the time to judge what is due by. */
  now?: string;
  /** `--progress`: send progress lines on stderr although it is not a terminal. */
  progress?: boolean;
}

export function cliSession(options: CliSessionOptions, io: Io, factory?: TargetFactory): Session {
  return openSession({
    dir: options.dir,
    target: options.target,
    observe: cliObserver(io, { progress: options.progress }),
    factory,
    ...(options.now ? { now: parseNow(options.now) } : {}),
  });
}
