import { beforeEach, describe, expect, test } from "bun:test";
import { renderDashboard, streamTableRows } from "../../src/dashboard/render.ts";
import type { DashboardSnapshot } from "../../src/dashboard/snapshot.ts";
import { rankStreams, streamName } from "../../src/dashboard/stream-state.ts";
import { createDashboardView, type DashboardView } from "../../src/dashboard/view-state.ts";
import { manyStreams, NEWEST_1M, NOW } from "./fixtures.ts";

const COLUMNS = 120;
const ROWS = 40;
const COUNT = 600;

/** One frame as the terminal loop draws it: the view fitted, then rendered. */
function frame(view: DashboardView, snapshot: DashboardSnapshot, columns = COLUMNS, rows = ROWS): string[] {
  return renderDashboard(view.fit(snapshot, columns, rows), columns, rows);
}
const tableNames = (lines: string[]) => lines.map((l) => /^[▶ ] (SYM\d{4}USDT@1m)/.exec(l)?.[1]).filter((n) => n !== undefined);
const selectedName = (lines: string[]) => lines.map((l) => /^▶ (\S+)/.exec(l)?.[1]).find((n) => n !== undefined);
const candleTitle = (lines: string[]) => lines.map((l) => /^(\S+) closed candles/.exec(l)?.[1]).find((n) => n !== undefined);

let snapshot: DashboardSnapshot;
let order: string[];
let page: number;
let view: DashboardView;

beforeEach(() => {
  snapshot = manyStreams(COUNT, { colour: false });
  order = rankStreams(snapshot.streams, NOW).order.map((i) => streamName(snapshot.streams[i]!));
  page = streamTableRows(snapshot, COLUMNS, ROWS);
  view = createDashboardView();
});

describe("createDashboardView", () => {
  test("a page is a screenful of streams, far fewer than there are", () => {
    expect(page).toBeGreaterThan(3);
    expect(page).toBeLessThan(30);
    expect(tableNames(frame(view, snapshot))).toHaveLength(page);
  });

  test("until a key picks a stream, the worst stream is shown first and selected", () => {
    const lines = frame(view, snapshot);
    expect(tableNames(lines)).toEqual(order.slice(0, page));
    expect(selectedName(lines)).toBe(order[0]);
    expect(candleTitle(lines)).toBe(order[0]);
    expect(lines.find((l) => l.includes("STREAM"))).toStartWith(`  STREAM 1-${page}/${COUNT}`);
    expect(view.selected).toBeUndefined();
  });

  test("down and up scroll one row; the selection rides along when it would leave the view", () => {
    frame(view, snapshot);
    expect(view.onKey("down")).toBe(true);
    let lines = frame(view, snapshot);
    expect(tableNames(lines)).toEqual(order.slice(1, 1 + page));
    expect(selectedName(lines)).toBe(order[1]);
    expect(view.scroll).toBe(1);

    expect(view.onKey("up")).toBe(true);
    lines = frame(view, snapshot);
    expect(tableNames(lines)).toEqual(order.slice(0, page));
    expect(selectedName(lines)).toBe(order[1]); // still in view: it stays selected
  });

  test("pgdn and pgup move a page; the selection stays in view", () => {
    frame(view, snapshot);
    view.onKey("pgdn");
    frame(view, snapshot);
    view.onKey("pgdn");
    let lines = frame(view, snapshot);
    expect(tableNames(lines)).toEqual(order.slice(2 * page, 3 * page));
    expect(selectedName(lines)).toBe(order[2 * page]);

    view.onKey("pgup");
    lines = frame(view, snapshot);
    expect(tableNames(lines)).toEqual(order.slice(page, 2 * page));
    expect(selectedName(lines)).toBe(order[2 * page - 1]);
    expect(candleTitle(lines)).toBe(order[2 * page - 1]);
  });

  test("end shows the last page with the retired streams and selects the last; home goes back to following the top", () => {
    frame(view, snapshot);
    expect(view.onKey("end")).toBe(true);
    let lines = frame(view, snapshot);
    expect(tableNames(lines)).toEqual(order.slice(COUNT - page));
    expect(selectedName(lines)).toBe(order[COUNT - 1]);
    expect(lines.filter((l) => /^[▶ ] SYM\d+USDT@1m +retired/.test(l))).toHaveLength(Math.min(page, COUNT / 100));
    expect(view.onKey("end")).toBe(false);

    expect(view.onKey("home")).toBe(true);
    lines = frame(view, snapshot);
    expect(tableNames(lines)).toEqual(order.slice(0, page));
    expect(selectedName(lines)).toBe(order[0]);
    expect(view.selected).toBeUndefined();
  });

  test("tab scrolls only once the selection leaves the view; shift-tab from the top wraps to the last stream", () => {
    frame(view, snapshot);
    for (let i = 0; i < page - 1; i++) view.onKey("tab");
    let lines = frame(view, snapshot);
    expect(tableNames(lines)).toEqual(order.slice(0, page));
    expect(selectedName(lines)).toBe(order[page - 1]);

    view.onKey("tab");
    lines = frame(view, snapshot);
    expect(tableNames(lines)).toEqual(order.slice(1, page + 1));
    expect(selectedName(lines)).toBe(order[page]);

    view.onKey("home");
    frame(view, snapshot);
    view.onKey("shift-tab");
    lines = frame(view, snapshot);
    expect(selectedName(lines)).toBe(order[COUNT - 1]);
    expect(tableNames(lines)).toEqual(order.slice(COUNT - page));
  });

  test("a picked stream stays selected and in view while the table re-sorts around it", () => {
    frame(view, snapshot);
    view.onKey("tab");
    frame(view, snapshot);
    const picked = order[1]!;
    expect(view.selected).toBe(picked);
    // It catches up: now a recording stream, sorted by name far down the table.
    const caughtUp = { ...snapshot, streams: snapshot.streams.map((st) => (streamName(st) === picked ? { ...st, lastClosedOpenTime: NEWEST_1M } : st)) };
    const lines = frame(view, caughtUp);
    expect(selectedName(lines)).toBe(picked);
    expect(tableNames(lines)).toContain(picked);
    expect(tableNames(lines)[0]).not.toBe(order[0]);

    // And when it is gone altogether, the view follows the top row again.
    const gone = { ...snapshot, streams: snapshot.streams.filter((st) => streamName(st) !== picked) };
    expect(selectedName(frame(view, gone))).toBe(order[0]);
    expect(view.selected).toBeUndefined();
  });

  test("keys that change nothing ask for no redraw", () => {
    expect(view.onKey("down")).toBe(false); // nothing drawn yet
    frame(view, snapshot);
    expect(view.onKey("up")).toBe(false);
    expect(view.onKey("pgup")).toBe(false);
    expect(view.onKey("home")).toBe(false);
    expect(view.onKey("q")).toBe(false);
    expect(view.onKey("d")).toBe(false);
    expect(view.onKey("down")).toBe(true);
  });

  test("with a few streams that all fit, scrolling changes nothing and tab still cycles", () => {
    const few = manyStreams(4, { colour: false });
    const names = rankStreams(few.streams, NOW).order.map((i) => streamName(few.streams[i]!));
    frame(view, few);
    expect(view.onKey("down")).toBe(false);
    expect(view.onKey("pgdn")).toBe(false);
    for (const expected of [names[1], names[2], names[3], names[0]]) {
      view.onKey("tab");
      expect(selectedName(frame(view, few))).toBe(expected);
    }
  });

  test("every frame has exactly the terminal height, whatever the keys", () => {
    for (const [columns, rows] of [
      [80, 24],
      [120, 40],
      [200, 60],
    ] as const) {
      const v = createDashboardView();
      for (const key of ["down", "pgdn", "pgdn", "tab", "end", "up", "pgup", "shift-tab", "home"] as const) {
        v.onKey(key);
        const lines = frame(v, snapshot, columns, rows);
        expect(lines).toHaveLength(rows);
        expect(lines.at(-1)).toStartWith("q/F10/Ctrl-C quit");
        for (const line of lines) expect(Bun.stringWidth(line)).toBeLessThanOrEqual(columns);
      }
    }
  });
});
