import { expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { renderDashboard } from "../../src/dashboard/render.ts";
import type { DashboardSnapshot } from "../../src/dashboard/snapshot.ts";
import { detectUtf8, startDashboard, type DashboardOutput } from "../../src/dashboard/terminal.ts";
import { createDashboardView } from "../../src/dashboard/view-state.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { connected, manyStreams, NOW } from "./fixtures.ts";

/** A terminal-sized output that records every write. */
class Screen extends EventEmitter implements DashboardOutput {
  writes: string[] = [];
  constructor(
    public columns = 80,
    public rows = 24,
  ) {
    super();
  }
  write(text: string) {
    this.writes.push(text);
    return true;
  }
}

/** `live`: the snapshot's `now` follows the clock, as the recorder's does. */
function setup(intervalMs?: number, live = false) {
  const clock = new FakeClock(NOW);
  const screen = new Screen();
  let snapshot: DashboardSnapshot = connected();
  let calls = 0;
  const dashboard = startDashboard({
    getSnapshot: () => {
      calls++;
      return live ? { ...snapshot, now: clock.now() } : snapshot;
    },
    stdout: screen,
    clock,
    intervalMs,
  });
  return {
    clock,
    screen,
    dashboard,
    calls: () => calls,
    set(next: DashboardSnapshot) {
      snapshot = next;
    },
  };
}

test("enters the alternate screen and draws every row in one write", () => {
  const { screen, dashboard } = setup();
  expect(screen.writes).toHaveLength(2);
  expect(screen.writes[0]).toBe("\x1b[?1049h\x1b[?25l\x1b[?7l\x1b[2J");
  const frame = screen.writes[1]!;
  expect(frame.match(/\x1b\[\d+;1H/g)).toHaveLength(24);
  expect(frame).toContain(`\x1b[24;1H${renderDashboard(connected(), 80, 24)[23]}\x1b[K`);
  dashboard.stop();
});

test("erases to the end of a row only when the row is shorter than the screen", () => {
  const { screen, dashboard } = setup();
  const frame = screen.writes[1]!;
  const header = renderDashboard(connected(), 80, 24)[0]!;
  expect(Bun.stringWidth(header)).toBe(80);
  expect(frame).toContain(`\x1b[1;1H${header}\x1b[2;1H`);
  expect(frame).toContain("\x1b[4;1H\x1b[K"); // the blank row under the summary
  dashboard.stop();
});

test("writes nothing when no rendered line changed", async () => {
  const { screen, dashboard, clock, calls } = setup();
  await clock.advance(250);
  expect(calls()).toBe(2);
  expect(screen.writes).toHaveLength(2);
  dashboard.stop();
});

test("rewrites only the rows that changed", async () => {
  const { screen, dashboard, clock, set } = setup();
  set(connected({ status: "reconnecting", reconnectAttempt: 1, nextRetryAt: NOW + 2000 }));
  await clock.advance(250);
  const frame = screen.writes.at(-1)!;
  expect(frame).toStartWith("\x1b[2;1H");
  expect(frame).toContain("RECONNECTING");
  expect(frame).not.toContain("\x1b[1;1H"); // the header did not change
  dashboard.stop();
});

test("redraws at most once per interval, and ticks every second as time passes", async () => {
  const { screen, dashboard, clock, calls } = setup(1000, true);
  await clock.advance(999);
  expect(calls()).toBe(1);
  await clock.advance(1);
  expect(calls()).toBe(2);
  expect(screen.writes.at(-1)).toContain("14:23:08 UTC");
  dashboard.stop();
});

test("never redraws more often than every 100 ms", async () => {
  const { dashboard, clock, calls } = setup(1);
  await clock.advance(1000);
  expect(calls()).toBe(11);
  dashboard.stop();
});

test("clears and redraws everything when the terminal is resized", () => {
  const { screen, dashboard } = setup();
  screen.columns = 120;
  screen.rows = 30;
  screen.emit("resize");
  const frame = screen.writes.at(-1)!;
  expect(frame).toStartWith("\x1b[2J");
  expect(frame.match(/\x1b\[\d+;1H/g)).toHaveLength(30);
  dashboard.stop();
  expect(screen.listenerCount("resize")).toBe(0);
});

test("redraw() draws at once, e.g. after tab", () => {
  const { screen, dashboard, set, calls } = setup();
  set(connected({ status: "stale" }));
  dashboard.redraw();
  expect(calls()).toBe(2);
  expect(screen.writes.at(-1)).toContain("STALE");
  dashboard.stop();
});

test("a view picks the selection and scroll of every frame, at the screen's size", () => {
  const screen = new Screen(120, 40);
  const view = createDashboardView();
  const snapshot = manyStreams(500);
  const dashboard = startDashboard({ getSnapshot: () => snapshot, stdout: screen, clock: new FakeClock(NOW), view });
  const range = (frame: string) => /STREAM (\d+-\d+)\/500/.exec(frame)?.[1];
  expect(range(screen.writes[1]!)).toBe("1-9");
  expect(screen.writes[1]).toContain("\x1b[1m▶ SYM0193USDT@1m");
  expect(view.onKey("pgdn")).toBe(true);
  dashboard.redraw();
  expect(range(screen.writes.at(-1)!)).toBe("10-18");
  dashboard.stop();
});

test("stop gives the terminal back once and draws no more", async () => {
  const { screen, dashboard, clock, calls } = setup();
  dashboard.stop();
  dashboard.stop();
  expect(screen.writes.at(-1)).toBe("\x1b[?7h\x1b[?25h\x1b[?1049l");
  const count = screen.writes.length;
  await clock.advance(10_000);
  dashboard.redraw();
  expect(screen.writes).toHaveLength(count);
  expect(calls()).toBe(1);
  expect(clock.pending).toBe(0);
});

test("a failing snapshot stops the dashboard and reports, without throwing into the recorder", async () => {
  const clock = new FakeClock(NOW);
  const screen = new Screen();
  const errors: unknown[] = [];
  let fail = false;
  startDashboard({
    getSnapshot: () => {
      if (fail) throw new Error("bug in snapshot");
      return connected();
    },
    stdout: screen,
    clock,
    onError: (err) => errors.push(err),
  });
  fail = true;
  await clock.advance(250);
  expect(errors).toHaveLength(1);
  expect(String(errors[0])).toContain("bug in snapshot");
  expect(screen.writes.at(-1)).toBe("\x1b[?7h\x1b[?25h\x1b[?1049l");
  expect(clock.pending).toBe(0);
});

test.each([
  [{ LANG: "en_US.UTF-8" }, true],
  [{ LANG: "C.utf8" }, true],
  [{ LC_ALL: "C", LANG: "en_US.UTF-8" }, false],
  [{ LC_CTYPE: "de_DE.UTF-8", LANG: "C" }, true],
  [{ LANG: "C" }, false],
  [{}, false],
])("detectUtf8(%p) is %p", (env, expected) => {
  expect(detectUtf8(env)).toBe(expected);
});
