import { hash01, hashText } from "./random.ts";

/** How a simulated symbol trades: its price level, tick, lot step and activity. */
export interface SymbolProfile {
  symbol: string;
  baseAsset: string;
  quoteAsset: string;
  /** Reference price in quote units; the walk stays within about ±25 % of it. */
  price: number;
  /** Price tick is 10^-priceDecimals (BTCUSDT 2, PEPEUSDT 8). */
  priceDecimals: number;
  /** Quantity step is 10^-qtyDecimals (BTCUSDT 5, PEPEUSDT 0). */
  qtyDecimals: number;
  /** Mean trades per second (at least 4, so even a 1s candle has a trade). */
  tradesPerSecond: number;
  /** Mean base quantity per trade. */
  tradeSize: number;
}

/** Symbols with the levels they had in 2024; anything else gets a level from its name. */
const KNOWN: Record<string, [price: number, tradesPerSecond: number]> = {
  BTCUSDT: [65_000, 40],
  ETHUSDT: [3_500, 25],
  BNBUSDT: [600, 10],
  SOLUSDT: [150, 15],
  XRPUSDT: [0.55, 10],
  DOGEUSDT: [0.15, 10],
  PEPEUSDT: [0.0000095, 8],
};

/** USD last: COIN-M pairs (BTCUSD); FDUSD, TUSD and BUSD are found first. */
const QUOTES = ["USDT", "FDUSD", "USDC", "TUSD", "BUSD", "BTC", "ETH", "BNB", "EUR", "TRY", "BRL", "JPY", "USD"];

/** Spot and USDⓈ-M names (BTCUSDT) or futures contracts (BTCUSD_PERP, BTCUSDT_260327), 2 to 20 characters. */
export const SYMBOL_PATTERN = /^(?=.{2,20}$)[A-Z0-9]+(_[A-Z0-9]+)?$/;

/**
 * The trading profile of `symbol` (uppercase, e.g. BTCUSDT). A futures contract trades at
 * its pair's level: BTCUSDT_260327 like BTCUSDT, BTCUSD_PERP like BTCUSDT. Pure.
 */
export function symbolProfile(symbol: string): SymbolProfile {
  const pair = symbol.split("_")[0]!;
  const known = KNOWN[pair] ?? (pair !== symbol ? KNOWN[`${pair}T`] : undefined);
  const price = known?.[0] ?? 10 ** (hash01(hashText(pair), 1) * 6 - 2);
  const magnitude = Math.floor(Math.log10(price));
  const quoteAsset = QUOTES.find((q) => pair.endsWith(q) && pair.length > q.length) ?? "USDT";
  return {
    symbol,
    baseAsset: pair.endsWith(quoteAsset) ? pair.slice(0, -quoteAsset.length) : pair,
    quoteAsset,
    price,
    priceDecimals: Math.min(8, Math.max(0, 6 - magnitude)),
    qtyDecimals: Math.min(8, Math.max(0, magnitude + 1)),
    tradesPerSecond: Math.max(4, known?.[1] ?? 5),
    tradeSize: 1_000 / price,
  };
}
