/**
 * The use cases' events in the Action's log: a line per change, warnings as annotations (the
 * Io's `warn`), progress lines per campaign sent (every few seconds, so a long send shows it is
 * alive). The plan is not logged: the flows put it in the job summary and the comment.
 */
import type { Observer } from "../commands/session.js";
import { printEvents } from "../present/events.js";
import type { Io } from "../present/io.js";

export const actionObserver = (io: Io): Observer => printEvents(io, { tty: false, lines: true });
