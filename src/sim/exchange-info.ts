import { futuresExchangeInfo } from "./exchange-info-futures.ts";
import type { Market, SymbolListing } from "./market.ts";
import { marketRules, type MarketRules } from "./market-rules.ts";
import { symbolProfile } from "./symbols.ts";

/** Binance's IP limit: request weight per minute. */
export const REQUEST_WEIGHT_PER_MINUTE = 6000;

/**
 * `/api/v3/exchangeInfo`: every listed symbol (or `symbol=` / `symbols=[...]`) with its
 * status now (TRADING, HALT or BREAK); `weightLimit` is the REQUEST_WEIGHT it announces.
 * On a futures market, that market's shape (see `futuresExchangeInfo`).
 */
export function exchangeInfo(params: URLSearchParams, market: Market, now: number, weightLimit = REQUEST_WEIGHT_PER_MINUTE, rules: MarketRules = marketRules("spot")): { status: number; body: unknown } {
  if (rules.market !== "spot") return futuresExchangeInfo(rules, market, now, weightLimit);
  let wanted: string[] | undefined;
  const one = params.get("symbol");
  const many = params.get("symbols");
  if (one !== null) wanted = [one];
  else if (many !== null) {
    try {
      const parsed: unknown = JSON.parse(many);
      if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === "string")) throw new Error("not a list");
      wanted = parsed as string[];
    } catch {
      return { status: 400, body: { code: -1100, msg: "Illegal characters found in parameter 'symbols'; legal range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'." } };
    }
  }
  if (wanted?.some((s) => !market.has(s))) return { status: 400, body: { code: -1121, msg: "Invalid symbol." } };
  const listings = wanted ? wanted.map((s) => market.listing(s)!) : market.listings();
  return {
    status: 200,
    body: {
      timezone: "UTC",
      serverTime: now,
      rateLimits: [
        { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: weightLimit },
        { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: 100 },
        { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: 200_000 },
        { rateLimitType: "RAW_REQUESTS", interval: "MINUTE", intervalNum: 5, limit: 61_000 },
      ],
      exchangeFilters: [],
      symbols: listings.map(_symbolInfo),
    },
  };
}

// --- internal ---

function _symbolInfo(listing: SymbolListing): Record<string, unknown> {
  const { symbol, status } = listing;
  const p = symbolProfile(symbol);
  const step = (decimals: number) => (10 ** -decimals).toFixed(8);
  return {
    symbol,
    status,
    baseAsset: listing.baseAsset,
    baseAssetPrecision: 8,
    quoteAsset: listing.quoteAsset,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    orderTypes: ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
    icebergAllowed: true,
    ocoAllowed: true,
    isSpotTradingAllowed: status !== "BREAK",
    isMarginTradingAllowed: false,
    filters: [
      { filterType: "PRICE_FILTER", minPrice: step(p.priceDecimals), maxPrice: "1000000.00000000", tickSize: step(p.priceDecimals) },
      { filterType: "LOT_SIZE", minQty: step(p.qtyDecimals), maxQty: "9000000000.00000000", stepSize: step(p.qtyDecimals) },
    ],
    permissions: [],
    permissionSets: [["SPOT"]],
  };
}
