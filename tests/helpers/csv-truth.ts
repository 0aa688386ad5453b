import { readFileSync } from "node:fs";
import { expect } from "bun:test";
import type { Interval } from "../../src/time/intervals.ts";
import { nextOpenTime } from "../../src/time/intervals.ts";

export interface Truth {
  truth(symbol: string, interval: Interval, openTime: number): { open: string; high: string; low: string; close: string; volume: string } | undefined;
}

/**
 * Reads a recorded CSV and checks it row by row against the exchange's truth: header,
 * strictly increasing open times, no duplicate, no hole except the exchange's own gaps,
 * every value exactly as the exchange has it. Returns the open times recorded.
 * (Its own formatting, independent of the recorder's writer.)
 */
export function checkCsvAgainstTruth(path: string, exchange: Truth, symbol: string, interval: Interval): number[] {
  const lines = readFileSync(path, "utf8").split("\n");
  expect(lines[0]).toBe("timestamp,open,high,low,close,volume");
  expect(lines[lines.length - 1]).toBe("");
  const times: number[] = [];
  for (const line of lines.slice(1, -1)) {
    const [stamp, ...values] = line.split(",");
    const t = Date.parse(stamp!);
    expect(stamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const k = exchange.truth(symbol, interval, t);
    expect(k, `${path}: ${stamp} is not a candle of the exchange`).toBeDefined();
    expect(values.join(",")).toBe(`${k!.open},${k!.high},${k!.low},${k!.close},${k!.volume}`);
    if (times.length > 0) {
      const prev = times[times.length - 1]!;
      expect(t, `${path}: rows out of order or duplicated at ${stamp}`).toBeGreaterThan(prev);
      for (let m = nextOpenTime(interval, prev); m < t; m = nextOpenTime(interval, m)) {
        expect(exchange.truth(symbol, interval, m), `${path}: candle ${new Date(m).toISOString()} is missing`).toBeUndefined();
      }
    }
    times.push(t);
  }
  return times;
}
