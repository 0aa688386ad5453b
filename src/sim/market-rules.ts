import type { Market } from "../exchange/market.ts";
import { INTERVALS, type Interval } from "../time/intervals.ts";
import type { SymbolStatus } from "./market.ts";

/**
 * What the simulated exchange serves on each Binance market: where REST and the streams
 * live, and the limits it enforces. Written out here instead of read from
 * src/exchange/market.ts, so that a wrong fact in the recorder's table is not mirrored
 * by the simulator and caught by no test (STYLE.md, "Two sides of one protocol").
 *
 * Sources (developers.binance.com): spot rest-api.md and web-socket-streams.md; USDⓈ-M
 * and COIN-M "Kline-Candlestick-Data" (limit default 500, max 1500, weight 1/2/5/10),
 * "Exchange-Information" (weight 1, REQUEST_WEIGHT 2400 a minute), "Websocket Market
 * Streams" (10 incoming messages a second, 1024 streams), and USDⓈ-M's "Important
 * WebSocket Change Notice" (market streams under /market since 2026-04-23).
 */
export interface MarketRules {
  market: Market;
  /** Paths under this are REST (an unknown one gets Binance's JSON 404); `/api/`, `/fapi/`, `/dapi/`. */
  restRoot: string;
  /** `/api/v3`, `/fapi/v1`, `/dapi/v1`: ping, time, exchangeInfo, klines. */
  restPath: string;
  /** Stream paths (`/ws`, `/stream`) start here: "" or, on USDⓈ-M, `/market`. */
  streamRoot: string;
  /** `<root>/ws/a/b` names several streams in the path (USDⓈ-M's new routes); spot refuses it. */
  streamsInPath: boolean;
  klinesDefaultLimit: number;
  klinesMaxLimit: number;
  /** A klines `limit` over the max: spot serves the max, futures answer -1130. */
  overMaxLimit: "clamp" | "reject";
  /** REQUEST_WEIGHT of one klines request for `limit` candles. */
  klinesWeight(limit: number): number;
  /** REQUEST_WEIGHT of exchangeInfo. */
  exchangeInfoWeight: number;
  /** `uiKlines` exists (spot only). */
  uiKlines: boolean;
  /** Intervals of klines and kline streams (futures have no 1s). */
  intervals: ReadonlySet<Interval>;
  /** Incoming messages (control frames, pings, pongs) a connection may send per second. */
  messagesPerSecond: number;
  /** REQUEST_WEIGHT per minute when not told otherwise. */
  requestWeightPerMinute: number;
  /** Quote of the market's main symbols: default halts and new listings use it. */
  mainQuote: string;
  /** How exchangeInfo names each simulated status. */
  statusNames: Record<SymbolStatus, string>;
}

/** The markets, for `simulate --help`. */
export const MARKETS_HELP = [
  "--market: spot     REST /api/v3, streams /ws, /stream; klines limit max 1000, weight 2; 5 messages/s; 6000 weight/min",
  "          usdm     REST /fapi/v1 only, streams /market/ws, /market/stream only (run --ws-url ws://HOST:PORT/market);",
  "                   klines limit max 1500 (over it -1130), weight 1/2/5/10; no 1s; 10 messages/s; 2400 weight/min",
  "          coinm    REST /dapi/v1 only, streams /ws, /stream; symbols like BTCUSD_PERP, BTCUSD_260327; limits as usdm",
].join("\n");

export function marketRules(market: Market = "spot"): MarketRules {
  return RULES[market];
}

// --- internal ---

/** Futures klines weight: [1,100) 1, [100,500) 2, [500,1000] 5, over 1000 10. */
function _futuresKlinesWeight(limit: number): number {
  return limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10;
}

const FUTURES_INTERVALS: ReadonlySet<Interval> = new Set(INTERVALS.filter((i) => i !== "1s"));

const FUTURES = {
  streamsInPath: false,
  klinesDefaultLimit: 500,
  klinesMaxLimit: 1500,
  overMaxLimit: "reject",
  klinesWeight: _futuresKlinesWeight,
  exchangeInfoWeight: 1,
  uiKlines: false,
  intervals: FUTURES_INTERVALS,
  messagesPerSecond: 10,
  requestWeightPerMinute: 2400,
} as const;

const RULES: Record<Market, MarketRules> = {
  spot: {
    market: "spot",
    restRoot: "/api/",
    restPath: "/api/v3",
    streamRoot: "",
    streamsInPath: false,
    klinesDefaultLimit: 500,
    klinesMaxLimit: 1000,
    overMaxLimit: "clamp",
    klinesWeight: () => 2,
    exchangeInfoWeight: 20,
    uiKlines: true,
    intervals: new Set(INTERVALS),
    messagesPerSecond: 5,
    requestWeightPerMinute: 6000,
    mainQuote: "USDT",
    statusNames: { TRADING: "TRADING", HALT: "HALT", BREAK: "BREAK" },
  },
  usdm: {
    ...FUTURES,
    market: "usdm",
    restRoot: "/fapi/",
    restPath: "/fapi/v1",
    streamRoot: "/market",
    // wss://fstream.binance.com/market/ws/btcusdt@aggTrade/ethusdt@aggTrade (Change Notice).
    streamsInPath: true,
    mainQuote: "USDT",
    // A paused contract is SETTLING; a listed one not trading yet PENDING_TRADING.
    statusNames: { TRADING: "TRADING", HALT: "SETTLING", BREAK: "PENDING_TRADING" },
  },
  coinm: {
    ...FUTURES,
    market: "coinm",
    restRoot: "/dapi/",
    restPath: "/dapi/v1",
    streamRoot: "",
    mainQuote: "USD",
    // COIN-M's contractStatus has no SETTLING: a contract stops trading while DELIVERING.
    statusNames: { TRADING: "TRADING", HALT: "DELIVERING", BREAK: "PENDING_TRADING" },
  },
};
