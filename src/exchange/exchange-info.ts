import type { Clock } from "../clock.ts";
import type { RestBudget } from "./rest-budget.ts";
import { getJson } from "./rest-klines.ts";
import { MARKET_PROFILES, restRoot, type Market } from "./market.ts";

export interface SymbolInfo {
  symbol: string;
  /** TRADING, BREAK, HALT, END_OF_DAY, PRE_TRADING, POST_TRADING, AUCTION_MATCH… (COIN-M calls it contractStatus; SETTLING, PENDING_TRADING… on futures) */
  status: string;
  /** Futures: PERPETUAL, CURRENT_QUARTER, NEXT_QUARTER…; undefined on spot. */
  contractType?: string;
  baseAsset: string;
  quoteAsset: string;
  /** Binance's isSpotTradingAllowed; true when absent. */
  spotTradingAllowed: boolean;
}

export interface ExchangeInfo {
  symbols: SymbolInfo[];
  /** REQUEST_WEIGHT per 1 minute (a limit over N minutes is divided by N); undefined when not announced. */
  requestWeightPerMinute: number | undefined;
}

export interface FetchExchangeInfoOptions {
  restUrl: string;
  /** @default "spot" */
  market?: Market;
  /** The process's REST governor; its limit is set from the answer's REQUEST_WEIGHT. */
  budget?: RestBudget;
  clock?: Clock;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** @default Infinity (never give up) */
  maxAttempts?: number;
  /** Per attempt. @default 15000 */
  timeoutMs?: number;
}

/**
 * GETs the market's exchangeInfo (spot `/api/v3/exchangeInfo`, weight 20; futures
 * `/fapi/v1` or `/dapi/v1`, weight 1) through the budget, retried like klines (429/418
 * wait, 5xx and malformed answers back off), and gives the budget the announced limit.
 */
export async function fetchExchangeInfo(options: FetchExchangeInfoOptions): Promise<ExchangeInfo> {
  const profile = MARKET_PROFILES[options.market ?? "spot"];
  const { value } = await getJson(`${restRoot(options.restUrl)}${profile.restPath}/exchangeInfo`, { ...options, weight: profile.exchangeInfoWeight, stream: "exchangeInfo" }, parseExchangeInfo);
  if (options.budget && value.requestWeightPerMinute !== undefined) options.budget.setLimit(value.requestWeightPerMinute);
  return value;
}

/** Reads an exchangeInfo answer's symbols and request-weight limit; throws an Error naming what is malformed. */
export function parseExchangeInfo(body: unknown): ExchangeInfo {
  if (!_isObject(body)) throw new Error("exchangeInfo answer is not an object");
  if (!Array.isArray(body.symbols)) throw new Error("exchangeInfo answer has no symbols list");
  const symbols = body.symbols.map((entry, i) => _parseSymbol(entry, i));
  if (body.rateLimits !== undefined && !Array.isArray(body.rateLimits)) throw new Error("exchangeInfo rateLimits is not a list");
  return { symbols, requestWeightPerMinute: _requestWeightPerMinute(body.rateLimits ?? []) };
}

// --- internal ---

function _isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function _parseSymbol(entry: unknown, i: number): SymbolInfo {
  if (!_isObject(entry)) throw new Error(`exchangeInfo symbols[${i}] is not an object`);
  // COIN-M names the status contractStatus.
  const statusKey = entry.status === undefined && entry.contractStatus !== undefined ? "contractStatus" : "status";
  for (const key of ["symbol", statusKey, "baseAsset", "quoteAsset"] as const) {
    if (typeof entry[key] !== "string" || entry[key] === "") throw new Error(`exchangeInfo symbols[${i}].${key} is not a non-empty string`);
  }
  const contractType = entry.contractType;
  if (contractType !== undefined && typeof contractType !== "string") throw new Error(`exchangeInfo symbols[${i}].contractType is not a string`);
  const allowed = entry.isSpotTradingAllowed;
  if (allowed !== undefined && typeof allowed !== "boolean") throw new Error(`exchangeInfo symbols[${i}].isSpotTradingAllowed is not a boolean`);
  return {
    symbol: entry.symbol as string,
    status: entry[statusKey] as string,
    contractType,
    baseAsset: entry.baseAsset as string,
    quoteAsset: entry.quoteAsset as string,
    spotTradingAllowed: allowed ?? true,
  };
}

/** The strictest REQUEST_WEIGHT limit counted in minutes, per one minute. */
function _requestWeightPerMinute(rateLimits: unknown[]): number | undefined {
  let best: number | undefined;
  for (const [i, entry] of rateLimits.entries()) {
    if (!_isObject(entry) || entry.rateLimitType !== "REQUEST_WEIGHT" || entry.interval !== "MINUTE") continue;
    const { limit, intervalNum = 1 } = entry;
    if (typeof limit !== "number" || !(limit > 0) || typeof intervalNum !== "number" || !(intervalNum >= 1)) {
      throw new Error(`exchangeInfo rateLimits[${i}] (REQUEST_WEIGHT per MINUTE) has no positive limit and intervalNum`);
    }
    const perMinute = Math.floor(limit / intervalNum);
    best = best === undefined ? perMinute : Math.min(best, perMinute);
  }
  return best;
}
