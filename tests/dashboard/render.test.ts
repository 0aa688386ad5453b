import { describe, expect, test } from "bun:test";
import { renderDashboard } from "../../src/dashboard/render.ts";
import type { DashboardSnapshot } from "../../src/dashboard/snapshot.ts";
import { ascii, connected, NOW, reconnecting, severalStreams, stale, stream } from "./fixtures.ts";

const plain = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, "");
const text = (s: DashboardSnapshot, columns = 80, rows = 24) => renderDashboard({ ...s, colour: false }, columns, rows);

const CASES: [string, () => DashboardSnapshot][] = [
  ["connected", connected],
  ["reconnecting", reconnecting],
  ["stale", stale],
  ["several streams", severalStreams],
  ["a terminal without UTF-8", ascii],
];

describe("renderDashboard snapshots", () => {
  for (const [name, make] of CASES) {
    for (const [columns, rows] of [
      [80, 24],
      [160, 48],
    ] as const) {
      test(`${name} at ${columns}x${rows}`, () => {
        expect(renderDashboard(make(), columns, rows).join("\n")).toMatchSnapshot();
      });
    }
  }
});

describe("renderDashboard", () => {
  test.each([
    [1, 1],
    [20, 5],
    [79, 23],
    [80, 24],
    [100, 30],
    [120, 40],
    [160, 48],
    [300, 100],
  ])("gives exactly %p columns at most and %p rows", (columns, rows) => {
    for (const [, make] of CASES) {
      const lines = renderDashboard(make(), columns, rows);
      expect(lines).toHaveLength(rows);
      for (const line of lines) expect(Bun.stringWidth(plain(line))).toBeLessThanOrEqual(columns);
    }
  });

  test("keeps the footer with the keys on the last row", () => {
    const lines = text(connected());
    expect(lines[23]).toBe("q/F10/Ctrl-C quit · d drop connection · r restart now · tab next stream");
  });

  test("colours the status: green connected, yellow reconnecting, red stale", () => {
    expect(renderDashboard(connected(), 80, 24)[1]).toStartWith("\x1b[1;32m● CONNECTED");
    expect(renderDashboard(reconnecting(), 80, 24)[1]).toStartWith("\x1b[1;33m◌ RECONNECTING");
    expect(renderDashboard(stale(), 80, 24)[1]).toStartWith("\x1b[1;31m▲ STALE");
  });

  test("shows connection age, retry and restart countdowns from `now`", () => {
    expect(text(connected())[1]).toBe("● CONNECTED for 2h05m · last message 0s ago · restart in 1h55m");
    expect(text(reconnecting())[1]).toBe("◌ RECONNECTING attempt 3, retry in 4s · last message 1m35s ago");
  });

  test.each([
    [10_000, ""],
    [30_000, "\x1b[33m30s ago"],
    [48_000, "\x1b[31;1m48s ago"],
    [61_000, "\x1b[31;1m1m01s ago"],
  ])("the last-message age %pms turns yellow then red as it nears --stale-after", (age, expected) => {
    const line = renderDashboard(connected({ lastMessageAt: NOW - age }), 80, 24)[1]!;
    if (expected) expect(line).toContain(expected);
    else expect(line).toContain(`last message 10s ago`);
    expect(line.includes("stale at 1m")).toBe(age >= 30_000);
  });

  test("aligns the decimal points of the candle table and keeps every digit", () => {
    const candles = [
      { openTime: NOW - 7_200_000, open: "0.00100000", high: "12.50000000", low: "0.00000001", close: "3.10000000", volume: "1000.00000000" },
      { openTime: NOW - 3_600_000, open: "100.00000000", high: "100.00000000", low: "99.99000000", close: "99.99500000", volume: "0.50000000" },
    ];
    const lines = text(connected({ streams: [stream("TESTUSDT", { recent: candles })] }));
    const rows = lines.filter((l) => l.startsWith("03-05 1"));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEndWith("100.00000000  100.00000000   99.99000000   99.99500000     0.5");
    expect(rows[1]).toEndWith("  0.00100000   12.50000000    0.00000001    3.10000000  1000.0");
    const points = (row: string) => [...row.matchAll(/\./g)].map((m) => m.index);
    expect(points(rows[0]!)).toEqual(points(rows[1]!));
  });

  /** The same candles, one `interval` apart, the newest closed before `NOW`. */
  const candlesEvery = (ms: number) => {
    const candles = stream("BTCUSDT").recent;
    const lastOpen = Math.floor(NOW / ms) * ms - ms;
    return candles.map((c, i) => ({ ...c, openTime: lastOpen - (candles.length - 1 - i) * ms }));
  };
  const timeCells = (lines: string[]) => lines.map((l) => /^(?:\d{4}-)?\d\d-\d\d \d\d:\d\d(?::\d\d)?(?= )/.exec(l)?.[0]).filter((t) => t !== undefined);

  test.each([
    [80, 24],
    [160, 48],
  ])("1s candles show their seconds, every row a distinct time, in one aligned column (%px%p)", (columns, rows) => {
    const lines = text(connected({ streams: [stream("BTCUSDT", { interval: "1s", recent: candlesEvery(1000) })] }), columns, rows);
    const times = timeCells(lines);
    expect(times.length).toBeGreaterThan(3);
    expect(times[0]).toMatch(/ 14:23:06$/);
    expect(times[1]).toMatch(/ 14:23:05$/);
    expect(new Set(times).size).toBe(times.length);
    // One width for every time, and the OPEN prices' decimal points in one column.
    expect(new Set(times.map((t) => t!.length)).size).toBe(1);
    const tableRows = lines.filter((l) => timeCells([l]).length === 1);
    expect(new Set(tableRows.map((l) => l.indexOf("."))).size).toBe(1);
  });

  test("1m and longer candles keep hours and minutes only", () => {
    for (const [interval, ms] of [["1m", 60_000], ["1h", 3_600_000]] as const) {
      const times = timeCells(text(connected({ streams: [stream("BTCUSDT", { interval, recent: candlesEvery(ms) })] })));
      expect(times.length).toBeGreaterThan(3);
      for (const t of times) expect(t).toMatch(/^(?:\d{4}-)?\d\d-\d\d \d\d:\d\d$/);
      expect(times[0]).toMatch(interval === "1m" ? / 14:22$/ : / 13:00$/);
    }
  });

  test("marks the selected stream and shows its candles", () => {
    const s = severalStreams();
    const lines = text(s);
    expect(lines.some((l) => l.startsWith("▶ SHIBUSDT@1m"))).toBe(true);
    expect(lines.some((l) => l.startsWith("SHIBUSDT@1m closed candles"))).toBe(true);
    const next = text({ ...s, selected: 8 }); // wraps around to the first
    expect(next.some((l) => l.startsWith("▶ BTCUSDT@1h"))).toBe(true);
    expect(next.some((l) => l.startsWith("BTCUSDT@1h closed candles"))).toBe(true);
  });

  test("says how many streams are hidden when they do not all fit", () => {
    const lines = text(severalStreams());
    // By name: ADA BNB BTC DOGE ETH SHIB SOL XRP; the selected SHIB is kept in view.
    expect(lines.find((l) => l.includes("STREAM"))).toStartWith("  STREAM 4-6/8");
  });

  test("a few streams: one summary line under the status, and no STATE column while all record", () => {
    const lines = text(severalStreams());
    expect(lines[2]).toBe("8 streams: 8 recording · 0 lagging · 0 backfilling · 0 retired");
    expect(lines[3]).toBe("");
    expect(lines[4]).not.toContain("STATE");
    const one = text(connected());
    expect(one[2]).toBe("1 stream: 1 recording · 0 lagging · 0 backfilling · 0 retired");
  });

  test("lists the streams by name, and a lagging one first with a STATE column", () => {
    const s = severalStreams();
    const names = (lines: string[]) => lines.map((l) => /^[▶ ] (\S+@\S+)/.exec(l)?.[1]).filter(Boolean);
    expect(names(text(s, 160, 48))).toEqual(["ADAUSDT@1h", "BNBUSDT@1h", "BTCUSDT@1h", "DOGEUSDT@1m", "ETHUSDT@1m", "SHIBUSDT@1m", "SOLUSDT@1m", "XRPUSDT@1h"]);
    const lagging = { ...s, streams: s.streams.map((st) => (st.symbol === "XRPUSDT" ? { ...st, lastClosedOpenTime: st.lastClosedOpenTime! - 5 * 3_600_000 } : st)) };
    const lines = text(lagging, 160, 48);
    expect(names(lines)[0]).toBe("XRPUSDT@1h");
    expect(lines.find((l) => l.includes("XRPUSDT@1h"))).toMatch(/^  XRPUSDT@1h +lagging 5 /);
    expect(lines.find((l) => l.includes("ADAUSDT@1h"))).toMatch(/^  ADAUSDT@1h +recording /);
    expect(lines[2]).toBe("8 streams: 7 recording · 1 lagging · 0 backfilling · 0 retired");
  });

  test("up and down price moves get an arrow and a colour", () => {
    const up = renderDashboard(connected(), 80, 24).join("\n");
    expect(up).toContain("\x1b[32m62431.07 ▲\x1b[0m");
    const down = renderDashboard(connected({ streams: [stream("BTCUSDT", { previousPrice: "62431.08" })] }), 80, 24).join("\n");
    expect(down).toContain("\x1b[31m62431.07 ▼\x1b[0m");
  });

  test("log messages cannot move the cursor or print a stack", () => {
    const s = connected({
      log: [{ at: NOW, level: "error", message: "bad \x1b[2J\x1b[Hthing\u009b\nat secret stack line" }],
    });
    const all = renderDashboard(s, 80, 24).join("\n");
    expect(all).not.toContain("\x1b[2J");
    expect(all).not.toContain("\x1b[H");
    expect(all).not.toContain("stack line");
    expect(text(s).find((l) => l.includes("ERROR"))).toBe("14:23:07 ERROR bad  [2J [Hthing");
  });

  test("long log messages end in an ellipsis", () => {
    const lines = text(connected({ log: [{ at: NOW, level: "info", message: "x".repeat(200) }] }));
    const line = lines.find((l) => l.includes("INFO"))!;
    expect(line).toEndWith("x…");
    expect(Bun.stringWidth(line)).toBeLessThanOrEqual(80);
  });

  test("without UTF-8 only ASCII is drawn", () => {
    for (const size of [
      [80, 24],
      [160, 48],
    ] as const) {
      const all = text(ascii(), ...size).join("");
      expect(all).toMatch(/^[\x20-\x7e]*$/);
    }
  });

  test("a stopped or starting recorder still renders", () => {
    const starting = text(connected({ status: "starting", streams: [], log: [], connectedSince: null, lastMessageAt: null, nextRestartAt: null }));
    expect(starting[1]).toBe("○ STARTING connecting · no message yet");
    expect(starting).toContain("no streams configured");
    const stopped = text(connected({ status: "stopped" }));
    expect(stopped[1]).toBe("■ STOPPED");
  });
});
