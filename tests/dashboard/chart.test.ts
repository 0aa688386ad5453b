import { describe, expect, test } from "bun:test";
import { candleChart } from "../../src/dashboard/chart.ts";
import type { DashboardCandle } from "../../src/dashboard/snapshot.ts";
import { toAnsi, type Line } from "../../src/dashboard/styled-line.ts";

const candle = (open: string, high: string, low: string, close: string): DashboardCandle => ({ openTime: 0, open, high, low, close, volume: "1" });
const show = (lines: Line[], width: number) => lines.map((l) => toAnsi(l, width, false));

describe("candleChart", () => {
  const candles = [candle("10", "12", "8", "11"), candle("11", "11", "9", "9"), candle("9", "10", "9", "9")];

  // max 12, min 8, 4 rows of 1: c1 wick rows 0-3, body 1-2; c2 body 1-3; c3 wick 2-3, flat body on 3.
  test("draws bodies, wicks and flat candles, labelled with the highest high and lowest low", () => {
    expect(show(candleChart(candles, 12, 4, true), 12)).toEqual([
      "12 │", //
      "   █ █",
      "   █ █ │",
      " 8 │ █ ─",
    ]);
  });

  test("falls back to ASCII", () => {
    expect(show(candleChart(candles, 12, 4, false), 12)).toEqual(["12 |", "   # #", "   # # |", " 8 | # -"]);
  });

  test("colours a candle green when it closes at or above its open, red below", () => {
    const row = candleChart(candles, 12, 4, true)[3]!;
    expect(row.map((s) => [s.text.trim(), s.styles[0]])).toEqual([
      ["8", "dim"],
      ["│", "green"],
      ["█", "red"],
      ["─", "green"],
    ]);
  });

  test("keeps the newest candles when they do not all fit", () => {
    const many = Array.from({ length: 30 }, (_, i) => candle(String(i), String(i + 1), String(i), String(i + 1)));
    const lines = show(candleChart(many, 10, 3, true), 10);
    expect(lines[0]).toStartWith("30 ");
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(Bun.stringWidth(line)).toBeLessThanOrEqual(10);
  });

  test("gives blank rows when there is nothing to draw or no room", () => {
    expect(candleChart([], 40, 3, true)).toEqual([[], [], []]);
    expect(candleChart(candles, 3, 2, true)).toEqual([[], []]);
    expect(candleChart(candles, 40, 0, true)).toEqual([]);
  });
});
