import { expect, test } from "bun:test";
import { join } from "node:path";
import { analyzeGaps } from "../../src/candles/analyze-gaps.ts";

const FIXTURES = join(import.meta.dir, "../fixtures/gaps");

test("has the seed's shape: before is the earlier row, values are strings as Python's", () => {
  expect(analyzeGaps(join(FIXTURES, "gap-1h.csv"), 3600)).toEqual([
    { before: "2024-01-01T01:00:00+00:00", after: "2024-01-01T04:00:00+00:00", gap_seconds: "10800", missing_candles: "2" },
  ]);
});

test("is not fooled where the seed was: duplicates, late rows and glued rows", () => {
  expect(analyzeGaps(join(FIXTURES, "duplicate-identical-1h.csv"), 3600)).toEqual([]);
  expect(analyzeGaps(join(FIXTURES, "late-fills-hole-1h.csv"), 3600)).toEqual([]);
  expect(analyzeGaps(join(FIXTURES, "torn-glued-1h.csv"))).toEqual([
    { before: "2024-01-01T04:00:00+00:00", after: "2024-01-01T06:00:00+00:00", gap_seconds: "7200", missing_candles: "1" },
  ]);
});

test("refuses an interval Binance does not have, and a missing file", () => {
  expect(() => analyzeGaps(join(FIXTURES, "gap-1h.csv"), 3599)).toThrow("not a Binance interval");
  expect(() => analyzeGaps(join(FIXTURES, "no-such.csv"), 3600)).toThrow("no such file");
});
