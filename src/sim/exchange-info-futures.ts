import { PERPETUAL_DELIVERY_DATE, parseContract } from "./contracts.ts";
import type { Market, SymbolListing } from "./market.ts";
import type { MarketRules } from "./market-rules.ts";
import { symbolProfile } from "./symbols.ts";

/** onboardDate of symbols listed since the start (BTCUSDT's, 2019-09-25). */
const EARLY_ONBOARD_DATE = 1_569_398_400_000;

/**
 * `/fapi/v1/exchangeInfo` and `/dapi/v1/exchangeInfo` (no parameters: every symbol), shaped
 * as Binance's (binance-connector-java `derivatives-trading-usds-futures` and
 * binance-connector-php `derivatives-trading-coin-futures` ExchangeInformationResponseSymbolsInner):
 * USDⓈ-M symbols carry `status`, COIN-M ones `contractStatus` and `contractSize`.
 */
export function futuresExchangeInfo(rules: MarketRules, market: Market, now: number, weightLimit: number): { status: number; body: unknown } {
  const listings = market.listings();
  const types = _contractTypes(listings);
  const symbols = listings.map((l) => (rules.market === "usdm" ? _usdmSymbol(l, rules, types) : _coinmSymbol(l, rules, types)));
  const rateLimits = [
    { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: weightLimit },
    { rateLimitType: "ORDERS", interval: "MINUTE", intervalNum: 1, limit: 1200 },
    ...(rules.market === "usdm" ? [{ rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: 300 }] : []),
  ];
  const assets = rules.market === "usdm" ? [...new Set(listings.map((l) => l.quoteAsset))].map((asset) => ({ asset, marginAvailable: true, autoAssetExchange: "0" })) : undefined;
  return { status: 200, body: { timezone: "UTC", serverTime: now, rateLimits, exchangeFilters: [], ...(assets && { assets }), symbols } };
}

// --- internal ---

/** PERPETUAL, or for dated contracts CURRENT_QUARTER (the pair's first delivery) and NEXT_QUARTER. */
function _contractTypes(listings: readonly SymbolListing[]): Map<string, string> {
  const dated = new Map<string, { symbol: string; delivery: number }[]>();
  const types = new Map<string, string>();
  for (const { symbol } of listings) {
    const { pair, delivery } = parseContract(symbol);
    if (delivery === undefined) types.set(symbol, "PERPETUAL");
    else dated.set(pair, [...(dated.get(pair) ?? []), { symbol, delivery }]);
  }
  for (const contracts of dated.values()) {
    contracts.sort((a, b) => a.delivery - b.delivery).forEach((c, i) => types.set(c.symbol, i === 0 ? "CURRENT_QUARTER" : "NEXT_QUARTER"));
  }
  return types;
}

/** The fields both futures markets share, in Binance's order around them. */
function _common(listing: SymbolListing, types: Map<string, string>) {
  const { pair, delivery } = parseContract(listing.symbol);
  const from = listing.periods[0]?.from;
  return {
    symbol: listing.symbol,
    pair,
    contractType: types.get(listing.symbol) ?? "PERPETUAL",
    deliveryDate: delivery ?? PERPETUAL_DELIVERY_DATE,
    onboardDate: from === undefined || from === -Infinity ? EARLY_ONBOARD_DATE : from,
  };
}

function _filters(symbol: string): Record<string, unknown>[] {
  const p = symbolProfile(symbol);
  const step = (decimals: number) => (10 ** -decimals).toFixed(decimals);
  return [
    { filterType: "PRICE_FILTER", minPrice: step(p.priceDecimals), maxPrice: "1000000", tickSize: step(p.priceDecimals) },
    { filterType: "LOT_SIZE", minQty: step(p.qtyDecimals), maxQty: "100000", stepSize: step(p.qtyDecimals) },
  ];
}

const ORDER_TYPES = ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"];
const TIME_IN_FORCE = ["GTC", "IOC", "FOK", "GTX"];

function _usdmSymbol(listing: SymbolListing, rules: MarketRules, types: Map<string, string>): Record<string, unknown> {
  const p = symbolProfile(listing.symbol);
  return {
    ..._common(listing, types),
    status: rules.statusNames[listing.status],
    maintMarginPercent: "2.5000",
    requiredMarginPercent: "5.0000",
    baseAsset: listing.baseAsset,
    quoteAsset: listing.quoteAsset,
    marginAsset: listing.quoteAsset,
    pricePrecision: p.priceDecimals,
    quantityPrecision: p.qtyDecimals,
    baseAssetPrecision: 8,
    quotePrecision: 8,
    underlyingType: "COIN",
    underlyingSubType: [],
    settlePlan: 0,
    triggerProtect: "0.0500",
    filters: _filters(listing.symbol),
    OrderType: ORDER_TYPES,
    timeInForce: TIME_IN_FORCE,
    liquidationFee: "0.012500",
    marketTakeBound: "0.05",
  };
}

function _coinmSymbol(listing: SymbolListing, rules: MarketRules, types: Map<string, string>): Record<string, unknown> {
  const p = symbolProfile(listing.symbol);
  return {
    filters: _filters(listing.symbol),
    OrderType: ORDER_TYPES,
    timeInForce: TIME_IN_FORCE,
    liquidationFee: "0.010000",
    marketTakeBound: "0.05",
    ..._common(listing, types),
    contractStatus: rules.statusNames[listing.status],
    // USD value of one contract: 100 for BTC, 10 for the others.
    contractSize: listing.baseAsset === "BTC" ? 100 : 10,
    quoteAsset: listing.quoteAsset,
    baseAsset: listing.baseAsset,
    marginAsset: listing.baseAsset,
    pricePrecision: p.priceDecimals,
    quantityPrecision: 0,
    baseAssetPrecision: 8,
    quotePrecision: 8,
    equalQtyPrecision: 4,
    triggerProtect: "0.0500",
    maintMarginPercent: "2.5000",
    requiredMarginPercent: "5.0000",
    underlyingType: "COIN",
    underlyingSubType: [],
  };
}
