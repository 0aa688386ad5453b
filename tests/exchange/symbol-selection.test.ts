import { describe, expect, test } from "bun:test";
import type { SymbolInfo } from "../../src/exchange/exchange-info.ts";
import { diffSymbols, selectSymbols } from "../../src/exchange/symbol-selection.ts";

const info = (symbol: string, quoteAsset: string, status = "TRADING", spotTradingAllowed = true): SymbolInfo => ({
  symbol,
  status,
  baseAsset: symbol.slice(0, symbol.length - quoteAsset.length),
  quoteAsset,
  spotTradingAllowed,
});

const LISTED: SymbolInfo[] = [
  info("ETHUSDT", "USDT"),
  info("BTCUSDT", "USDT"),
  info("ETHBTC", "BTC"),
  info("LUNAUSDT", "USDT", "BREAK"),
  info("OLDUSDC", "USDC", "HALT"),
  info("MARGINONLYUSDT", "USDT", "TRADING", false),
  info("BNBFDUSD", "FDUSD"),
];

describe("selectSymbols", () => {
  test.each([
    ["all trading spot symbols, sorted", { symbols: "all" as const }, ["BNBFDUSD", "BTCUSDT", "ETHBTC", "ETHUSDT"]],
    ["all, of the wanted quotes (any case)", { symbols: "all" as const, quote: ["usdt", "Btc"] }, ["BTCUSDT", "ETHBTC", "ETHUSDT"]],
    ["all, minus the excluded (any case)", { symbols: "all" as const, quote: ["USDT"], exclude: ["ethusdt"] }, ["BTCUSDT"]],
  ])("%s", (_name, want, trading) => {
    expect(selectSymbols(LISTED, want)).toEqual({ trading, halted: [], unknown: [] });
  });

  test("an explicit list: trading, halted (or not spot) and unknown, quote filter not applied, exclude applied", () => {
    const selection = selectSymbols(LISTED, {
      symbols: ["ethbtc", "BTCUSDT", "LUNAUSDT", "OLDUSDC", "MARGINONLYUSDT", "NOPEUSDT", "btcusdt", "BNBFDUSD"],
      quote: ["USDT"],
      exclude: ["bnbfdusd"],
    });
    expect(selection).toEqual({
      trading: ["BTCUSDT", "ETHBTC"],
      halted: [
        { symbol: "LUNAUSDT", status: "BREAK" },
        { symbol: "MARGINONLYUSDT", status: "TRADING (spot trading not allowed)" },
        { symbol: "OLDUSDC", status: "HALT" },
      ],
      unknown: ["NOPEUSDT"],
    });
  });
});

describe("diffSymbols", () => {
  test.each([
    ["nothing changed", ["A", "B"], ["B", "A"], [], []],
    ["a listing and a delisting", ["BTCUSDT", "LUNAUSDT"], ["NEWUSDT", "BTCUSDT", "ABCUSDT"], ["ABCUSDT", "NEWUSDT"], ["LUNAUSDT"]],
    ["from nothing", [], ["B", "A"], ["A", "B"], []],
  ])("%s", (_name, before, after, added, removed) => {
    expect(diffSymbols(before, new Set(after))).toEqual({ added, removed });
  });
});
