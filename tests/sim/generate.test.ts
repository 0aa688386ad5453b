import { describe, expect, test } from "bun:test";
import { generateSymbols, listingName } from "../../src/sim/generate.ts";
import { candleExists, haltPeriods, nextTradingOpen, previousTradingOpen, resumePeriods, type TradingPeriod } from "../../src/sim/trading-periods.ts";
import { startFakeBinance } from "../helpers/fake-binance.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const T0 = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;

describe("generateSymbols", () => {
  const market = generateSymbols(1500, 1);
  const trading = market.filter((s) => s.status === "TRADING");

  test("N TRADING symbols, Binance's biggest first, then valid generated names, all distinct", () => {
    expect(trading).toHaveLength(1500);
    expect(trading.slice(0, 5).map((s) => s.symbol)).toEqual(["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT"]);
    expect(new Set(market.map((s) => s.symbol)).size).toBe(market.length);
    for (const s of market) {
      expect(s.symbol).toMatch(/^[A-Z0-9]{2,20}$/);
      expect(s.symbol).toBe(s.baseAsset + s.quoteAsset);
      expect(s.baseAsset).not.toBe(s.quoteAsset);
    }
  });

  test("quotes are about 70% USDT, 15% FDUSD, 10% BTC, 5% others", () => {
    const share = (quote: string) => trading.filter((s) => s.quoteAsset === quote).length / trading.length;
    expect(share("USDT")).toBeGreaterThan(0.65);
    expect(share("USDT")).toBeLessThan(0.76);
    expect(share("FDUSD")).toBeGreaterThan(0.11);
    expect(share("FDUSD")).toBeLessThan(0.19);
    expect(share("BTC")).toBeGreaterThan(0.07);
    expect(share("BTC")).toBeLessThan(0.13);
    const others = 1 - share("USDT") - share("FDUSD") - share("BTC");
    expect(others).toBeGreaterThan(0.02);
    expect(others).toBeLessThan(0.08);
  });

  test("about 3% extra BREAK symbols, spread among the TRADING ones", () => {
    const breaks = market.filter((s) => s.status === "BREAK");
    expect(breaks).toHaveLength(45);
    expect(market.findIndex((s) => s.status === "BREAK")).toBeGreaterThan(10);
    expect(market.at(-1)!.status === "BREAK" || market.slice(-60).some((s) => s.status === "BREAK")).toBe(true);
  });

  test("is deterministic from the seed", () => {
    expect(generateSymbols(300, 1)).toEqual(generateSymbols(300, 1));
    expect(generateSymbols(300, 2).map((s) => s.symbol)).not.toEqual(generateSymbols(300, 1).map((s) => s.symbol));
    expect(generateSymbols(300, 2).slice(0, 20)).toEqual(generateSymbols(300, 1).slice(0, 20));
  });

  test("listingName gives a new USDT name, never one taken", () => {
    const taken = new Set(market.map((s) => s.symbol));
    const first = listingName(1, 0, taken);
    expect(first.symbol).toMatch(/^[A-Z0-9]{2,16}USDT$/);
    expect(first.quoteAsset).toBe("USDT");
    expect(taken.has(first.symbol)).toBe(false);
    expect(listingName(1, 0, new Set([...taken, first.symbol])).symbol).not.toBe(first.symbol);
  });
});

describe("trading periods", () => {
  const always: TradingPeriod[] = [{ from: -Infinity }];

  test("a halt ends the candles opening at or after it; a resume brings back the one containing it", () => {
    const halted = haltPeriods(always, T0 + 2 * MINUTE);
    const resumed = resumePeriods(halted, T0 + 5 * MINUTE + 30_000);
    const exists = (t: number) => candleExists(resumed, "1m", t);
    expect([0, 1, 2, 3, 4, 5, 6].map((m) => exists(T0 + m * MINUTE))).toEqual([true, true, false, false, false, true, true]);
    expect(candleExists(resumed, "1h", T0)).toBe(true);
    expect(nextTradingOpen(resumed, "1m", T0 + 2 * MINUTE)).toBe(T0 + 5 * MINUTE);
    expect(previousTradingOpen(resumed, "1m", T0 + 4 * MINUTE)).toBe(T0 + MINUTE);
  });

  test("a halt in the middle of a candle keeps that candle", () => {
    const halted = haltPeriods(always, T0 + 90_000);
    expect(candleExists(halted, "1m", T0 + MINUTE)).toBe(true);
    expect(candleExists(halted, "1m", T0 + 2 * MINUTE)).toBe(false);
  });

  test("a listing starts at the candle containing it; nothing before, nothing at all for BREAK", () => {
    const listed: TradingPeriod[] = [{ from: T0 + 90_000 }];
    expect(candleExists(listed, "1m", T0)).toBe(false);
    expect(candleExists(listed, "1m", T0 + MINUTE)).toBe(true);
    expect(candleExists(listed, "1s", T0 + 89_000)).toBe(false);
    expect(candleExists(listed, "1s", T0 + 90_000)).toBe(true);
    expect(nextTradingOpen(listed, "1m", 0)).toBe(T0 + MINUTE);
    expect(previousTradingOpen(listed, "1m", T0)).toBe(-Infinity);
    expect(nextTradingOpen([], "1m", 0)).toBe(Infinity);
  });
});

describe("a generated market over REST", () => {
  test("exchangeInfo lists every symbol with its status, quote and base; BREAK symbols have no candles", async () => {
    await using exchange = await startFakeBinance({ clock: new FakeClock(T0 + 10 * MINUTE), generate: 1500, seed: 1 });
    const info = (await (await fetch(`${exchange.url}/api/v3/exchangeInfo`)).json()) as { symbols: Record<string, unknown>[] };
    expect(info.symbols).toHaveLength(1545);
    expect(info.symbols.slice(0, 2).map((s) => [s.symbol, s.status, s.baseAsset, s.quoteAsset, s.isSpotTradingAllowed])).toEqual([
      ["BTCUSDT", "TRADING", "BTC", "USDT", true],
      ["ETHUSDT", "TRADING", "ETH", "USDT", true],
    ]);
    const broken = info.symbols.filter((s) => s.status === "BREAK");
    expect(broken).toHaveLength(45);
    expect(broken.every((s) => s.isSpotTradingAllowed === false)).toBe(true);
    expect(new Set(info.symbols.map((s) => s.quoteAsset))).toContain("FDUSD");

    const name = broken[0]!.symbol as string;
    const rows = await (await fetch(`${exchange.url}/api/v3/klines?symbol=${name}&interval=1m&startTime=0`)).json();
    expect(rows).toEqual([]);
    expect(exchange.truth(name, "1m", T0)).toBeUndefined();
    const fdusd = info.symbols.find((s) => s.quoteAsset === "FDUSD")!.symbol as string;
    const traded = (await (await fetch(`${exchange.url}/api/v3/klines?symbol=${fdusd}&interval=1m&limit=3`)).json()) as unknown[][];
    expect(traded.map((r) => r[0])).toEqual([T0 + 8 * MINUTE, T0 + 9 * MINUTE, T0 + 10 * MINUTE]);
  });

  test("--symbol names keep working: all TRADING, quote guessed from the name", async () => {
    await using exchange = await startFakeBinance({ symbols: ["ETHBTC", "SOLFDUSD"] });
    const info = (await (await fetch(`${exchange.url}/api/v3/exchangeInfo`)).json()) as { symbols: Record<string, unknown>[] };
    expect(info.symbols.map((s) => [s.symbol, s.status, s.baseAsset, s.quoteAsset])).toEqual([
      ["ETHBTC", "TRADING", "ETH", "BTC"],
      ["SOLFDUSD", "TRADING", "SOL", "FDUSD"],
    ]);
  });

  test("a bad generate count refuses to start", async () => {
    await expect(startFakeBinance({ generate: 0 })).rejects.toThrow(/generate/);
  });
});
