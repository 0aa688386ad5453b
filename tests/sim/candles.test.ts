import { describe, expect, test } from "bun:test";
import { liveKline, simulatedKline, type SimKline } from "../../src/sim/candles.ts";
import { INTERVALS, nextOpenTime } from "../../src/time/intervals.ts";

const T0 = Date.UTC(2024, 0, 1);
const DECIMAL = /^\d+\.\d{8}$/;

function series(symbol: string, interval: (typeof INTERVALS)[number], count: number, seed = 1): SimKline[] {
  const out: SimKline[] = [];
  for (let t = T0, i = 0; i < count; i++, t = nextOpenTime(interval, t)) out.push(simulatedKline(seed, symbol, interval, t));
  return out;
}

const num = (s: string) => Number(s);

describe("simulatedKline (the truth)", () => {
  test("is a pure function of seed, symbol, interval and open time", () => {
    expect(simulatedKline(7, "BTCUSDT", "1m", T0)).toEqual(simulatedKline(7, "BTCUSDT", "1m", T0));
    expect(simulatedKline(7, "BTCUSDT", "1m", T0).close).not.toBe(simulatedKline(8, "BTCUSDT", "1m", T0).close);
    expect(simulatedKline(7, "BTCUSDT", "1m", T0).close).not.toBe(simulatedKline(7, "ETHUSDT", "1m", T0).close);
  });

  test.each(INTERVALS.map((i) => [i]))("%s candles chain: each opens at the previous close, trade ids run on", (interval) => {
    const candles = series("ETHUSDT", interval, 30);
    for (const [i, k] of candles.entries()) {
      expect(k.closeTime).toBe(nextOpenTime(interval, k.openTime) - 1);
      expect(num(k.high)).toBeGreaterThanOrEqual(Math.max(num(k.open), num(k.close)));
      expect(num(k.low)).toBeLessThanOrEqual(Math.min(num(k.open), num(k.close)));
      expect(num(k.low)).toBeGreaterThan(0);
      expect(k.trades).toBeGreaterThan(0);
      expect(k.lastTradeId - k.firstTradeId + 1).toBe(k.trades);
      expect(num(k.takerBuyBase)).toBeLessThanOrEqual(num(k.volume));
      const vwap = num(k.quoteVolume) / num(k.volume);
      expect(vwap).toBeGreaterThanOrEqual(num(k.low) * 0.999999);
      expect(vwap).toBeLessThanOrEqual(num(k.high) * 1.000001);
      for (const v of [k.open, k.high, k.low, k.close, k.volume, k.quoteVolume, k.takerBuyBase, k.takerBuyQuote]) expect(v).toMatch(DECIMAL);
      const previous = candles[i - 1];
      if (previous) {
        expect(k.open).toBe(previous.close);
        expect(k.firstTradeId).toBe(previous.lastTradeId + 1);
      }
    }
  });

  test("prices move like a market: not flat, within a sane band of the reference", () => {
    const closes = series("BTCUSDT", "1m", 600).map((k) => num(k.close));
    expect(new Set(closes).size).toBeGreaterThan(500);
    expect(Math.min(...closes)).toBeGreaterThan(40_000);
    expect(Math.max(...closes)).toBeLessThan(90_000);
  });

  test("BTCUSDT sits on a 0.01 tick and a 0.00001 lot; PEPEUSDT has 8-decimal prices and whole lots", () => {
    for (const k of series("BTCUSDT", "1m", 50)) {
      for (const p of [k.open, k.high, k.low, k.close]) expect(p).toMatch(/^\d{5}\.\d{2}000000$/);
      expect(k.volume).toMatch(/\.\d{5}000$/);
    }
    for (const k of series("PEPEUSDT", "1s", 50)) {
      for (const p of [k.open, k.high, k.low, k.close]) expect(p).toMatch(/^0\.0000\d{4}$/);
      expect(k.volume).toMatch(/^\d+\.00000000$/);
      expect(k.trades).toBeGreaterThan(0);
    }
  });

  test("an unknown symbol still gets sensible decimals", () => {
    const k = simulatedKline(1, "FOOBARUSDT", "1h", T0);
    expect(num(k.close)).toBeGreaterThan(0);
    expect(k.close).toMatch(DECIMAL);
  });

  test("1w candles open on Monday and 1M candles span the calendar month", () => {
    const week = simulatedKline(1, "BTCUSDT", "1w", Date.UTC(2024, 0, 1));
    expect(new Date(week.closeTime + 1).getUTCDay()).toBe(1);
    const feb = simulatedKline(1, "BTCUSDT", "1M", Date.UTC(2024, 1, 1));
    expect(feb.closeTime).toBe(Date.UTC(2024, 2, 1) - 1);
  });
});

describe("liveKline (the candle before its close)", () => {
  test("grows monotonically towards the final values and equals them at the close", () => {
    const final = simulatedKline(3, "BTCUSDT", "1m", T0);
    let previous = liveKline(final, T0);
    expect([previous.high, previous.low, previous.trades]).toEqual([final.open, final.open, 0]);
    for (let t = T0 + 2000; t < T0 + 60_000; t += 2000) {
      const live = liveKline(final, t);
      expect(live.open).toBe(final.open);
      expect(num(live.high)).toBeGreaterThanOrEqual(num(previous.high));
      expect(num(live.low)).toBeLessThanOrEqual(num(previous.low));
      expect(num(live.high)).toBeLessThanOrEqual(num(final.high));
      expect(num(live.low)).toBeGreaterThanOrEqual(num(final.low));
      expect(num(live.close)).toBeLessThanOrEqual(num(live.high));
      expect(num(live.close)).toBeGreaterThanOrEqual(num(live.low));
      expect(live.trades).toBeGreaterThanOrEqual(previous.trades);
      expect(num(live.volume)).toBeGreaterThanOrEqual(num(previous.volume));
      expect(live.lastTradeId).toBe(live.firstTradeId + live.trades - 1);
      for (const p of [live.high, live.low, live.close]) expect(p).toMatch(/\.\d{2}000000$/);
      expect(live.volume).toMatch(/\.\d{5}000$/);
      previous = live;
    }
    expect(liveKline(final, T0 + 60_000)).toEqual(final);
  });
});
