import { afterEach, describe, expect, it, vi } from "vitest";
import { progress } from "../../src/util/progress.js";

function lines(tty: boolean) {
  let text = "";
  const bar = progress("sending c", 100, { write: (s) => (text += s), tty, lines: true });
  return { bar, text: () => text };
}

describe("progress", () => {
  afterEach(() => vi.useRealTimers());

  it("tells the rate and an ETA while running, and no ETA once finished", () => {
    vi.useFakeTimers({ now: 0 });
    const { bar, text } = lines(false);
    vi.setSystemTime(5_000);
    bar.update(50); // 10/s: 5 s left
    vi.setSystemTime(7_000);
    bar.update(60); // under 5 s since the last line: not printed
    vi.setSystemTime(10_000);
    bar.finish(); // the last count seen
    expect(text()).toBe("sending c  50% 50/100 (10/s) ETA 5s\nsending c  60% 60/100 (6/s) ETA 7s\n");
    const done = lines(false);
    vi.setSystemTime(12_000);
    done.bar.update(100);
    done.bar.finish();
    expect(done.text()).toBe("sending c 100% 100/100 (50/s)\n");
  });

  it("a terminal: the bar redrawn in place", () => {
    vi.useFakeTimers({ now: 0 });
    const { bar, text } = lines(true);
    vi.setSystemTime(1_000);
    bar.update(25);
    bar.finish();
    expect(text()).toBe(
      "\rsending c [#####...............]  25% 25/100 (25/s) ETA 3s\x1b[K\rsending c [#####...............]  25% 25/100 (25/s) ETA 3s\x1b[K\n",
    );
  });
});
