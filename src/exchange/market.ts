import { INTERVALS, type Interval } from "../time/intervals.ts";

/** Binance spot, USDⓈ-M futures, COIN-M futures. */
export type Market = "spot" | "usdm" | "coinm";
export const MARKETS: readonly Market[] = ["spot", "usdm", "coinm"];

/** Where a market lives and what its API allows (binance.md section 7). */
export interface MarketProfile {
  market: Market;
  /** Stream base: `/stream?streams=` and `/ws/<stream>` are appended. */
  wsUrl: string;
  /** REST base: `restPath` is appended. */
  restUrl: string;
  testnet: { wsUrl: string; restUrl: string };
  /** `/api/v3`, `/fapi/v1`, `/dapi/v1`: klines and exchangeInfo live under it. */
  restPath: string;
  /** Most candles one klines request returns. */
  klinesLimit: number;
  /** REQUEST_WEIGHT of one klines request for `limit` candles. */
  klinesWeight(limit: number): number;
  /** REQUEST_WEIGHT of exchangeInfo without a symbol filter. */
  exchangeInfoWeight: number;
  /** Intervals the market's klines take (futures have no 1s). */
  intervals: readonly Interval[];
  /** Incoming messages a connection may send per second (subscriptions, pongs). */
  messagesPerSecond: number;
}

/** Futures klines weight by `limit`: 1 under 100, 2 under 500, 5 up to 1000, 10 above. */
function futuresKlinesWeight(limit: number): number {
  return limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10;
}

const FUTURES_INTERVALS = INTERVALS.filter((i) => i !== "1s");

export const MARKET_PROFILES: Record<Market, MarketProfile> = {
  spot: {
    market: "spot",
    wsUrl: "wss://stream.binance.com:9443",
    restUrl: "https://api.binance.com",
    testnet: { wsUrl: "wss://stream.testnet.binance.vision", restUrl: "https://testnet.binance.vision" },
    restPath: "/api/v3",
    klinesLimit: 1000,
    klinesWeight: () => 2,
    exchangeInfoWeight: 20,
    intervals: INTERVALS,
    messagesPerSecond: 5,
  },
  usdm: {
    market: "usdm",
    // Kline streams moved under /market on 2026-04-23; the test network kept the old paths.
    wsUrl: "wss://fstream.binance.com/market",
    restUrl: "https://fapi.binance.com",
    testnet: { wsUrl: "wss://fstream.binancefuture.com", restUrl: "https://testnet.binancefuture.com" },
    restPath: "/fapi/v1",
    klinesLimit: 1500,
    klinesWeight: futuresKlinesWeight,
    exchangeInfoWeight: 1,
    intervals: FUTURES_INTERVALS,
    messagesPerSecond: 10,
  },
  coinm: {
    market: "coinm",
    wsUrl: "wss://dstream.binance.com",
    restUrl: "https://dapi.binance.com",
    testnet: { wsUrl: "wss://dstream.binancefuture.com", restUrl: "https://testnet.binancefuture.com" },
    restPath: "/dapi/v1",
    klinesLimit: 1500,
    klinesWeight: futuresKlinesWeight,
    exchangeInfoWeight: 1,
    intervals: FUTURES_INTERVALS,
    messagesPerSecond: 10,
  },
};

export function isMarket(text: string): text is Market {
  return (MARKETS as readonly string[]).includes(text);
}

/**
 * The `limit` and REQUEST_WEIGHT of a klines request wanting about `wanted` candles. Spot
 * costs 2 up to 1000. Futures cost by limit: a repair of a few candles asks 99 (weight 1),
 * a few hundred 499 (2), more 1000 (5), never 1500 (10 for half as many again).
 */
export function klinesRequest(market: Market, wanted: number): { limit: number; weight: number } {
  const profile = MARKET_PROFILES[market];
  if (market === "spot") return { limit: profile.klinesLimit, weight: profile.klinesWeight(profile.klinesLimit) };
  const limit = wanted < 100 ? 99 : wanted < 500 ? 499 : 1000;
  return { limit, weight: profile.klinesWeight(limit) };
}

/** `/api/v3`, `/fapi/v1` or `/dapi/v1` and anything after it, cut off a REST base URL (a trailing slash too). */
export function restRoot(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/(api|fapi|dapi)(\/v\d)?$/, "");
}
