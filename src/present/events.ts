/**
 * The use cases' events as lines on a front end's stderr: one rendering for the command line and
 * the Action, which differ only in how a plan is shown and how progress is drawn.
 */
import type { Observer } from "../commands/session.js";
import type { Plan } from "../plan/plan.js";
import { progressBars } from "../util/progress.js";
import { type Io, warn } from "./io.js";

export interface EventOptions {
  /** How the plan about to be applied is shown; nothing when absent. */
  planned?: (plan: Plan) => void;
  /** Draw a bar (a terminal). */
  tty: boolean;
  /** Print progress lines off a terminal. */
  lines: boolean;
}

export function printEvents(io: Io, options: EventOptions): Observer {
  const bars = progressBars({ write: io.err, tty: options.tty, lines: options.lines });
  return (e) => {
    switch (e.kind) {
      case "planned":
        return options.planned?.(e.plan);
      case "progress":
        return io.err(`${e.line}\n`);
      case "warning":
        return warn(io, e.text);
      case "send-started":
        return bars.start(e.campaign, `sending ${e.campaign}`, e.total);
      case "send-progress":
        return bars.update(e.campaign, e.done);
      case "send-finished":
        return bars.finish(e.campaign);
    }
  };
}
