import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { resolveConfig } from "../../src/config/resolve.ts";
import { userErrorOf as failure } from "../helpers/user-error.ts";
import { csvFileName } from "../../src/candles/csv.ts";
import { intervalFromName, marketFromName, symbolFromName } from "../../src/candles/audit-file.ts";


test("each market's default hosts, and its test network's", () => {
  const hosts = (o: Record<string, string>) => {
    const c = resolveConfig({}, undefined, { interval: "1m", ...o });
    return [c.market, c.testnet, c.wsUrl, c.restUrl];
  };
  expect(hosts({})).toEqual(["spot", false, "wss://stream.binance.com:9443", "https://api.binance.com"]);
  expect(hosts({ market: "usdm" })).toEqual(["usdm", false, "wss://fstream.binance.com/market", "https://fapi.binance.com"]);
  expect(hosts({ market: "COINM" })).toEqual(["coinm", false, "wss://dstream.binance.com", "https://dapi.binance.com"]);
  expect(hosts({ testnet: "true" })).toEqual(["spot", true, "wss://stream.testnet.binance.vision", "https://testnet.binance.vision"]);
  expect(hosts({ market: "usdm", testnet: "true" })).toEqual(["usdm", true, "wss://fstream.binancefuture.com", "https://testnet.binancefuture.com"]);
  expect(hosts({ market: "coinm", testnet: "1" })).toEqual(["coinm", true, "wss://dstream.binancefuture.com", "https://testnet.binancefuture.com"]);
  // --ws-url / --rest-url still win; the market's paths go after whatever base is given.
  expect(hosts({ market: "usdm", wsUrl: "ws://127.0.0.1:9/market", restUrl: "http://127.0.0.1:9" })).toEqual(["usdm", false, "ws://127.0.0.1:9/market", "http://127.0.0.1:9"]);
});

test("binance.market and binance.testnet in a config file; RESILIENCE_MARKET and RESILIENCE_TESTNET", async () => {
  const c = resolveConfig({ binance: { market: "coinm", testnet: true, stream: { symbols: ["btcusd_perp"], timeframe: "1m" } } }, "r.yml", {});
  expect([c.market, c.testnet, c.symbols, c.restUrl]).toEqual(["coinm", true, ["BTCUSD_PERP"], "https://testnet.binancefuture.com"]);
  const e = await loadConfig({ env: { RESILIENCE_MARKET: "usdm", RESILIENCE_TESTNET: "true", RESILIENCE_INTERVAL: "5m" } });
  expect([e.market, e.testnet, e.wsUrl]).toEqual(["usdm", true, "wss://fstream.binancefuture.com"]);
});

test("futures have no 1s candles: a usage error naming the flag; a bad market or testnet value is one line too", () => {
  expect(failure(() => resolveConfig({}, undefined, { market: "usdm", interval: "1m,1s" }))).toBe("--interval: 1s is not served on usdm (futures have no 1s candles); use 1m or longer, or --market spot");
  expect(failure(() => resolveConfig({ binance: { market: "coinm", stream: { timeframe: "1s" } } }, "r.yml", {}))).toContain("r.yml: binance.stream.timeframes: 1s is not served on coinm");
  expect(failure(() => resolveConfig({}, undefined, { market: "options" }))).toBe('--market: "options" is not a market; use one of spot, usdm, coinm');
  expect(failure(() => resolveConfig({}, undefined, { testnet: "maybe" }))).toContain('--testnet: "maybe" is not true or false');
  expect(resolveConfig({}, undefined, { interval: "1s" }).intervals).toEqual(["1s"]);
});

test("file names: spot keeps kstlib's, other markets carry theirs; gaps reads market, symbol and interval back", () => {
  expect(csvFileName("BTCUSDT", "1h")).toBe("candles_BTCUSDT_1h.csv");
  expect(csvFileName("BTCUSDT", "1m", "usdm")).toBe("candles_usdm_BTCUSDT_1m.csv");
  expect(csvFileName("BTCUSD_PERP", "1M", "coinm")).toBe("candles_coinm_BTCUSD_PERP_1M.csv");
  const names = ["out/candles_BTCUSDT_1h.csv", "candles_usdm_BTCUSDT_1m.csv", "candles_coinm_BTCUSD_PERP_1M.csv", "candles_coinm_BTCUSD_261225_15m.csv", "BTCUSD_PERP-1m-2024-01.csv"];
  expect(names.map((n) => [marketFromName(n), symbolFromName(n), intervalFromName(n)])).toEqual([
    ["spot", "BTCUSDT", "1h"],
    ["usdm", "BTCUSDT", "1m"],
    ["coinm", "BTCUSD_PERP", "1M"],
    ["coinm", "BTCUSD_261225", "15m"],
    ["spot", "BTCUSD_PERP", "1m"],
  ]);
});
