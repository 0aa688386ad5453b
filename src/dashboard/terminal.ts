import { systemClock, type Clock } from "../clock.ts";
import { logger } from "../logger.ts";
import { onTerminalExit } from "../terminal/exit-hooks.ts";
import { MIN_COLUMNS, MIN_ROWS, renderDashboard } from "./render.ts";
import type { DashboardSnapshot } from "./snapshot.ts";
import type { DashboardView } from "./view-state.ts";

/** The part of `process.stdout` the loop uses. */
export interface DashboardOutput {
  write(text: string): unknown;
  columns?: number;
  rows?: number;
  on?(event: "resize", listener: () => void): unknown;
  off?(event: "resize", listener: () => void): unknown;
}

export interface DashboardOptions {
  /** Builds the current snapshot; called once per frame by the loop, never on the message path. */
  getSnapshot: () => DashboardSnapshot;
  /** Applies the stream table's selection and scroll to each frame (`createDashboardView`). @default the snapshot's own `selected` and `scroll` */
  view?: Pick<DashboardView, "fit">;
  /** A terminal (the caller checks `isTTY` and `--no-dashboard`). @default process.stdout */
  stdout?: DashboardOutput;
  /** Time between frames; a frame writes only the lines that changed. @default 250 */
  intervalMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** Called if a frame throws (a bug): the dashboard stops and the recorder goes on. @default logs the error */
  onError?: (err: unknown) => void;
}

export interface Dashboard {
  /** Draws a frame now (after a key such as `tab`), instead of at the next tick. */
  redraw(): void;
  /** Stops drawing and gives the terminal back (normal screen, cursor). Idempotent. */
  stop(): void;
}

/** Never redraw more often than this, whatever `intervalMs` says. */
const MIN_INTERVAL_MS = 100;

const ENTER = "\x1b[?1049h\x1b[?25l\x1b[?7l\x1b[2J"; // alternate screen, hide cursor, no line wrap, clear
const LEAVE = "\x1b[?7h\x1b[?25h\x1b[?1049l";

/**
 * Shows the dashboard on the alternate screen and keeps it current: every `intervalMs`
 * it renders `getSnapshot()` and writes, in one write, only the rows that changed. The
 * terminal is given back by `stop()`, and also on exit, crash or signal.
 */
export function startDashboard(options: DashboardOptions): Dashboard {
  const stdout = options.stdout ?? process.stdout;
  const clock = options.clock ?? systemClock;
  const intervalMs = Math.max(MIN_INTERVAL_MS, options.intervalMs ?? 250);
  const onError = options.onError ?? ((err: unknown) => logger.withTag("dashboard").error("dashboard stopped:", err));

  let shown: string[] = [];
  let size = "";
  let stopped = false;
  let cancelTick: (() => void) | undefined;

  const frame = () => {
    if (stopped) return;
    try {
      const columns = stdout.columns || MIN_COLUMNS;
      const rows = stdout.rows || MIN_ROWS;
      const snapshot = options.getSnapshot();
      const lines = renderDashboard(options.view ? options.view.fit(snapshot, columns, rows) : snapshot, columns, rows);
      const resized = size !== `${columns}x${rows}`;
      size = `${columns}x${rows}`;
      const out = _diff(resized ? [] : shown, lines, columns, resized);
      shown = lines;
      if (out) stdout.write(out);
    } catch (err) {
      stop();
      onError(err);
    }
  };
  const tick = () => {
    frame();
    if (!stopped) cancelTick = clock.setTimeout(tick, intervalMs);
  };
  const onResize = () => frame();

  function stop(): void {
    if (stopped) return;
    stopped = true;
    cancelTick?.();
    stdout.off?.("resize", onResize);
    unregister();
    try {
      stdout.write(LEAVE);
    } catch {
      // The terminal is gone (EPIPE, hang-up): nothing left to restore.
    }
  }

  const unregister = onTerminalExit(stop);
  stdout.write(ENTER);
  stdout.on?.("resize", onResize);
  tick();
  return { redraw: frame, stop };
}

/** True when the locale says UTF-8 (LC_ALL, then LC_CTYPE, then LANG: the first one set decides). */
export function detectUtf8(env: Record<string, string | undefined> = process.env): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || "";
  return /utf-?8/i.test(locale);
}

// --- internal ---

/**
 * Cursor moves and rows for every line that differs from `before` ("" when none does).
 * A row is erased to its end only when it is shorter than the screen: with line wrap off
 * the cursor stays on the last column, and an erase there would wipe the last character.
 */
function _diff(before: string[], after: string[], columns: number, clear: boolean): string {
  let out = clear ? "\x1b[2J" : "";
  after.forEach((line, i) => {
    if (line !== before[i]) out += `\x1b[${i + 1};1H${line}${Bun.stringWidth(line) < columns ? "\x1b[K" : ""}`;
  });
  return out;
}
