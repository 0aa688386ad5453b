import { describe, expect, test } from "bun:test";
import { renderDashboard, streamTableRows } from "../../src/dashboard/render.ts";
import type { DashboardSnapshot, DashboardStream } from "../../src/dashboard/snapshot.ts";
import { createDashboardView } from "../../src/dashboard/view-state.ts";
import type { RestBudgetSnapshot } from "../../src/exchange/rest-budget.ts";
import { manyStreams, manyStreamsPlan, NOW } from "./fixtures.ts";

const plain = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, "");
const text = (s: DashboardSnapshot, columns = 80, rows = 24) => renderDashboard({ ...s, colour: false }, columns, rows);

const REST: RestBudgetSnapshot = {
  limitPerMinute: 6000,
  capPerMinute: 4800,
  usedThisMinute: 4321,
  peakPerMinute: 4790,
  queued: 7,
  inFlight: 2,
  granted: 12_345,
  pausedUntil: NOW + 60_000,
  rateLimited: 2,
  banned: 1,
};

/** What the plan says the summary should count. */
function expectedCounts(count: number) {
  const counts = { recording: 0, lagging: 0, backfilling: 0, retired: 0 };
  for (let i = 0; i < count; i++) counts[manyStreamsPlan(i).state]++;
  return counts;
}

describe("the summary line", () => {
  test.each([600, 3000])("counts the states of %p streams", (count) => {
    const c = expectedCounts(count);
    const line = text(manyStreams(count))[2];
    expect(line).toBe(`${count.toLocaleString("en-US")} streams: ${c.recording.toLocaleString("en-US")} recording · ${c.lagging} lagging · ${c.backfilling} backfilling · ${c.retired} retired`);
  });

  test("shows the connections and the REST budget on one line when it fits", () => {
    const lines = text(manyStreams(600, { connections: { open: 11, total: 12 }, rest: REST }), 200, 50);
    expect(lines[2]).toEndWith(" · connections 11/12 · REST 4,321/4,800 per min · queue 7 · paused until 14:24:07 (1m00s) · 429s 2 · 418s 1");
    expect(lines[2]).toStartWith("600 streams: ");
    expect(lines[3]).toBe("");
  });

  test("wraps onto more lines at 80 columns, losing nothing", () => {
    const lines = text(manyStreams(600, { connections: { open: 12, total: 12 }, rest: REST }));
    const summary = lines.slice(2, lines.indexOf(""));
    expect(summary.length).toBeGreaterThan(1);
    expect(summary[0]).toStartWith("600 streams: ");
    for (const line of summary) expect(Bun.stringWidth(line)).toBeLessThanOrEqual(80);
    const all = summary.join(" · ");
    for (const part of ["connections 12/12", "REST 4,321/4,800 per min", "queue 7", "paused until 14:24:07", "429s 2", "418s 1"]) expect(all).toContain(part);
  });

  test("colours what needs attention: connections down, budget used up, a pause, 429s and 418s", () => {
    const line = renderDashboard(manyStreams(600, { connections: { open: 11, total: 12 }, rest: { ...REST, usedThisMinute: 4800 } }), 200, 50)[2]!;
    expect(line).toContain("\x1b[33m11/12\x1b[0m");
    expect(line).toContain("\x1b[33m4,800/4,800\x1b[0m");
    expect(line).toContain("\x1b[31;1mpaused until");
    expect(line).toContain("429s \x1b[33m2\x1b[0m");
    expect(line).toContain("418s \x1b[31m1\x1b[0m");
  });

  test("no connections or REST part when the snapshot has neither, and no pause once it is over", () => {
    const none = text(manyStreams(600), 200, 50);
    expect(none[2]).toEndWith(" retired");
    expect(none.join("\n")).not.toContain("connections");
    const over = text(manyStreams(600, { rest: { ...REST, pausedUntil: NOW - 1 } }), 200, 50)[2]!;
    expect(over).toContain("REST 4,321/4,800 per min");
    expect(over).not.toContain("paused");
  });
});

describe("the stream table with hundreds of streams", () => {
  test("shows the worst first: the most behind lagging stream on top, with its lag", () => {
    const s = manyStreams(600, { colour: false });
    const lines = renderDashboard(createDashboardView().fit(s, 160, 48), 160, 48);
    const rows = lines.filter((l) => /^[▶ ] SYM/.test(l));
    // Lagging streams (i % 10 = 3) are 3 + i % 97 behind: 99 for i = 193, then 98 for i = 483.
    expect(rows[0]).toMatch(/^▶ SYM0193USDT@1m +lagging 99 /);
    expect(rows[1]).toMatch(/^  SYM0483USDT@1m +lagging 98 /);
    expect(rows).toHaveLength(streamTableRows(manyStreams(600), 160, 48));
  });

  test("a STATE column, making room at 80 columns by dropping the least useful ones", () => {
    const narrow = text(manyStreams(600)).find((l) => l.includes("STREAM"))!;
    expect(narrow).toContain("STATE");
    expect(narrow).not.toContain("CANDLES");
    expect(narrow).toContain("LAST CLOSED");
    const wide = text(manyStreams(600), 160, 48).find((l) => l.includes("STREAM"))!;
    for (const title of ["STATE", "PRICE", "UPDATED", "CANDLES", "LAST CLOSED", "BACKFILLED", "EXCH GAPS"]) expect(wide).toContain(title);
  });

  test.each([
    [1, 1],
    [20, 5],
    [80, 24],
    [100, 30],
    [160, 48],
    [300, 100],
  ])("3,000 streams give exactly %p columns at most and %p rows", (columns, rows) => {
    const s = manyStreams(3000, { connections: { open: 30, total: 30 }, rest: REST });
    const lines = renderDashboard(createDashboardView().fit(s, columns, rows), columns, rows);
    expect(lines).toHaveLength(rows);
    for (const line of lines) expect(Bun.stringWidth(plain(line))).toBeLessThanOrEqual(columns);
  });

  test("a frame formats only the visible rows and ranks the streams once", () => {
    const s = manyStreams(3000);
    let priceReads = 0;
    let candleReads = 0;
    const counted = s.streams.map((st): DashboardStream => {
      const copy = { ...st };
      Object.defineProperty(copy, "lastPrice", { get: () => (priceReads++, st.lastPrice) });
      Object.defineProperty(copy, "lastClosedOpenTime", { get: () => (candleReads++, st.lastClosedOpenTime) });
      return copy;
    });
    const page = streamTableRows({ ...s, streams: counted }, 160, 48);
    // A new array, as each frame's snapshot has: nothing ranked for it yet.
    const snapshot = { ...s, streams: [...counted] };
    priceReads = 0;
    candleReads = 0;
    // One frame as the terminal loop draws it: the view, then the render.
    renderDashboard(createDashboardView().fit(snapshot, 160, 48), 160, 48);
    expect(priceReads).toBeGreaterThan(0);
    expect(priceReads).toBeLessThanOrEqual(3 * page);
    // Ranking reads every stream once; the visible rows read theirs again for LAST CLOSED.
    expect(candleReads).toBeLessThanOrEqual(3000 + 3 * page);
    expect(candleReads).toBeGreaterThanOrEqual(3000);
  });

  test("the footer names the scroll keys when streams are out of view and there is room", () => {
    expect(text(manyStreams(600), 120, 40).at(-1)).toBe("q/F10/Ctrl-C quit · d drop connection · r restart now · tab next stream · ↑↓/PgUp/PgDn scroll");
    expect(text({ ...manyStreams(600), utf8: false }, 120, 40).at(-1)).toEndWith(" | arrows/PgUp/PgDn scroll");
    expect(text(manyStreams(2), 120, 40).at(-1)).toBe("q/F10/Ctrl-C quit · d drop connection · r restart now · tab next stream");
    expect(text(manyStreams(600), 80, 24).at(-1)).toBe("q/F10/Ctrl-C quit · d drop connection · r restart now · tab next stream");
  });
});
