/**
 * The use cases' events in the Action's log: a line per change, warnings as annotations (the
 * Io's `warn`), progress lines per campaign sent (every few seconds, so a long send shows it is
 * alive). The plan is not logged: the flows put it in the job summary and the comment.
 */
import type { Observer } from "../commands/session.js";
import { type Io, warn } from "../present/io.js";
import { progressBars } from "../util/progress.js";

export function actionObserver(io: Io): Observer {
  const bars = progressBars({ write: io.err, tty: false, lines: true });
  return (e) => {
    switch (e.kind) {
      case "planned":
        return;
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
