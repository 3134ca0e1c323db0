/**
 * The use cases' events as the two front ends render them: the command line puts the plan, each
 * change and `warning:` lines on stderr; the Action logs the changes, makes warnings annotations
 * (its Io's `warn`) and leaves the plan to the job summary. A campaign's send progress goes to
 * the front end's stderr: the command line draws a bar on a terminal and prints lines elsewhere
 * only when asked (`--progress`); the Action's log gets lines. Nothing goes around the Io.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { actionObserver } from "../../src/action/events.js";
import { cliObserver } from "../../src/cli/events.js";
import { makePlan } from "../../src/commands/plan.js";
import { openSession, type RunEvent } from "../../src/commands/session.js";
import { formatPlanText } from "../../src/present/plan/text.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

afterEach(() => vi.restoreAllMocks());

async function aPlan() {
  const repo = copyExampleRepo();
  try {
    return (
      await makePlan(openSession({ dir: repo.dir, target: "local", observe: () => {} }), { force: false })
    ).plan;
  } finally {
    repo.cleanup();
  }
}

const SEND: RunEvent[] = [
  { kind: "send-started", campaign: "welcome", total: 2 },
  { kind: "send-progress", campaign: "welcome", done: 1 },
  { kind: "send-progress", campaign: "welcome", done: 2 },
  { kind: "send-finished", campaign: "welcome" },
];

/** The send events through `observe`; what they wrote past the Io, to process.stderr, must be nothing. */
function sendProgress(observe: (e: RunEvent) => void): void {
  let written = "";
  vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    written += String(s);
    return true;
  });
  for (const e of SEND) observe(e);
  vi.restoreAllMocks();
  expect(written).toBe("");
}

describe("cliObserver", () => {
  it("the plan as text, a line per change, `warning:` lines, all on stderr", async () => {
    const plan = await aPlan();
    const io = captureIo();
    const observe = cliObserver(io);
    observe({ kind: "planned", plan });
    observe({ kind: "progress", line: "+ create template welcome" });
    observe({ kind: "warning", text: "going on" });
    expect(io.outText).toBe("");
    expect(io.errText).toBe(`${formatPlanText(plan)}+ create template welcome\nwarning: going on\n`);
  });

  it("no send progress when stderr is not a terminal (a CI log, a pipe, a test), unless asked", () => {
    const io = captureIo();
    sendProgress(cliObserver(io));
    expect(io.errText).toBe("");
    sendProgress(cliObserver(io, { progress: false }));
    expect(io.errText).toBe("");
  });

  it("--progress: its final line on stderr, without redrawing", () => {
    const io = captureIo();
    sendProgress(cliObserver(io, { progress: true }));
    expect(io.errText).toMatch(/^sending welcome .*2\/2 \(\d+\/s\)\n$/);
  });

  it("a terminal: a bar redrawn in place, ending on its final line", () => {
    const io = Object.assign(captureIo(), { tty: true });
    sendProgress(cliObserver(io));
    expect(io.errText).toMatch(/\rsending welcome \[#{20}\] 100% 2\/2 .*\n$/);
  });
});

describe("actionObserver", () => {
  it("logs each change, makes warnings annotations, and leaves the plan out", async () => {
    const warnings: string[] = [];
    const io = Object.assign(captureIo(), { warn: (text: string) => void warnings.push(text) });
    const observe = actionObserver(io);
    observe({ kind: "planned", plan: await aPlan() });
    observe({ kind: "progress", line: "+ create template welcome" });
    observe({ kind: "warning", text: "going on" });
    expect(io.errText).toBe("+ create template welcome\n");
    expect(io.outText).toBe("");
    expect(warnings).toEqual(["going on"]);
  });

  it("a campaign's send progress in the log, ending with its line", () => {
    const io = captureIo();
    sendProgress(actionObserver(io));
    expect(io.errText).toMatch(/^sending welcome .*2\/2 \(\d+\/s\)\n$/);
  });
});
