import { expect, test } from "bun:test";
import { resolveConfig } from "../../src/config/resolve.ts";
import { UserError } from "../../src/errors.ts";

test("--symbol all with --quote and --exclude", () => {
  const c = resolveConfig({}, undefined, { symbol: "ALL", quote: "usdt,fdusd", exclude: "btcusdt" });
  expect(c.symbolSelection).toEqual({ all: true, quote: ["USDT", "FDUSD"], exclude: ["BTCUSDT"], shard: undefined });
  expect(c.symbols).toEqual([]);
  expect(c.streamsPerConnection).toBe(200);
  expect(c.symbolsRefreshMs).toBe(3_600_000);
});

test("config keys: binance.stream.symbols: all, quote, exclude, symbols_refresh, streams_per_connection", () => {
  const c = resolveConfig({ binance: { stream: { symbols: "all", quote: ["USDT"], exclude: ["PEPEUSDT"], symbols_refresh: "30m", streams_per_connection: 100 } } }, "r.yml", {});
  expect(c.symbolSelection).toEqual({ all: true, quote: ["USDT"], exclude: ["PEPEUSDT"], shard: undefined });
  expect(c.symbolsRefreshMs).toBe(1_800_000);
  expect(c.streamsPerConnection).toBe(100);
  expect(c.warnings).toEqual([]);
});

test("an explicit list keeps working, minus --exclude; --quote with a list is a warning", () => {
  const c = resolveConfig({}, undefined, { symbol: "btcusdt,ethusdt", exclude: "ETHUSDT", quote: "USDT" });
  expect(c.symbols).toEqual(["BTCUSDT"]);
  expect(c.symbolSelection.all).toBe(false);
  expect(c.warnings.join("\n")).toContain("--quote applies to --symbol all only");
});

test("600 named streams are no longer refused: the pool shards them", () => {
  const symbols = Array.from({ length: 300 }, (_, i) => `S${i}USDT`).join(",");
  expect(resolveConfig({}, undefined, { symbol: symbols, interval: "1s,1m" }).symbols.length).toBe(300);
});

test.each([
  [{ streamsPerConnection: "1025" }, "at most 1024"],
  [{ streamsPerConnection: "0" }, "whole number of 1 or more"],
  [{ streamsPerConnection: "lots" }, "--streams-per-connection"],
  [{ symbolsRefresh: "1s" }, "too often"],
  [{ symbolsRefresh: "soon" }, "--symbols-refresh"],
  [{ symbol: "BTCUSDT", exclude: "BTCUSDT" }, "every symbol named is excluded"],
])("bad whole-market flags are one-line UserErrors: %p", (overrides, message) => {
  expect(() => resolveConfig({}, undefined, overrides)).toThrow(UserError);
  expect(() => resolveConfig({}, undefined, overrides)).toThrow(message);
});
