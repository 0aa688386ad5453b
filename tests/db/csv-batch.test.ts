import { afterAll, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCsvBatch, START_OF_FILE } from "../../src/db/csv-batch.ts";
import { coverageCursor, coverageFromEdges, sqlInterval } from "../../src/db/db-coverage.ts";

const dir = mkdtempSync(join(tmpdir(), "csv-batch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = { market: "spot", symbol: "BTCUSDT", interval: "1m" };
const M = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const stamp = (i: number) => new Date(T0 + i * M).toISOString().replace(".000Z", "Z");
const row = (i: number, close = `${100 + i}.50000000`) => `${stamp(i)},100.00000000,200.00000000,0.00000912,${close},7.00000000\n`;
const HEADER = "timestamp,open,high,low,close,volume\n";

test("reads whole rows after the header, stops at a torn last line and at `through`", () => {
  const path = join(dir, "a.csv");
  writeFileSync(path, HEADER + row(0) + row(1) + row(2) + "2024-01-01T00:03:00Z,100.0");
  const all = readCsvBatch(path, START_OF_FILE, { key, maxRows: 100 });
  expect(all.candles.map((c) => c.openTime)).toEqual([T0, T0 + M, T0 + 2 * M]);
  expect(all.candles[0]).toMatchObject({ open: "100.00000000", low: "0.00000912", close: "100.50000000", volume: "7.00000000", closeTime: null, trades: null });
  expect(all.done).toBe(true);
  expect(all.next.format).toBe("basic");
  const bounded = readCsvBatch(path, START_OF_FILE, { key, maxRows: 100, through: T0 + M });
  expect(bounded.candles.length).toBe(2);
  expect(bounded.done).toBe(true);
  // The torn line completes: the next read starts right where the last one ended.
  appendFileSync(path, "00000,200.0,0.1,150.0,7.0\n");
  const more = readCsvBatch(path, all.next, { key, maxRows: 100 });
  expect(more.candles.map((c) => [c.openTime, c.close])).toEqual([[T0 + 3 * M, "150.0"]]);
});

test("maxRows bounds a batch; reading on from `next` gives the rest exactly once", () => {
  const path = join(dir, "b.csv");
  writeFileSync(path, HEADER + Array.from({ length: 25 }, (_, i) => row(i)).join(""));
  const seen: number[] = [];
  let pos = START_OF_FILE;
  for (let k = 0; k < 10; k++) {
    const batch = readCsvBatch(path, pos, { key, maxRows: 10 });
    seen.push(...batch.candles.map((c) => c.openTime));
    pos = batch.next;
    if (batch.done) break;
  }
  expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => T0 + i * M));
});

test("a last row replaced under the reader is offered again (so a conflict is seen)", () => {
  const path = join(dir, "c.csv");
  writeFileSync(path, HEADER + row(0) + row(1));
  const first = readCsvBatch(path, START_OF_FILE, { key, maxRows: 100 });
  truncateSync(path, statSync(path).size - row(1).length);
  appendFileSync(path, row(1, "199.00000000") + row(2));
  const again = readCsvBatch(path, first.next, { key, maxRows: 100 });
  expect(again.rewound).toBe(true);
  expect(again.candles.map((c) => [c.openTime, c.close])).toEqual([[T0 + M, "199.00000000"], [T0 + 2 * M, "102.50000000"]]);
});

test("the seed's and Binance's formats: a space in the time, a 12-column dump in epoch ms; corrupt lines are reported", () => {
  const seed = join(dir, "seed.csv");
  writeFileSync(seed, `${HEADER}2024-01-01 00:00:00+00:00,1.0,2.0,0.5,1.5,3.0\nnot,a,row\n2024-01-01 00:01:00,1.0,2.0,0.5,1.5,3.0\n`);
  const s = readCsvBatch(seed, START_OF_FILE, { key, maxRows: 10 });
  expect(s.candles.map((c) => c.openTime)).toEqual([T0, T0 + M]);
  expect(s.rejected.length).toBe(1);
  const dump = join(dir, "dump.csv");
  writeFileSync(dump, `${T0},1.0,2.0,0.5,1.5,3.0,${T0 + M - 1},4.5,12,1.0,1.5,0\n`);
  const d = readCsvBatch(dump, START_OF_FILE, { key, maxRows: 10 });
  expect(d.candles).toEqual([{ ...key, openTime: T0, open: "1.0", high: "2.0", low: "0.5", close: "1.5", volume: "3.0", closeTime: T0 + M - 1, quoteVolume: "4.5", trades: "12", takerBuyBase: "1.0", takerBuyQuote: "1.5" }]);
});

test("a missing file is nothing to read yet", () => {
  expect(readCsvBatch(join(dir, "none.csv"), START_OF_FILE, { key, maxRows: 10 })).toMatchObject({ candles: [], done: true });
});

test("coverage: run edges pair up, and the cursor answers in ascending order", () => {
  const runs = coverageFromEdges([
    { t: 0, starts: true, ends: false },
    { t: 5, starts: false, ends: true },
    { t: 8, starts: true, ends: true },
    { t: 10, starts: true, ends: false },
    { t: 12, starts: false, ends: true },
  ]);
  expect(runs).toEqual([[0, 5], [8, 8], [10, 12]]);
  const cursor = coverageCursor(runs);
  expect([0, 3, 5, 6, 8, 9, 11, 13].map((t) => cursor.covers(t))).toEqual([true, true, true, false, true, false, true, false]);
  expect(["1s", "15m", "4h", "3d", "1w", "1M"].map(sqlInterval)).toEqual(["1 seconds", "15 minutes", "4 hours", "3 days", "1 weeks", "1 months"]);
});

test("a well-formed row that fails the OHLC sanity check is still the file's content: it is read as written", () => {
  const path = join(dir, "insane.csv");
  writeFileSync(path, HEADER + row(0, "999.00000000"));
  expect(readCsvBatch(path, START_OF_FILE, { key, maxRows: 10 }).candles.map((c) => c.close)).toEqual(["999.00000000"]);
});
