import { afterEach, expect, test } from "bun:test";
import { fetchClosedKlines } from "../../src/exchange/rest-klines.ts";
import { fetchExchangeInfo, parseExchangeInfo } from "../../src/exchange/exchange-info.ts";
import { klinesRequest, MARKET_PROFILES, restRoot } from "../../src/exchange/market.ts";
import { selectSymbols } from "../../src/exchange/symbol-selection.ts";
import { createRestBudget } from "../../src/exchange/rest-budget.ts";
import { systemClock } from "../../src/clock.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const M = 60_000;
const T0 = Date.UTC(2024, 0, 1);
let server: ReturnType<typeof Bun.serve> | undefined;
afterEach(() => server?.stop(true));

/** A server with only `prefix` (e.g. /fapi/v1): every request is recorded; anything else is 404. */
function serveOnly(prefix: string, now: number, info: unknown = { symbols: [] }) {
  const seen: URL[] = [];
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const url = new URL(req.url);
      seen.push(url);
      const headers = { date: new Date(now).toUTCString() };
      if (url.pathname === `${prefix}/exchangeInfo`) return Response.json(info, { headers });
      if (url.pathname !== `${prefix}/klines`) return new Response("not found", { status: 404 });
      const start = Math.ceil(Number(url.searchParams.get("startTime")) / M) * M;
      const end = Math.min(Number(url.searchParams.get("endTime") ?? Infinity), start + (Number(url.searchParams.get("limit")) - 1) * M, now);
      const out: unknown[][] = [];
      for (let t = start; t <= end; t += M) out.push([t, "1.10000000", "1.20000000", "1.00000000", "1.15000000", "10.5", t + M - 1, "11.5", 3, "5.25", "5.75", "0"]);
      return Response.json(out, { headers });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, seen };
}

test("futures klines weights: a repair of a few candles costs 1, a few hundred 2, more 5 (never 10 for 1500); spot is 2 for 1000", () => {
  expect([1, 99, 100, 499, 500, 5000].map((n) => klinesRequest("usdm", n))).toEqual([
    { limit: 99, weight: 1 }, { limit: 99, weight: 1 }, { limit: 499, weight: 2 }, { limit: 499, weight: 2 }, { limit: 1000, weight: 5 }, { limit: 1000, weight: 5 },
  ]);
  expect(klinesRequest("coinm", 3)).toEqual({ limit: 99, weight: 1 });
  expect(klinesRequest("spot", 3)).toEqual({ limit: 1000, weight: 2 });
  expect(["https://fapi.binance.com/fapi/v1", "http://h:1/dapi/v1/", "https://api.binance.com/api/v3", "http://h:1/"].map(restRoot)).toEqual(["https://fapi.binance.com", "http://h:1", "https://api.binance.com", "http://h:1"]);
});

test("usdm klines go to /fapi/v1/klines, coinm to /dapi/v1/klines, with the cheapest limit; a long backfill pages by 1000", async () => {
  const now = T0 + 2400 * M + 30_000;
  const usdm = serveOnly("/fapi/v1", now);
  const clock = new FakeClock(now);
  const budget = createRestBudget({ clock });
  const few = await fetchClosedKlines({ restUrl: usdm.url, market: "usdm", symbol: "BTCUSDT", interval: "1m", startTime: T0 + 2397 * M, budget, clock });
  expect(few.map((c) => c.openTime)).toEqual([T0 + 2397 * M, T0 + 2398 * M, T0 + 2399 * M]);
  expect(usdm.seen.map((u) => `${u.pathname}?limit=${u.searchParams.get("limit")}`)).toEqual(["/fapi/v1/klines?limit=99"]);
  expect(budget.snapshot().usedThisMinute).toBe(1);
  usdm.seen.length = 0;
  const all = await fetchClosedKlines({ restUrl: `${usdm.url}/fapi/v1`, market: "usdm", symbol: "BTCUSDT", interval: "1m", startTime: T0, clock });
  expect(all).toHaveLength(2400);
  expect(usdm.seen.map((u) => u.searchParams.get("limit"))).toEqual(["1000", "1000", "499"]);
  server!.stop(true);
  const coinm = serveOnly("/dapi/v1", now);
  const one = await fetchClosedKlines({ restUrl: coinm.url, market: "coinm", symbol: "BTCUSD_PERP", interval: "1m", startTime: T0 + 2399 * M, clock });
  expect(one.map((c) => c.openTime)).toEqual([T0 + 2399 * M]);
  expect(coinm.seen[0]!.pathname).toBe("/dapi/v1/klines");
  expect(coinm.seen[0]!.searchParams.get("symbol")).toBe("BTCUSD_PERP");
});

const USDM_INFO = {
  rateLimits: [{ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 2400 }],
  symbols: [
    { symbol: "BTCUSDT", pair: "BTCUSDT", contractType: "PERPETUAL", status: "TRADING", baseAsset: "BTC", quoteAsset: "USDT", marginAsset: "USDT" },
    { symbol: "BTCUSDT_261225", pair: "BTCUSDT", contractType: "CURRENT_QUARTER", status: "TRADING", baseAsset: "BTC", quoteAsset: "USDT", marginAsset: "USDT" },
    { symbol: "ETHUSDT_260925", pair: "ETHUSDT", contractType: "CURRENT_QUARTER", status: "SETTLING", baseAsset: "ETH", quoteAsset: "USDT", marginAsset: "USDT" },
    { symbol: "SOLUSDC", pair: "SOLUSDC", contractType: "PERPETUAL", status: "TRADING", baseAsset: "SOL", quoteAsset: "USDC", marginAsset: "USDC" },
    { symbol: "BTCDOMUSDT", pair: "BTCDOMUSDT", contractType: "", status: "TRADING", baseAsset: "BTCDOM", quoteAsset: "USDT", marginAsset: "USDT" },
  ],
};
const COINM_INFO = {
  rateLimits: [{ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 2400 }],
  symbols: [
    { symbol: "BTCUSD_PERP", pair: "BTCUSD", contractType: "PERPETUAL", contractStatus: "TRADING", baseAsset: "BTC", quoteAsset: "USD", marginAsset: "BTC" },
    { symbol: "BTCUSD_261225", pair: "BTCUSD", contractType: "CURRENT_QUARTER", contractStatus: "TRADING", baseAsset: "BTC", quoteAsset: "USD", marginAsset: "BTC" },
    { symbol: "ETHUSD_260925", pair: "ETHUSD", contractType: "CURRENT_QUARTER", contractStatus: "DELIVERING", baseAsset: "ETH", quoteAsset: "USD", marginAsset: "ETH" },
  ],
};

test("futures exchangeInfo: --symbol all takes the TRADING perpetual and delivery contracts (COIN-M's contractStatus too), --quote filters", async () => {
  expect(selectSymbols(parseExchangeInfo(USDM_INFO).symbols, { symbols: "all" }).trading).toEqual(["BTCUSDT", "BTCUSDT_261225", "SOLUSDC"]);
  expect(selectSymbols(parseExchangeInfo(USDM_INFO).symbols, { symbols: "all", quote: ["usdt"] }).trading).toEqual(["BTCUSDT", "BTCUSDT_261225"]);
  const named = selectSymbols(parseExchangeInfo(USDM_INFO).symbols, { symbols: ["btcusdt", "ethusdt_260925", "nope"] });
  expect(named).toEqual({ trading: ["BTCUSDT"], halted: [{ symbol: "ETHUSDT_260925", status: "SETTLING" }], unknown: ["NOPE"] });
  const now = T0;
  const coinm = serveOnly("/dapi/v1", now, COINM_INFO);
  const budget = createRestBudget({ clock: systemClock });
  const info = await fetchExchangeInfo({ restUrl: coinm.url, market: "coinm", budget });
  expect(coinm.seen.map((u) => u.pathname)).toEqual(["/dapi/v1/exchangeInfo"]);
  expect(budget.snapshot()).toMatchObject({ usedThisMinute: MARKET_PROFILES.coinm.exchangeInfoWeight, limitPerMinute: 2400 });
  expect(selectSymbols(info.symbols, { symbols: "all" }).trading).toEqual(["BTCUSD_261225", "BTCUSD_PERP"]);
});
