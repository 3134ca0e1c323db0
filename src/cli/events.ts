/**
 * The use cases' events on the command line's stderr: the plan about to be applied as text, a line
 * per change, `warning: …` lines, and a progress bar per campaign sent, on a terminal (elsewhere,
 * lines only with `--progress`: the report that follows says how the send went).
 */
import type { Observer } from "../commands/session.js";
import { printEvents } from "../present/events.js";
import type { Io } from "../present/io.js";
import { formatPlanText } from "../present/plan/text.js";

export const cliObserver = (io: Io, options: { progress?: boolean } = {}): Observer =>
  printEvents(io, {
    planned: (plan) => io.err(formatPlanText(plan)),
    tty: io.tty === true,
    lines: options.progress === true,
  });
