/**
 * The use cases' events on the command line's stderr: the plan about to be applied as text, a line
 * per change, `warning: …` lines, and a progress bar per campaign sent, on a terminal (elsewhere,
 * lines only with `--progress`: the report that follows says how the send went).
 */
import type { Observer } from "../commands/session.js";
import { type Io, warn } from "../present/io.js";
import { formatPlanText } from "../present/plan/text.js";
import { progressBars } from "../util/progress.js";

export function cliObserver(io: Io, options: { progress?: boolean } = {}): Observer {
  const bars = progressBars({ write: io.err, tty: io.tty === true, lines: options.progress === true });
  return (e) => {
    switch (e.kind) {
      case "planned":
        return io.err(formatPlanText(e.plan));
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
