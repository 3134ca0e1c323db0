/** A session observer that keeps the use cases' events, for tests to read. */
import type { RunEvent } from "../../src/commands/session.js";

export function recorder(): { events: RunEvent[]; observe: (e: RunEvent) => void } {
  const events: RunEvent[] = [];
  return { events, observe: (e) => void events.push(e) };
}
