import { expect, test } from "bun:test";
import type { Candle } from "../../src/candles/candle.ts";
import { rowDifferences, sameDecimal } from "../../src/candles/row-compare.ts";
import { checkTail, inProgressTail } from "../../src/supervisor/tail-check.ts";

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1, 12);
function candle(i: number, close = "42011.87000000"): Candle {
  const t = T0 + i * H;
  return { symbol: "BTCUSDT", interval: "1h", openTime: t, closeTime: t + H - 1, open: "42000.01000000", high: "42100.00000000", low: "41950.55000000", close, volume: "12.34567891", quoteVolume: "518000.12", trades: 1200, takerBuyBase: "6.1", takerBuyQuote: "256000.5" };
}
const iso = (i: number) => new Date(T0 + i * H).toISOString().replace(".000Z", "Z");
const ours = (i: number, close = "42011.87000000") => `${iso(i)},42000.01000000,42100.00000000,41950.55000000,${close},12.34567891`;

test.each([
  ["12.35", "12.34567891", true], // kstlib's %.2f
  ["12.34", "12.34567891", false],
  ["42000.01", "42000.01000000", true],
  ["42000.01000000", "42000.01", true],
  ["0.5", "0.45", true], // half up
  ["0.4", "0.45", true], // a float's half down
  ["0.3", "0.45", false],
  ["-1.20", "-1.2", true],
  ["1", "1.4", true],
  ["1", "1.6", false],
  ["abc", "1", false],
])("sameDecimal(%p, %p) is %p", (written, exact, same) => {
  expect(sameDecimal(written, exact)).toBe(same);
});

test("a row agrees with its candle in our formats and in kstlib's rounded one", () => {
  expect(rowDifferences(ours(0), candle(0))).toEqual([]);
  expect(rowDifferences(`${iso(0)},42000.01,42100.00,41950.55,42011.87,12.35`, candle(0))).toEqual([]);
  const full = `${ours(0)},${new Date(T0 + H - 1).toISOString()},518000.12,1200,6.1,256000.5`;
  expect(rowDifferences(full, candle(0))).toEqual([]);
  expect(rowDifferences(full.replace(",1200,", ",1199,"), candle(0))).toEqual(["trades"]);
});

test("an in-progress row differs in its close, volume or both", () => {
  expect(rowDifferences(ours(0, "42005.00000000"), candle(0))).toEqual(["close"]);
  expect(rowDifferences(`${iso(0)},42000.01,42100.00,41950.55,42011.87,3.10`, candle(0))).toEqual(["volume"]);
  expect(rowDifferences("not,a,row", candle(0))).toEqual(["row"]);
});

test("checkTail: agreement, a replaced last row, a file from another source, and no answer", () => {
  const exchange = [candle(0), candle(1)];
  expect(checkTail([ours(0), ours(1)], exchange)).toEqual({ kind: "agrees" });
  const bad = ours(1, "1.00000000");
  expect(checkTail([ours(0), bad], exchange)).toEqual({ kind: "replace", openTime: T0 + H, row: bad, exchange: candle(1), fields: ["close"], earlierDiffers: false });
  expect(checkTail([ours(0, "2.0"), bad], exchange)).toMatchObject({ kind: "replace", earlierDiffers: true });
  expect(checkTail([ours(0), bad], [candle(0)])).toEqual({ kind: "unverified", why: "the exchange did not return that candle" });
  expect(checkTail([], exchange)).toEqual({ kind: "agrees" });
});

test("inProgressTail: a last row whose candle is still open by the clock must go", () => {
  expect(inProgressTail([ours(0), ours(1)], "1h", T0 + H + 30 * 60_000)).toEqual({ kind: "remove", openTime: T0 + H, row: ours(1) });
  expect(inProgressTail([ours(0), ours(1)], "1h", T0 + 2 * H)).toEqual({ kind: "agrees" });
});
