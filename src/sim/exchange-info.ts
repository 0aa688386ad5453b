import type { Market } from "./market.ts";
import { symbolProfile } from "./symbols.ts";

/** Binance's IP limit: request weight per minute. */
export const REQUEST_WEIGHT_PER_MINUTE = 6000;

/** `/api/v3/exchangeInfo`: every symbol (or `symbol=` / `symbols=[...]`) as TRADING. */
export function exchangeInfo(params: URLSearchParams, market: Market, now: number): { status: number; body: unknown } {
  let wanted: string[] = [...market.symbols];
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
  if (wanted.some((s) => !market.has(s))) return { status: 400, body: { code: -1121, msg: "Invalid symbol." } };
  return {
    status: 200,
    body: {
      timezone: "UTC",
      serverTime: now,
      rateLimits: [
        { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: REQUEST_WEIGHT_PER_MINUTE },
        { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: 100 },
        { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: 200_000 },
        { rateLimitType: "RAW_REQUESTS", interval: "MINUTE", intervalNum: 5, limit: 61_000 },
      ],
      exchangeFilters: [],
      symbols: wanted.map(_symbolInfo),
    },
  };
}

// --- internal ---

function _symbolInfo(symbol: string): Record<string, unknown> {
  const p = symbolProfile(symbol);
  const step = (decimals: number) => (10 ** -decimals).toFixed(8);
  return {
    symbol,
    status: "TRADING",
    baseAsset: p.baseAsset,
    baseAssetPrecision: 8,
    quoteAsset: p.quoteAsset,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    orderTypes: ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
    icebergAllowed: true,
    ocoAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: "PRICE_FILTER", minPrice: step(p.priceDecimals), maxPrice: "1000000.00000000", tickSize: step(p.priceDecimals) },
      { filterType: "LOT_SIZE", minQty: step(p.qtyDecimals), maxQty: "9000000000.00000000", stepSize: step(p.qtyDecimals) },
    ],
    permissions: [],
    permissionSets: [["SPOT"]],
  };
}
